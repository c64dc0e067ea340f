import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { ModuleHost } from '../module/module-host.ts';
import { IDLE_POLL_MS, WakeableLoop } from '../util/wakeable-loop.ts';
import type { PassResult } from '../util/wakeable-loop.ts';
import type { AnyJob, RateLimit } from './define-job.ts';
import type { AnySchedule } from './define-schedule.ts';
import { queueSettingsOf } from './job-queue-settings.ts';
import { openRateWindow, recordStarts } from './job-rate-window.ts';
import type { QueueSettings } from './job-queue-settings.ts';
import { recordOutcome, runClaimedJob } from './job-run.ts';
import type { JobRow } from './job-run.ts';
import type { JobTables } from './job-tables.ts';
import { JobPruneSchedule } from './job-retention.ts';
import { DEFAULT_JOB_RETENTION } from './job-retention-settings.ts';
import type { JobRetention } from './job-retention-settings.ts';
import { DueTicks } from './schedule-ticks.ts';

interface Queue extends QueueSettings {
  running: number;
  /** The queue's window is full until then (this process's clock): no claim before. */
  limitedUntil: number;
}

export interface JobWorkerOptions {
  readonly idleMs?: number;
  /** How long finished jobs are kept; past it they are deleted during a pass, at most every 10 minutes. */
  readonly retention?: JobRetention;
}

/**
 * Runs a module's jobs from its `jobs` table, and enqueues its schedules' ticks. A pass
 * claims, per queue, as many due jobs as the queue has free slots (`for update skip
 * locked`, so replicas never claim one job twice), each with a lease: a fresh token and a
 * time until which other workers leave it alone. A run that outlives its timeout counts
 * as failed; a worker that dies mid-run leaves its job `running` until the lease expires,
 * and then any worker claims it again — delivery is at least once, and `ctx.job.id` is the
 * key that makes the effect happen once. Failures retry with exponential backoff; after
 * the last attempt the job is dead (`cleave jobs retry` revives it).
 */
export class JobWorker extends WakeableLoop {
  readonly #db: Kysely<JobTables>;
  readonly #jobs: ReadonlyMap<string, AnyJob>;
  readonly #queues: ReadonlyMap<string, Queue>;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #ticks: DueTicks;
  readonly #pruning: JobPruneSchedule;

  constructor(
    private readonly host: ModuleHost,
    jobs: readonly AnyJob[],
    schedules: readonly AnySchedule[],
    options: JobWorkerOptions = {},
  ) {
    super(options.idleMs ?? IDLE_POLL_MS, (err) => host.logger.warn({ err }, 'job worker: a pass failed; will retry'));
    this.#db = host.db as Kysely<JobTables>;
    const all = [...jobs, ...schedules.map((s) => s.job)];
    this.#jobs = new Map(all.map((j) => [j.name, j]));
    this.#queues = new Map([...queueSettingsOf(all)].map(([name, settings]) => [name, { ...settings, running: 0, limitedUntil: 0 }]));
    this.#ticks = new DueTicks(this.#db, schedules);
    this.#pruning = new JobPruneSchedule(options.retention ?? DEFAULT_JOB_RETENTION);
  }

  override async stop(): Promise<void> {
    await super.stop();
    // Runs in flight finish (each within its timeout) so their outcome is recorded.
    await Promise.allSettled([...this.#inFlight]);
  }

  protected async pass(): Promise<PassResult> {
    const now = Date.now();
    await this.#ticks.enqueueDue(now);
    await this.#pruning.pruneIfDue(this.#db, now);
    let claimed = 0;
    for (const queue of this.#queues.values()) {
      const free = queue.concurrency - queue.running;
      if (free <= 0 || queue.limitedUntil > now) continue;
      const rows = queue.rateLimit === undefined ? await this.#claim(this.#db, queue, free, new Date()) : await this.#claimRateLimited(queue, queue.rateLimit, free);
      claimed += rows.length;
      for (const row of rows) this.#start(queue, row);
    }
    if (claimed > 0) return { worked: true };
    const open = [...this.#queues.values()].filter((q) => q.running < q.concurrency && q.limitedUntil <= now).map((q) => q.name);
    const nextJob = open.length === 0 ? undefined : await this.#nextDue(open);
    // A full window is waited out to the millisecond it frees a start, not polled.
    const windowFrees = Math.min(...[...this.#queues.values()].filter((q) => q.limitedUntil > now).map((q) => q.limitedUntil));
    const next = Math.min(nextJob ?? Number.POSITIVE_INFINITY, this.#ticks.nextAt, windowFrees);
    return { worked: false, ...(Number.isFinite(next) ? { nextInMs: Math.max(0, next - Date.now()) } : {}) };
  }

  /** Claims up to `limit` due jobs of the queue (and ones whose lease expired) in one statement. */
  async #claim(db: Kysely<JobTables>, queue: Queue, limit: number, now: Date): Promise<JobRow[]> {
    const lease = randomUUID();
    const { rows } = await sql<JobRow>`
      update jobs set status = 'running', attempts = attempts + 1, lease = ${lease}, locked_until = ${new Date(now.getTime() + queue.leaseMs)}, started_at = ${now}
      where id in (
        select id from jobs
        where queue = ${queue.name} and status in ('pending', 'running')
          and ((status = 'pending' and run_at <= ${now}) or (status = 'running' and locked_until < ${now}))
        order by run_at, created_at
        limit ${limit}
        for update skip locked)
      returning *`.execute(db);
    return rows;
  }

  /** A rate-limited queue's claim: at most what is left of its window; a full window sets `limitedUntil` to when it frees a start. */
  async #claimRateLimited(queue: Queue, limit: RateLimit, free: number): Promise<JobRow[]> {
    return this.#db.transaction().execute(async (trx) => {
      const window = await openRateWindow(trx, queue.name, limit, free);
      if ('freesInMs' in window) {
        queue.limitedUntil = Date.now() + window.freesInMs;
        return [];
      }
      const rows = await this.#claim(trx, queue, window.allowed, window.now);
      await recordStarts(trx, queue.name, rows.length, window.now);
      return rows;
    });
  }

  /** When the earliest pending job of these queues is due, or a running one's lease expires. */
  async #nextDue(queues: readonly string[]): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom('jobs')
      .select((eb) => eb.fn.min(sql<Date>`case when status = 'pending' then run_at else locked_until end`).as('next'))
      .where('status', 'in', ['pending', 'running'])
      .where('queue', 'in', queues)
      .executeTakeFirst();
    return row?.next ? new Date(row.next).getTime() : undefined;
  }

  #start(queue: Queue, row: JobRow): void {
    queue.running++;
    const run = runClaimedJob(this.host, this.#jobs.get(row.name), row)
      .then((outcome) => recordOutcome(this.host, row, outcome))
      .catch((err: unknown) => this.host.logger.warn({ err, job: row.name, jobId: row.id }, 'job worker: recording an outcome failed; the lease will expire and the job run again'))
      .finally(() => {
        queue.running--;
        this.#inFlight.delete(run);
        this.wake();
      });
    this.#inFlight.add(run);
  }
}
