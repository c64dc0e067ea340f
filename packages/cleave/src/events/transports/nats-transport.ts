import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../telemetry/logger.ts';
import type { EventEnvelope } from '../event-envelope.ts';
import type { AcceptEvents, EventTransport } from '../event-transport.ts';

export interface NatsEventTransportOptions {
  readonly url: string;
  /** Names the stream and consumers, so several apps can share one server. */
  readonly app: string;
  /** The publishing module of each event name (from the contracts). */
  readonly publisherOf: (eventName: string) => string | undefined;
  readonly logger: Logger;
  readonly fetchBatch?: number;
  /** Broker-side deduplication window for event ids; relays republish within it after a crash. */
  readonly duplicateWindowMs?: number;
}

const token = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * NATS JetStream, the distributed default. The relay publishes each event with its id
 * as the message id (the broker drops a republished duplicate); every subscribing
 * module has a durable pull consumer per publisher, and acks a batch only after it is
 * committed to the module's inbox. Subjects are `cleave.<app>.<publisher>.<event>`;
 * one consumer reads one publisher in order (filtering per publisher keeps the order of
 * each aggregate, and works on NATS 2.9, which has no multi-subject filters).
 */
export class NatsEventTransport implements EventTransport {
  readonly kind = 'nats';
  readonly #options: NatsEventTransportOptions;
  readonly #stream: string;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  readonly #loops: Promise<void>[] = [];
  #closing = false;

  constructor(options: NatsEventTransportOptions) {
    this.#options = options;
    this.#stream = `cleave_${token(options.app)}`;
  }

  /** Connects and makes sure the stream exists. Reconnects on its own after an outage. */
  async connect(): Promise<void> {
    this.#nc = await connect({ servers: this.#options.url, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: `cleave-${this.#options.app}` });
    this.#jsm = await jetstreamManager(this.#nc);
    this.#js = jetstream(this.#nc);
    const config = { name: this.#stream, subjects: [`cleave.${token(this.#options.app)}.>`], duplicate_window: nanos(this.#options.duplicateWindowMs ?? 120_000) };
    try {
      await this.#jsm.streams.info(this.#stream);
    } catch {
      await this.#jsm.streams.add(config).catch(async (err: unknown) => {
        // Another service created it meanwhile.
        if (!(await this.#jsm?.streams.info(this.#stream).then(() => true, () => false))) throw err;
      });
    }
  }

  subject(publisher: string, name: string): string {
    return `cleave.${token(this.#options.app)}.${token(publisher)}.${token(name)}`;
  }

  async publish(publisher: string, events: readonly EventEnvelope[]): Promise<void> {
    const js = this.#client();
    // Sent in order on one connection, stored in that order; acks awaited together.
    await Promise.all(events.map((e) => js.publish(this.subject(publisher, e.name), JSON.stringify(e), { msgID: e.id, timeout: 5_000 })));
  }

  async subscribe(module: string, names: readonly string[], accept: AcceptEvents): Promise<void> {
    const byPublisher = new Map<string, Set<string>>();
    for (const name of names) {
      const publisher = this.#options.publisherOf(name);
      if (publisher === undefined) throw new Error(`no module publishes ${name}`);
      byPublisher.set(publisher, (byPublisher.get(publisher) ?? new Set()).add(name));
    }
    for (const [publisher, wanted] of byPublisher) {
      const durable = `${token(this.#options.app)}_${token(module)}_from_${token(publisher)}`;
      await this.#jsm!.consumers.add(this.#stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `cleave.${token(this.#options.app)}.${token(publisher)}.>`,
        ack_wait: nanos(30_000),
        max_deliver: -1,
      }).catch(async (err: unknown) => {
        if (!(await this.#jsm?.consumers.info(this.#stream, durable).then(() => true, () => false))) throw err;
      });
      this.#loops.push(this.#consume(module, durable, wanted, accept));
    }
  }

  async #consume(module: string, durable: string, wanted: ReadonlySet<string>, accept: AcceptEvents): Promise<void> {
    const log = this.#options.logger.child({ module, consumer: durable });
    let failures = 0;
    while (!this.#closing) {
      try {
        const consumer = await this.#client().consumers.get(this.#stream, durable);
        const messages = await consumer.fetch({ max_messages: this.#options.fetchBatch ?? 256, expires: 1_000 });
        const batch: JsMsg[] = [];
        for await (const m of messages) batch.push(m);
        if (batch.length === 0) continue;
        const events = batch.map((m) => m.json<EventEnvelope>()).filter((e) => wanted.has(e.name));
        try {
          await accept(events);
        } catch (err) {
          for (const m of batch) m.nak(500);
          throw err;
        }
        // Acked only now: the events are committed to the inbox.
        for (const m of batch) m.ack();
        failures = 0;
      } catch (err) {
        if (this.#closing) break;
        failures++;
        log.warn({ err }, 'NATS consumer: fetching or storing failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5_000)));
      }
    }
  }

  #client(): JetStreamClient {
    if (!this.#js) throw new Error('NATS transport used before connect()');
    return this.#js;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled(this.#loops);
    await this.#nc?.drain().catch(() => this.#nc?.close());
  }
}
