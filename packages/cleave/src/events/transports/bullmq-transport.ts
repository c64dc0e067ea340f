import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullmqProducerConnection, bullmqWorkerConnection } from '../../util/bullmq-connections.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { EventEnvelope } from '../event-envelope.ts';
import type { EventTransport, InboxSink } from '../event-transport.ts';
import { BullmqConsumer } from './bullmq-consumer.ts';
import { BullmqQueues, JOB_NAME, jobIdOf, KEY_PREFIX } from './bullmq-queues.ts';
import type { EventsJob } from './bullmq-queues.ts';

export interface BullmqEventTransportOptions {
  readonly url: string;
  /** Names the queues, so several apps (or test runs) can share one Redis. */
  readonly app: string;
  /** Subscribing modules of each event name (from the app): their queues exist before anyone publishes. */
  readonly subscribers: ReadonlyMap<string, readonly string[]>;
  readonly logger: Logger;
  /** How long a batch may wait for Redis before the relay is told it failed. */
  readonly publishTimeoutMs?: number;
  /** A job's lock; a worker that died holds its queue up to about this plus `stalledIntervalMs`. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

/**
 * BullMQ on Redis (the seed's "simple, Redis-based" queue). A queue per subscribing module
 * (BullmqQueues); the relay adds one job per queue per batch, holding the batch's events
 * for that subscriber, and resolves once Redis stored every job — until then the outbox
 * rows stay unpublished and the relay retries (a job id made of the event ids lets BullMQ
 * drop a repeat that still waits). Each queue has a global concurrency of 1, and its
 * BullmqConsumer completes a job only after it is committed to the inbox. See ADR 0021.
 */
export class BullmqEventTransport implements EventTransport {
  readonly kind = 'bullmq';
  readonly queues: BullmqQueues;
  readonly #options: BullmqEventTransportOptions;
  readonly #producer: Redis;
  #workerConnection: Redis | undefined;
  readonly #queues = new Map<string, Queue<EventsJob>>();
  readonly #consumers: BullmqConsumer[] = [];

  constructor(options: BullmqEventTransportOptions) {
    this.#options = options;
    this.queues = new BullmqQueues(options.app, options.subscribers);
    // Fail fast while Redis is away (BullMQ's advice for producers): the relay retries the batch.
    this.#producer = bullmqProducerConnection(options.url, `cleave-${options.app}`, options.logger, 'BullMQ');
    // Queue metadata may be gone after Redis came back without its data: set it again.
    this.#producer.on('ready', () => void this.#limitQueues().catch(() => {}));
  }

  /** Connects and sets up every subscriber's queue: fails fast at boot when Redis is unreachable. */
  async connect(): Promise<void> {
    await this.#producer.connect();
    await this.#limitQueues();
    const appendonly = await this.#producer.config('GET', 'appendonly').catch(() => undefined);
    if (Array.isArray(appendonly) && appendonly[1] === 'no') {
      this.#options.logger.warn('Redis runs without appendonly: events waiting in BullMQ queues are lost if Redis restarts (set appendonly yes)');
    }
  }

  /**
   * One active job per queue across all consumers: the order of each queue is the order its
   * jobs are stored in the inbox, even across replicas and crashes (ADR 0021).
   */
  async #limitQueues(): Promise<void> {
    await Promise.all(this.queues.all().map((name) => this.#queue(name).setGlobalConcurrency(1)));
  }

  #queue(name: string): Queue<EventsJob> {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue<EventsJob>(name, { connection: this.#producer, prefix: KEY_PREFIX, skipWaitingForReady: true, streams: { events: { maxLen: 1_000 } } });
      queue.on('error', (err) => this.#options.logger.debug({ err, queue: name }, 'BullMQ queue error'));
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async publish(publisher: string, events: readonly EventEnvelope[]): Promise<void> {
    const adds = [...this.queues.route(events)].map(([name, group]) =>
      this.#queue(name).add(JOB_NAME, { events: group }, { jobId: jobIdOf(publisher, group), removeOnComplete: true, removeOnFail: 1_000 }),
    );
    if (adds.length === 0) return;
    const timeoutMs = this.#options.publishTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not store ${events.length} events within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(adds), timedOut]);
    } finally {
      clearTimeout(timer);
      for (const add of adds) add.catch(() => {});
    }
  }

  async subscribe(module: string, names: readonly string[], inbox: InboxSink): Promise<void> {
    const queue = this.queues.queueOf(module);
    // Before the worker takes its first job: without the limit, two replicas could race.
    await this.#queue(queue).setGlobalConcurrency(1);
    this.#workerConnection ??= this.#newWorkerConnection();
    const consumer = new BullmqConsumer({
      module,
      queue,
      names,
      inbox,
      connection: this.#workerConnection,
      logger: this.#options.logger,
      lockDurationMs: this.#options.lockDurationMs ?? 10_000,
      stalledIntervalMs: this.#options.stalledIntervalMs ?? 5_000,
    });
    this.#consumers.push(consumer);
    consumer.start();
  }

  #newWorkerConnection(): Redis {
    return bullmqWorkerConnection(this.#options.url, `cleave-${this.#options.app}-worker`, this.#options.logger, 'BullMQ');
  }

  async close(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.stop()));
    await Promise.all([...this.#queues.values()].map((q) => q.close().catch(() => {})));
    this.#workerConnection?.disconnect();
    this.#producer.disconnect();
  }
}
