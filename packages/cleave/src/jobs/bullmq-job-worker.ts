import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { ModuleHost } from '../module/module-host.ts';
import { JOB_KEY_PREFIX } from './bullmq-job-queues.ts';
import type { BullmqJobQueues, JobDeliveryData } from './bullmq-job-queues.ts';
import type { AnyJob, RateLimit } from './define-job.ts';
import { queueSettingsOf } from './job-queue-settings.ts';
import type { QueueSettings } from './job-queue-settings.ts';
import { openRateWindow, recordStarts } from './job-rate-window.ts';
import { recordOutcome, runClaimedJob } from './job-run.ts';
import type { JobRow } from './job-run.ts';
import type { JobTables } from './job-tables.ts';

/**
 * Runs a module's jobs from BullMQ (ADR 0023): a BullMQ Worker per job queue, with the
 * queue's concurrency; a rate-limited queue's claims count against the window in the
 * module's database (see openRateWindow), and a full window pauses the BullMQ queue until
 * it frees a start. A delivery names a row; the worker claims the row only if it is still
 * pending *for this delivery* (`relayed_as`), with a lease as the table worker does, runs it
 * through the same `runClaimedJob`, and records the outcome on the row. A retry is a new
 * delivery, delayed by the backoff, recorded on the row before it is added; attempts, dead
 * letters and `cleave jobs` all read the row. So BullMQ moves work fast — a blocking read
 * instead of a poll — while the row keeps every guarantee the table worker gives.
 */
export class BullmqJobWorker {
  readonly #db: Kysely<JobTables>;
  readonly #jobs: ReadonlyMap<string, AnyJob>;
  readonly #workers: Worker<JobDeliveryData>[] = [];

  constructor(
    private readonly host: ModuleHost,
    jobs: readonly AnyJob[],
    private readonly queues: BullmqJobQueues,
  ) {
    this.#db = host.db as Kysely<JobTables>;
    this.#jobs = new Map(jobs.map((j) => [j.name, j]));
  }

  start(): void {
    if (this.#workers.length > 0) return;
    for (const queue of queueSettingsOf([...this.#jobs.values()]).values()) {
      const name = this.queues.nameOf(this.host.name, queue.name);
      const worker: Worker<JobDeliveryData> = new Worker<JobDeliveryData>(name, (job) => this.#process(job, queue, worker), {
        connection: this.queues.workerConnection(),
        prefix: JOB_KEY_PREFIX,
        concurrency: queue.concurrency,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
      });
      const log = this.host.logger.child({ queue: queue.name });
      worker.on('error', (err) => log.warn({ err }, 'BullMQ job worker: worker error; it reconnects on its own'));
      // Only a claim can fail a delivery (the database was away for all its attempts): the
      // row stays pending, and the relay hands it over again once it is overdue.
      worker.on('failed', (job, err) => log.error({ err, jobId: job?.data.id }, 'BullMQ job worker: claiming a job failed; the relay hands it over again'));
      this.#workers.push(worker);
    }
  }

  /** Stops taking deliveries; runs in flight finish (each within its timeout) and record their outcome. */
  async stop(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.close()));
  }

  async #process(delivery: Job<JobDeliveryData>, queue: QueueSettings, worker: Worker<JobDeliveryData>): Promise<void> {
    const claimed = queue.rateLimit === undefined ? { row: await this.#claim(this.#db, delivery, queue, new Date()) } : await this.#claimRateLimited(delivery, queue, queue.rateLimit);
    if ('freesInMs' in claimed) {
      // The window is full: the delivery goes back to wait, and the queue pauses (for every worker) until it frees a start.
      await worker.rateLimit(claimed.freesInMs);
      throw Worker.RateLimitError();
    }
    const { row } = claimed;
    if (row === undefined) return; // stale or repeated: the row moved on
    try {
      const outcome = await runClaimedJob(this.host, this.#jobs.get(row.name), row);
      if (outcome.status !== 'pending') {
        await recordOutcome(this.host, row, outcome);
        return;
      }
      const next = randomUUID();
      if (!(await recordOutcome(this.host, row, outcome, { relayed_as: next, relayed_at: new Date() }))) return;
      await this.queues
        .queue(this.host.name, queue.name)
        .add(row.name, { id: row.id }, { jobId: next, delay: outcome.retryInMs })
        .catch((err: unknown) => this.host.logger.warn({ err, job: row.name, jobId: row.id }, 'BullMQ job worker: scheduling a retry failed; the relay hands it over once overdue'));
    } catch (err) {
      // Not the delivery's failure: the run is over, only its record failed.
      this.host.logger.warn({ err, job: row.name, jobId: row.id }, 'BullMQ job worker: recording an outcome failed; the lease will expire and the job run again');
    }
  }

  /** The row, running under a fresh lease, if it is still pending for this delivery. */
  async #claim(db: Kysely<JobTables>, delivery: Job<JobDeliveryData>, queue: QueueSettings, now: Date): Promise<JobRow | undefined> {
    return db
      .updateTable('jobs')
      .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), lease: randomUUID(), locked_until: new Date(now.getTime() + queue.leaseMs), started_at: now }))
      .where('id', '=', delivery.data.id)
      .where('status', '=', 'pending')
      .where('relayed_as', '=', delivery.id as string)
      .returningAll()
      .executeTakeFirst();
  }

  /** A rate-limited queue's claim: counted against the queue's window (the same sliding window the table worker keeps). */
  async #claimRateLimited(delivery: Job<JobDeliveryData>, queue: QueueSettings, limit: RateLimit): Promise<{ row: JobRow | undefined } | { freesInMs: number }> {
    return this.#db.transaction().execute(async (trx) => {
      const window = await openRateWindow(trx, queue.name, limit, 1);
      if ('freesInMs' in window) return { freesInMs: window.freesInMs };
      const row = await this.#claim(trx, delivery, queue, window.now);
      await recordStarts(trx, queue.name, row ? 1 : 0, window.now);
      return { row };
    });
  }
}
