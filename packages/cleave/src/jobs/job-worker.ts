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
import type { AnyJob, JobContext } from './define-job.ts';
import type { AnySchedule } from './define-schedule.ts';
import type { JobTables } from './job-tables.ts';
import { enqueueDueTicks } from './schedule-ticks.ts';

type JobRow = Selectable<JobTables['jobs']>;

interface Queue {
  readonly name: string;
  readonly concurrency: number;
  /** How long a claim holds: the longest timeout of the queue's jobs plus a grace to record the outcome. */
  readonly leaseMs: number;
  running: number;
}

export interface JobWorkerOptions {
  readonly idleMs?: number;
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
  #nextTickAt = 0;

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
      if (queue === undefined) queues.set(job.queue, { name: job.queue, concurrency: job.concurrency, leaseMs, running: 0 });
      else queues.set(job.queue, { ...queue, concurrency: Math.min(queue.concurrency, job.concurrency), leaseMs: Math.max(queue.leaseMs, leaseMs) });
    }
    this.#queues = queues;
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
    let claimed = 0;
    for (const queue of this.#queues.values()) {
      const free = queue.concurrency - queue.running;
      if (free <= 0) continue;
      const rows = await this.#claim(queue, free);
      claimed += rows.length;
      for (const row of rows) this.#start(queue, row);
    }
    if (claimed > 0) return { worked: true };
    const open = [...this.#queues.values()].filter((q) => q.running < q.concurrency).map((q) => q.name);
    const nextJob = open.length === 0 ? undefined : await this.#nextDue(open);
    const next = Math.min(nextJob ?? Number.POSITIVE_INFINITY, this.#nextTickAt);
    return { worked: false, ...(Number.isFinite(next) ? { nextInMs: Math.max(0, next - Date.now()) } : {}) };
  }

  async #claim(queue: Queue, limit: number): Promise<JobRow[]> {
    const now = new Date();
    const lease = randomUUID();
    const { rows } = await sql<JobRow>`
      update jobs set status = 'running', attempts = attempts + 1, lease = ${lease}, locked_until = ${new Date(now.getTime() + queue.leaseMs)}
      where id in (
        select id from jobs
        where queue = ${queue.name} and status in ('pending', 'running')
          and ((status = 'pending' and run_at <= ${now}) or (status = 'running' and locked_until < ${now}))
        order by run_at, created_at
        limit ${limit}
        for update skip locked)
      returning *`.execute(this.#db);
    return rows;
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
