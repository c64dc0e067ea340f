import type { ConfirmChannel } from 'amqplib';
import type { Logger } from '../../telemetry/logger.ts';
import type { EventEnvelope } from '../event-envelope.ts';
import type { EventTransport, InboxSink } from '../event-transport.ts';
import { RabbitConnection } from './rabbitmq-connection.ts';
import { RabbitConsumer } from './rabbitmq-consumer.ts';
import { RabbitTopology } from './rabbitmq-topology.ts';

export interface RabbitEventTransportOptions {
  readonly url: string;
  /** Names the exchange and queues, so several apps (or test runs) can share one broker. */
  readonly app: string;
  /** Subscribing modules of each event name (from the app): their queues exist before anyone publishes. */
  readonly subscribers: ReadonlyMap<string, readonly string[]>;
  readonly logger: Logger;
  /** Deliveries a consumer takes ahead of its acks, and so the largest batch it stores at once. */
  readonly prefetch?: number;
  /** How long a batch may wait for the broker's confirms before the relay is told it failed. */
  readonly confirmTimeoutMs?: number;
}

/**
 * RabbitMQ (the seed's "complex, powerful" queue). The relay publishes each batch on a
 * confirm channel and resolves only when the broker confirmed every message — for a
 * quorum queue that is after a majority stored it — so the outbox row stays unpublished
 * until the event is safe. Each subscribing module reads its own quorum queue (see
 * RabbitTopology) and acks a batch once it is committed to its inbox (RabbitConsumer).
 * Ordering: one confirm channel per publishing module keeps its events in outbox order
 * in every queue; one active consumer per queue stores them in that order.
 */
export class RabbitEventTransport implements EventTransport {
  readonly kind = 'rabbitmq';
  readonly topology: RabbitTopology;
  readonly #options: RabbitEventTransportOptions;
  readonly #connection: RabbitConnection;
  readonly #channels = new Map<string, Promise<ConfirmChannel>>();
  readonly #consumers: RabbitConsumer[] = [];

  constructor(options: RabbitEventTransportOptions) {
    this.#options = options;
    this.topology = new RabbitTopology(options.app, options.subscribers);
    this.#connection = new RabbitConnection(options.url, `cleave-${options.app}`, options.logger);
  }

  /** Connects and declares the exchange and every subscriber's queue: fails fast at boot when the broker is unreachable. */
  async connect(): Promise<void> {
    const channel = await (await this.#connection.get()).createChannel();
    try {
      await this.topology.declare(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async publish(publisher: string, events: readonly EventEnvelope[]): Promise<void> {
    if (events.length === 0) return;
    const channel = await this.#channelFor(publisher);
    const confirmed = events.map(
      (event) =>
        new Promise<void>((resolve, reject) => {
          // `publish` only buffers when the socket is busy; a relay batch is bounded (500), so no drain wait.
          channel.publish(
            this.topology.exchange,
            event.name,
            Buffer.from(JSON.stringify(event)),
            { persistent: true, messageId: event.id, contentType: 'application/json', type: event.name, appId: publisher },
            (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(`RabbitMQ refused event ${event.id}`)) : resolve()),
          );
        }),
    );
    const timeoutMs = this.#options.confirmTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`RabbitMQ did not confirm ${events.length} events within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(confirmed), timedOut]);
    } catch (err) {
      // A frozen broker or half-open socket: start the next attempt on a new connection.
      this.#channels.delete(publisher);
      this.#connection.reset();
      throw err;
    } finally {
      clearTimeout(timer);
      for (const p of confirmed) p.catch(() => {});
    }
  }

  /** A confirm channel per publishing module, so one module's batches wait only for their own confirms. */
  #channelFor(publisher: string): Promise<ConfirmChannel> {
    const existing = this.#channels.get(publisher);
    if (existing) return existing;
    const opening = (async () => {
      const channel = await (await this.#connection.get()).createConfirmChannel();
      channel.on('error', (err: Error) => this.#options.logger.warn({ err, publisher }, 'RabbitMQ publish channel failed'));
      channel.on('close', () => {
        if (this.#channels.get(publisher) === opening) this.#channels.delete(publisher);
      });
      await this.topology.declare(channel);
      return channel;
    })();
    opening.catch(() => {
      if (this.#channels.get(publisher) === opening) this.#channels.delete(publisher);
    });
    this.#channels.set(publisher, opening);
    return opening;
  }

  async subscribe(module: string, names: readonly string[], inbox: InboxSink): Promise<void> {
    const consumer = new RabbitConsumer({
      module,
      names,
      inbox,
      connection: this.#connection,
      topology: this.topology,
      logger: this.#options.logger,
      prefetch: this.#options.prefetch ?? 256,
    });
    this.#consumers.push(consumer);
    consumer.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.stop()));
    await this.#connection.close();
  }
}
