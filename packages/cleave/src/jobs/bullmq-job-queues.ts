import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.ts';
import { bullmqProducerConnection, bullmqWorkerConnection } from '../util/bullmq-connections.ts';
import { bullmqNamePart } from '../util/bullmq-name.ts';
import { withDeadline } from '../util/with-deadline.ts';
import type { JobDelivery } from './job-relay.ts';

/** BullMQ keys of jobs are `cleave-jobs:<namespace>.<module>.<queue>:…` (events use `cleave:`, so the two never meet). */
export const JOB_KEY_PREFIX = 'cleave-jobs';

/** What a delivery carries: the id of the row to claim (the row holds everything else). */
export interface JobDeliveryData {
  readonly id: string;
}

export interface BullmqJobQueuesOptions {
  readonly url: string;
  /** Names the queues, so several apps (or test runs) can share one Redis. */
  readonly namespace: string;
  readonly logger: Logger;
  /** How long a hand-over may wait for Redis before the relay is told it failed. */
  readonly handOverTimeoutMs?: number;
}

/**
 * The Redis side of the BullMQ jobs backend: one BullMQ queue per module and job queue,
 * a producer connection that fails fast while Redis is away (the relay keeps the rows and
 * hands them over again), and a connection for workers (which wait for Redis to return).
 */
export class BullmqJobQueues {
  readonly #options: BullmqJobQueuesOptions;
  readonly #producer: Redis;
  #workerConnection: Redis | undefined;
  readonly #queues = new Map<string, Queue<JobDeliveryData>>();

  constructor(options: BullmqJobQueuesOptions) {
    this.#options = options;
    this.#producer = bullmqProducerConnection(options.url, `cleave-jobs-${options.namespace}`, options.logger, 'BullMQ jobs');
  }

  /** Fails fast at boot when Redis is unreachable. */
  async connect(): Promise<void> {
    await this.#producer.connect();
  }

  nameOf(module: string, queue: string): string {
    return [this.#options.namespace, module, queue].map(bullmqNamePart).join('.');
  }

  /** Adds each delivery to its queue, due at its row's `run_at`; resolves once Redis stored them all. */
  async deliver(module: string, deliveries: readonly JobDelivery[]): Promise<void> {
    const byQueue = new Map<string, JobDelivery[]>();
    for (const d of deliveries) byQueue.set(d.queue, [...(byQueue.get(d.queue) ?? []), d]);
    const now = Date.now();
    const adds = [...byQueue].map(([queue, group]) =>
      this.queue(module, queue).addBulk(group.map((d) => ({ name: d.name, data: { id: d.id }, opts: { jobId: d.deliveryId, delay: Math.max(0, d.runAt.getTime() - now) } }))),
    );
    const timeoutMs = this.#options.handOverTimeoutMs ?? 10_000;
    await withDeadline(Promise.all(adds), now + timeoutMs, `handing ${deliveries.length} jobs of ${module} to Redis`);
  }

  queue(module: string, queue: string): Queue<JobDeliveryData> {
    const name = this.nameOf(module, queue);
    let q = this.#queues.get(name);
    if (!q) {
      // A finished delivery leaves nothing behind: the row is the job's record, and an id
      // kept in Redis would make a needed re-delivery under that id a silent no-op.
      q = new Queue<JobDeliveryData>(name, {
        connection: this.#producer,
        prefix: JOB_KEY_PREFIX,
        skipWaitingForReady: true,
        streams: { events: { maxLen: 1_000 } },
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 8, backoff: { type: 'exponential', delay: 500 } },
      });
      q.on('error', (err) => this.#options.logger.debug({ err, queue: name }, 'BullMQ jobs: queue error'));
      this.#queues.set(name, q);
    }
    return q;
  }

  /** The connection workers share (BullMQ's rule for workers: `maxRetriesPerRequest: null`); each worker adds its own blocking one. */
  workerConnection(): Redis {
    this.#workerConnection ??= bullmqWorkerConnection(this.#options.url, `cleave-jobs-${this.#options.namespace}-worker`, this.#options.logger, 'BullMQ jobs');
    return this.#workerConnection;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close().catch(() => {})));
    this.#workerConnection?.disconnect();
    this.#producer.disconnect();
  }
}
