import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../telemetry/logger.ts';
import type { EventEnvelope } from '../event-envelope.ts';
import type { EventTransport, InboxSink } from '../event-transport.ts';

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
  /** How long the stream keeps events (default 7 days). */
  readonly retentionMs?: number;
}

const token = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

const CAUGHT_UP = Symbol('caught up');
/** Resolves after the I/O already received is handed out: the reader has read all there is. */
const caughtUp = () => new Promise<typeof CAUGHT_UP>((resolve) => setImmediate(resolve, CAUGHT_UP));

/**
 * NATS JetStream, the distributed default. The relay publishes each event with its id
 * as the message id (the broker drops a republished duplicate). Each subscribing module
 * reads each publisher's subject in stream order from a position it stores with its
 * inbox rows. Subjects are `cleave.<app>.<publisher>.<event>`; one reader per publisher
 * keeps the order of each aggregate, and works on NATS 2.9 (no multi-subject filters).
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
    const config = {
      name: this.#stream,
      subjects: [`cleave.${token(this.#options.app)}.>`],
      duplicate_window: nanos(this.#options.duplicateWindowMs ?? 120_000),
      // Readers keep their own positions, so the stream keeps events for a time, not until
      // acked: a subscriber may be down up to this long without losing any.
      max_age: nanos(this.#options.retentionMs ?? 7 * 24 * 3600 * 1000),
    };
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

  async subscribe(module: string, names: readonly string[], inbox: InboxSink): Promise<void> {
    const byPublisher = new Map<string, Set<string>>();
    for (const name of names) {
      const publisher = this.#options.publisherOf(name);
      if (publisher === undefined) throw new Error(`no module publishes ${name}`);
      byPublisher.set(publisher, (byPublisher.get(publisher) ?? new Set()).add(name));
    }
    for (const [publisher, wanted] of byPublisher) {
      this.#loops.push(this.#consume(module, publisher, wanted, inbox));
    }
  }

  /**
   * Reads one publisher's subject in stream order from the position stored in the
   * module's database, and stores each batch in the inbox together with the new
   * position. No broker acks: the position is the acknowledgement, and it commits with
   * the rows, so a crash anywhere resumes exactly after the last stored batch, in order.
   * (A durable consumer with acks redelivers lost messages only after its ack wait,
   * behind newer ones: events of one aggregate would be handled out of order.)
   *
   * A batch is what has arrived when the reader catches up, not what one fetch returns:
   * a fetch ends only when full or at its expiry (nats.js allows no less than 1 s), so a
   * lone event would wait up to 1 s. The fetch is always read to its end — its messages
   * are this consumer's, delivered once (no acks) — and any failure, or a gap in the
   * consumer's delivery sequence, throws the consumer away and starts a new one from the
   * stored position: nothing is skipped that was not stored.
   */
  async #consume(module: string, publisher: string, wanted: ReadonlySet<string>, inbox: InboxSink): Promise<void> {
    const source = `nats:${this.#stream}:${publisher}`;
    const log = this.#options.logger.child({ module, source });
    let failures = 0;
    let consumer: Consumer | undefined;
    let delivered = 0;
    let position = BigInt((await inbox.position(source)) ?? '0');
    const store = async (chunk: readonly JsMsg[]) => {
      const events: EventEnvelope[] = [];
      for (const m of chunk) {
        const event = m.json<EventEnvelope>();
        if (wanted.has(event.name)) events.push(event);
      }
      const last = BigInt(chunk[chunk.length - 1]!.seq);
      await inbox.accept(events, { source, position: String(last) });
      position = last;
    };
    while (!this.#closing) {
      let messages: ConsumerMessages | undefined;
      try {
        if (consumer === undefined) {
          consumer = await this.#openConsumer(publisher, position);
          delivered = 0;
        }
        messages = await consumer.fetch({ max_messages: this.#options.fetchBatch ?? 256, expires: 1_000 });
        const reader = messages[Symbol.asyncIterator]();
        let next = reader.next();
        let chunk: JsMsg[] = [];
        for (;;) {
          // Messages already received resolve before the next macrotask; when none is
          // waiting, what was read is stored now (under load, chunks grow by themselves).
          const result = chunk.length === 0 ? await next : await Promise.race([next, caughtUp()]);
          if (result === CAUGHT_UP) {
            await store(chunk);
            chunk = [];
            continue;
          }
          if (result.done) break;
          const m = result.value;
          if (m.info.deliverySequence !== delivered + 1) throw new Error(`NATS consumer skipped from delivery ${delivered} to ${m.info.deliverySequence}`);
          delivered = m.info.deliverySequence;
          chunk.push(m);
          next = reader.next();
        }
        if (chunk.length > 0) await store(chunk);
        failures = 0;
      } catch (err) {
        messages?.stop();
        if (this.#closing) break;
        failures++;
        // Start again from the stored position: nothing after it was stored.
        consumer = undefined;
        position = BigInt((await inbox.position(source).catch(() => undefined)) ?? String(position));
        log.warn({ err }, 'NATS consumer: fetching or storing failed; resuming from the stored position');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5_000)));
      }
    }
  }

  /** An ephemeral pull consumer of one publisher's subject, starting after `position`. */
  async #openConsumer(publisher: string, position: bigint): Promise<Consumer> {
    const info = await this.#jsm!.consumers.add(this.#stream, {
      ack_policy: AckPolicy.None,
      ...(position > 0n ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(position + 1n) } : { deliver_policy: DeliverPolicy.All }),
      filter_subject: `cleave.${token(this.#options.app)}.${token(publisher)}.>`,
      inactive_threshold: nanos(60_000),
      mem_storage: true,
    });
    return this.#client().consumers.get(this.#stream, info.name);
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
