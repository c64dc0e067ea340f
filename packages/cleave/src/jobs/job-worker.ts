import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { validationFailed } from '../errors/validation.ts';
import type { ModuleHost } from '../module/module-host.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import { jobRunAttributes } from '../telemetry/semantic-attributes.ts';
import { parseTraceparent } from '../telemetry/trace-context.ts';
import { withDeadline } from '../util/with-deadline.ts';
import { IDLE_POLL_MS, WakeableLoop } from '../util/wakeable-loop.ts';
import type { PassResult } from '../util/wakeable-loop.ts';
import { retryDelayMs } from './define-job.ts';
import type { AnyJob, JobContext, RateLimit } from './define-job.ts';
import type { AnySchedule } from './define-schedule.ts';
import type { JobTables } from './job-tables.ts';
import { enqueueDueTicks } from './schedule-ticks.ts';
import { JobPruneSchedule } from './job-retention.ts';
import { DEFAULT_JOB_RETENTION } from './job-retention-settings.ts';
import type { JobRetention } from './job-retention-settings.ts';

type JobRow = Selectable<JobTables['jobs']>;

interface Queue {
  readonly name: string;
  readonly concurrency: number;
  /** How long a claim holds: the longest timeout of the queue's jobs plus a grace to record the outcome. */
  readonly leaseMs: number;
  /** Starts per window across every worker of the module (defineModule checks the queue's jobs agree). */
  readonly rateLimit: RateLimit | undefined;
  running: number;
  /** The queue's window is full until then (this process's clock): no claim before. */
  limitedUntil: number;
}

export interface JobWorkerOptions {
  readonly idleMs?: number;
  /** How long finished jobs are kept (settings: CLEAVE_JOBS_RETAIN_DONE / _DEAD). Default 7 and 30 days. */
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
  readonly #inFlight = new Set<Promise<void>>();
  /** When the next schedule tick is due; never for a worker without schedules (a 0 here made its idle pass spin). */
  #nextTickAt: number;
  // Retention (jobs-ops): finished jobs past it are deleted during a pass, at most every 10 minutes.
  readonly #pruning: JobPruneSchedule;

  constructor(
    private readonly host: ModuleHost,
    jobs: readonly AnyJob[],
    private readonly schedules: readonly AnySchedule[],
    options: JobWorkerOptions = {},
  ) {
    super(options.idleMs ?? IDLE_POLL_MS, (err) => host.logger.warn({ err }, 'job worker: a pass failed; will retry'));
    this.#db = host.db as Kysely<JobTables>;
    const all = [...jobs, ...schedules.map((s) => s.job)];
    this.#jobs = new Map(all.map((j) => [j.name, j]));
    const queues = new Map<string, Queue>();
    for (const job of all) {
      const leaseMs = job.timeoutMs + Math.min(job.timeoutMs, 5_000);
      const queue = queues.get(job.queue);
      if (queue === undefined) queues.set(job.queue, { name: job.queue, concurrency: job.concurrency, leaseMs, rateLimit: job.rateLimit, running: 0, limitedUntil: 0 });
      else queues.set(job.queue, { ...queue, concurrency: Math.min(queue.concurrency, job.concurrency), leaseMs: Math.max(queue.leaseMs, leaseMs) });
    }
    this.#queues = queues;
    this.#nextTickAt = schedules.length > 0 ? 0 : Number.POSITIVE_INFINITY;
    this.#pruning = new JobPruneSchedule(options.retention ?? DEFAULT_JOB_RETENTION);
  }

