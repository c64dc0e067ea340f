import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '../../telemetry/logger.ts';

/** Seconds between AMQP heartbeats unless the URL says otherwise: a frozen broker is noticed after ~2 of them (shorter ones drop healthy connections of a process busy booting). */
const DEFAULT_HEARTBEAT_S = 15;

/**
 * One AMQP connection, opened on first use and opened again on the next use after it
 * closed (broker restart, network cut). amqplib does not reconnect by itself here on
 * purpose: each user decides what a lost connection means for its work in flight — the
 * publisher fails the batch (the relay retries it), a consumer drops its unacked
 * deliveries (the broker redelivers them, first and in order).
 */
export class RabbitConnection {
  readonly #url: string;
  readonly #name: string;
  readonly #logger: Logger;
  #current: Promise<ChannelModel> | undefined;
  #closed = false;

  constructor(url: string, name: string, logger: Logger) {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(DEFAULT_HEARTBEAT_S));
    this.#url = parsed.toString();
    this.#name = name;
    this.#logger = logger;
  }

  get(): Promise<ChannelModel> {
    if (this.#closed) return Promise.reject(new Error('RabbitMQ connection closed'));
    if (this.#current) return this.#current;
    const opening = amqp.connect(this.#url, { timeout: 5_000, clientProperties: { connection_name: this.#name } }).then((model) => {
      model.on('error', (err: Error) => this.#logger.warn({ err }, 'RabbitMQ connection failed'));
      model.on('close', () => {
        if (this.#current === opening) this.#current = undefined;
      });
      return model;
    });
    opening.catch(() => {
      if (this.#current === opening) this.#current = undefined;
    });
    this.#current = opening;
    return opening;
  }

  /** Drops the connection (e.g. after a confirm timed out on a frozen broker); the next `get` opens a new one. */
  reset(): void {
    const current = this.#current;
    this.#current = undefined;
    void current?.then((model) => model.close()).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    const current = this.#current;
    this.#current = undefined;
    await current?.then((model) => model.close()).catch(() => {});
  }
}
