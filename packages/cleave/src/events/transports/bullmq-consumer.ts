import { WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../telemetry/logger.ts';
import { EventEnvelopeSchema } from '../event-envelope.ts';
import type { EventEnvelope } from '../event-envelope.ts';
import type { InboxSink } from '../event-transport.ts';
import { KEY_PREFIX } from './bullmq-queues.ts';
import type { EventsJob } from './bullmq-queues.ts';

export interface BullmqConsumerOptions {
  readonly module: string;
  readonly queue: string;
  readonly names: readonly string[];
  readonly inbox: InboxSink;
  /** A connection with `maxRetriesPerRequest: null` (BullMQ's rule for workers); each worker adds its own blocking one. */
  readonly connection: Redis;
  readonly logger: Logger;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
}

export const STORE_FAILED = 'BullMQ consumer: storing events in the inbox failed; retrying the same job';

/**
 * Moves one module's queue into its inbox with a BullMQ worker: each job (a relay batch)
 * is stored in one inbox transaction, and only then completed (removed). The queue's
 * global concurrency is 1 (set by the transport), so one job is active at a time across
 * all replicas, and a job whose worker died blocks the queue until BullMQ's stalled check
 * puts it back at the head: nothing overtakes it, so one aggregate's events reach the inbox
 * in publish order. The inbox drops whatever is delivered twice.
 *
 * The processor never fails a job: a failed job would be retried later, behind newer ones.
 * While the inbox refuses writes it retries the same job; when stopping, it puts the job
 * back at the head of the queue.
 */
export class BullmqConsumer {
  readonly #options: BullmqConsumerOptions;
  readonly #log: Logger;
  readonly #wanted: ReadonlySet<string>;
  #worker: Worker<EventsJob> | undefined;
  #stopping = false;

  constructor(options: BullmqConsumerOptions) {
    this.#options = options;
    this.#wanted = new Set(options.names);
    this.#log = options.logger.child({ module: options.module, queue: options.queue });
  }

  start(): void {
    if (this.#worker) return;
    const o = this.#options;
    const worker = new Worker<EventsJob>(o.queue, (job, token) => this.#process(job, token), {
      connection: o.connection,
      prefix: KEY_PREFIX,
      concurrency: 1,
      lockDuration: o.lockDurationMs,
      stalledInterval: o.stalledIntervalMs,
      // A job whose worker died goes back to wait however often that happens; the default (1)
      // would fail it on the second stall, and a failed job is never stored.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 1_000 },
    });
    worker.on('error', (err) => this.#log.warn({ err }, 'BullMQ consumer: worker error; it reconnects on its own'));
    worker.on('failed', (job, err) => this.#log.error({ err, jobId: job?.id }, 'BullMQ consumer: a job failed (kept in the failed set)'));
    this.#worker = worker;
  }

  /** Stops taking jobs; a job being stored finishes first (or goes back to the head of the queue). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#worker?.close();
  }

  async #process(job: Job<EventsJob>, token: string | undefined): Promise<void> {
    const events = this.#envelopes(job);
    for (let failures = 0; ; ) {
      try {
        await this.#options.inbox.accept(events);
        return;
      } catch (err) {
        if (!this.#stopping) {
          failures++;
          this.#log.warn({ err, jobId: job.id, events: events.length }, STORE_FAILED);
          await sleep(Math.min(50 * 2 ** failures, 2_000));
        }
        if (this.#stopping) {
          // Back to the head, in its place: the next reader stores it before anything newer.
          await job.moveToWait(token);
          throw new WaitingError();
        }
      }
    }
  }

  /** The job's events this module wants; anything that is no envelope is logged and skipped, not retried forever. */
  #envelopes(job: Job<EventsJob>): EventEnvelope[] {
    const raw: unknown = (job.data as { events?: unknown } | undefined)?.events;
    if (!Array.isArray(raw)) {
      this.#log.error({ jobId: job.id }, 'BullMQ consumer: skipped a job that holds no events');
      return [];
    }
    const events: EventEnvelope[] = [];
    for (const item of raw) {
      const parsed = EventEnvelopeSchema.safeParse(item);
      if (!parsed.success) {
        this.#log.error({ jobId: job.id, issues: parsed.error.issues }, 'BullMQ consumer: skipped an entry that is not an event envelope');
        continue;
      }
      if (this.#wanted.has(parsed.data.name)) events.push(parsed.data as EventEnvelope);
    }
    return events;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
