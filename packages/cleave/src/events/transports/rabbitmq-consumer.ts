import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../telemetry/logger.ts';
import { EventEnvelopeSchema } from '../event-envelope.ts';
import type { EventEnvelope } from '../event-envelope.ts';
import type { InboxSink } from '../event-transport.ts';
import type { RabbitConnection } from './rabbitmq-connection.ts';
import type { RabbitTopology } from './rabbitmq-topology.ts';

export interface RabbitConsumerOptions {
  readonly module: string;
  readonly names: readonly string[];
  readonly inbox: InboxSink;
  readonly connection: RabbitConnection;
  readonly topology: RabbitTopology;
  readonly logger: Logger;
  /** Unacked deliveries the broker may send ahead: the largest batch stored at once. */
  readonly prefetch: number;
}

export const STORE_FAILED = 'RabbitMQ consumer: storing events in the inbox failed; retrying the same batch';

/** The deliveries of one channel, taken in batches in delivery order. */
class Deliveries {
  readonly #queued: ConsumeMessage[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  get ended(): boolean {
    return this.#ended;
  }

  push(message: ConsumeMessage): void {
    this.#queued.push(message);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** Everything delivered so far (waiting for at least one), or undefined once ended. */
  async take(): Promise<ConsumeMessage[] | undefined> {
    while (this.#queued.length === 0 && !this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = undefined;
    if (this.#ended) return undefined;
    return this.#queued.splice(0);
  }
}

/**
 * Moves one module's queue into its inbox: each batch of deliveries is stored in one
 * transaction, then acked up to its last message. The inbox is the exactly-once guard,
 * so the broker may redeliver anything not yet acked. While the inbox refuses writes,
 * the same batch is retried without nacking it (a requeue would count deliveries and
 * let newer messages through). If the channel dies, its unacked deliveries are dropped
 * here; the quorum queue hands them out again first, in their order.
 */
export class RabbitConsumer {
  readonly #options: RabbitConsumerOptions;
  readonly #log: Logger;
  readonly #wanted: ReadonlySet<string>;
  #stopping = false;
  #deliveries: Deliveries | undefined;
  #done: Promise<void> | undefined;

  constructor(options: RabbitConsumerOptions) {
    this.#options = options;
    this.#wanted = new Set(options.names);
    this.#log = options.logger.child({ module: options.module, queue: options.topology.queueOf(options.module) });
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Stops taking deliveries; a batch being stored finishes (and is acked) first. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#deliveries?.end();
    await this.#done;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      let channel: Channel | undefined;
      try {
        const model = await this.#options.connection.get();
        channel = await model.createChannel();
        const deliveries = (this.#deliveries = new Deliveries());
        channel.on('error', (err: Error) => this.#log.warn({ err }, 'RabbitMQ consumer channel failed'));
        channel.on('close', () => deliveries.end());
        const queue = await this.#options.topology.declareQueue(channel, this.#options.module, this.#options.names);
        await channel.prefetch(this.#options.prefetch);
        // A null delivery is the broker cancelling the consumer (queue deleted): start over.
        await channel.consume(queue, (m) => (m === null ? deliveries.end() : deliveries.push(m)), { noAck: false });
        if (this.#stopping) deliveries.end();
        failures = 0;
        await this.#drain(channel, deliveries);
      } catch (err) {
        if (this.#stopping) break;
        failures++;
        this.#log.warn({ err }, 'RabbitMQ consumer failed; reconnecting');
        await sleep(Math.min(100 * 2 ** failures, 2_000));
      } finally {
        await channel?.close().catch(() => {});
      }
    }
  }

  async #drain(channel: Channel, deliveries: Deliveries): Promise<void> {
    for (;;) {
      const batch = await deliveries.take();
      if (!batch) return;
      const last = batch[batch.length - 1] as ConsumeMessage;
      if (!(await this.#store(this.#envelopes(batch), deliveries))) return;
      channel.ack(last, true);
    }
  }

  /** Stores the batch, retrying until it is stored (true) or the channel is gone (false). */
  async #store(events: readonly EventEnvelope[], deliveries: Deliveries): Promise<boolean> {
    for (let failures = 0; ; ) {
      try {
        await this.#options.inbox.accept(events);
        return true;
      } catch (err) {
        // Stopping or a dead channel: the broker redelivers the batch to whoever reads next.
        if (deliveries.ended) return false;
        failures++;
        this.#log.warn({ err, events: events.length }, STORE_FAILED);
        await sleep(Math.min(50 * 2 ** failures, 2_000));
        if (deliveries.ended) return false;
      }
    }
  }

  /** The batch's events this module wants; a message that is no envelope is logged and skipped (acked), not retried forever. */
  #envelopes(batch: readonly ConsumeMessage[]): EventEnvelope[] {
    const events: EventEnvelope[] = [];
    for (const message of batch) {
      let parsed: ReturnType<typeof EventEnvelopeSchema.safeParse>;
      try {
        parsed = EventEnvelopeSchema.safeParse(JSON.parse(message.content.toString('utf8')));
      } catch (err) {
        this.#log.error({ err, messageId: message.properties.messageId }, 'RabbitMQ consumer: skipped a message that is not JSON');
        continue;
      }
      if (!parsed.success) {
        this.#log.error({ messageId: message.properties.messageId, issues: parsed.error.issues }, 'RabbitMQ consumer: skipped a message that is not an event envelope');
        continue;
      }
      // A queue can keep a binding from an older version of the module: not ours any more.
      if (this.#wanted.has(parsed.data.name)) events.push(parsed.data as EventEnvelope);
    }
    return events;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