  override async stop(): Promise<void> {
    await super.stop();
    // Runs in flight finish (each within its timeout) so their outcome is recorded.
    await Promise.allSettled([...this.#inFlight]);
  }

  protected async pass(): Promise<PassResult> {
    const now = Date.now();
    if (this.schedules.length > 0 && now >= this.#nextTickAt) {
      const { nextAt } = await enqueueDueTicks(this.#db, this.schedules, new Date(now));
      this.#nextTickAt = nextAt ?? Number.POSITIVE_INFINITY;
    }
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
    const next = Math.min(nextJob ?? Number.POSITIVE_INFINITY, this.#nextTickAt, windowFrees);
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

  /**
   * A rate-limited queue's claim, for every worker of the module at once: under the row
   * lock of the queue's `job_queues` row (the upsert takes it, first claim or not), count
   * the starts of the last window in `job_starts`, claim at most what is left of `max`,
   * and record the new starts, all in one transaction. Times are the database's clock,
   * so replicas on machines whose clocks disagree still share one window. A full window
   * sets `limitedUntil` to when its oldest counted start leaves it.
   */
  async #claimRateLimited(queue: Queue, limit: RateLimit, free: number): Promise<JobRow[]> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`insert into job_queues (name) values (${queue.name}) on conflict (name) do update set name = excluded.name`.execute(trx);
      const { rows: [clock] } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(trx);
      const now = new Date((clock as { now: Date }).now);
      const windowStart = new Date(now.getTime() - limit.perMs);
      await trx.deleteFrom('job_starts').where('queue', '=', queue.name).where('started_at', '<=', windowStart).execute();
      const { started } = await trx.selectFrom('job_starts').select((eb) => eb.fn.countAll<string>().as('started')).where('queue', '=', queue.name).executeTakeFirstOrThrow();
      const allowed = Math.min(free, limit.max - Number(started));
      if (allowed <= 0) {
        // The max-th most recent start: once it leaves the window, one start is free again.
        const { rows: [edge] } = await sql<{ started_at: Date }>`select started_at from job_starts where queue = ${queue.name} order by started_at desc offset ${limit.max - 1} limit 1`.execute(trx);
        const freesInMs = edge === undefined ? 0 : new Date(edge.started_at).getTime() + limit.perMs - now.getTime();
        queue.limitedUntil = Date.now() + Math.max(1, freesInMs);
        return [];
      }
      const rows = await this.#claim(trx, queue, allowed, now);
      if (rows.length > 0) await trx.insertInto('job_starts').values(rows.map(() => ({ queue: queue.name, started_at: now }))).execute();
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
    const run = this.#run(row)
      .catch((err: unknown) => this.host.logger.warn({ err, job: row.name, jobId: row.id }, 'job worker: recording an outcome failed; the lease will expire and the job run again'))
      .finally(() => {
        queue.running--;
        this.#inFlight.delete(run);
        this.wake();
      });
    this.#inFlight.add(run);
  }

  async #run(row: JobRow): Promise<void> {
    const job = this.#jobs.get(row.name);
    const span = this.host.tracer.startSpan(`job ${row.name}`, parseTraceparent(row.traceparent), 'consumer', jobRunAttributes(this.host.name, row.name, row.id, row.attempts));
    try {
      if (job === undefined) throw new PermanentFailure(`module "${this.host.name}" declares no job "${row.name}"`);
      // Claimed again after its last attempt's lease expired: that worker died mid-run.
      if (row.attempts > row.max_attempts) throw new PermanentFailure(`the worker of attempt ${row.max_attempts} stopped before recording an outcome`);
      const payload = job.payload.safeParse(row.payload);
      if (!payload.success) throw new PermanentFailure(validationFailed(payload.error, `payload of job ${row.name}`).message);
      const deadline = Date.now() + job.timeoutMs;
      const ctx = this.#context(row, job, span.trace, deadline);
      await withDeadline(job.handler(payload.data, ctx), deadline, `job ${row.name}`);
    } catch (err) {
      span.end(err);
      await this.#recordFailure(row, job, err);
      return;
    }
    span.end();
    await this.#db
      .updateTable('jobs')
      .set({ status: 'done', finished_at: new Date(), lease: null, locked_until: null, last_error: null })
      .where('id', '=', row.id)
      .where('lease', '=', row.lease)
      .execute();
  }

  #context(row: JobRow, job: AnyJob, trace: JobContext['trace'], deadline: number): JobContext {
    const request = { trace, user: undefined, caller: this.host.name, deadline, idempotencyKey: `job:${row.id}` };
    const base = this.host.context(request, `job ${row.name}`);
    return {
      ...request,
      module: base.module,
      db: base.db,
      log: this.host.logger.child({ ...traceLogFields(trace), job: row.name, jobId: row.id }),
      call: (op, input, options) => base.call(op, input, options),
      transaction: (fn) => base.transaction(fn),
      idempotent: (fn) => base.idempotent(fn),
      job: { id: row.id, name: row.name, attempt: row.attempts, maxAttempts: job.maxAttempts, key: row.unique_key ?? undefined },
    };
  }

  async #recordFailure(row: JobRow, job: AnyJob | undefined, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const dead = err instanceof PermanentFailure || job === undefined || row.attempts >= row.max_attempts;
    const delay = job === undefined ? 0 : retryDelayMs(job, row.attempts);
    await this.#db
      .updateTable('jobs')
      .set({
        status: dead ? 'dead' : 'pending',
        run_at: new Date(Date.now() + delay),
        lease: null,
        locked_until: null,
        last_error: message.slice(0, 2000),
        ...(dead ? { finished_at: new Date() } : {}),
      })
      .where('id', '=', row.id)
      .where('lease', '=', row.lease)
      .execute();
    const log = this.host.logger;
    if (dead) log.error({ err, job: row.name, jobId: row.id, attempts: row.attempts }, 'job dead-lettered');
    else log.warn({ err, job: row.name, jobId: row.id, attempt: row.attempts, retryInMs: delay }, 'job failed; will retry');
  }
}

/** A failure no retry can fix (no such job, invalid payload): dead at once. */
class PermanentFailure extends Error {}
