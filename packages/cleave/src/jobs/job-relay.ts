import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { ModuleHost } from '../module/module-host.ts';
import { IDLE_POLL_MAX_MS, IDLE_POLL_MS, WakeableLoop } from '../util/wakeable-loop.ts';
import type { PassResult } from '../util/wakeable-loop.ts';
import type { AnySchedule } from './define-schedule.ts';
import type { JobTables } from './job-tables.ts';
import { JobPruneSchedule } from './job-retention.ts';
import { DEFAULT_JOB_RETENTION } from './job-retention-settings.ts';
import type { JobRetention } from './job-retention-settings.ts';
import { DueTicks } from './schedule-ticks.ts';

/** A pending row handed to the queue backend: deliver `deliveryId` (the queue job's id) at `runAt`. */
export interface JobDelivery {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  readonly runAt: Date;
  readonly deliveryId: string;
}

/** Hands deliveries to the queue backend; resolves once it stored them all (BullMQ: Redis acknowledged). */
export type DeliverJobs = (deliveries: readonly JobDelivery[]) => Promise<void>;

export interface JobRelayOptions {
  readonly idleMs?: number;
  /** A delivery still pending this long after it was due (and after it was handed over) is handed over again. */
  readonly overdueMs?: number;
  readonly batch?: number;
  /** How long finished jobs are kept; the relay prunes them (the BullMQ backend has no table worker). */
  readonly retention?: JobRetention;
}

/**
 * The outbox side of the BullMQ jobs backend (ADR 0023): the `jobs` table stays where a job
 * is enqueued, in the enqueuer's transaction, and this loop hands committed pending rows to
 * the queue backend. Each row gets a delivery id (`relayed_as`) *before* it is handed over,
 * so a worker that receives the delivery at once finds it recorded; a worker claims a row
 * only for the delivery it holds, so stale and repeated deliveries do nothing. Also, per pass:
 *
 * - the module's schedules' due ticks (once across replicas, as with the table worker), and
 *   the pruning of finished jobs past their retention;
 * - rows whose worker died mid-run (lease expired) go back to pending for a new delivery
 *   (the claim then counts the attempt; past the last one the run dead-letters the job);
 * - a delivery overdue by `overdueMs` is handed over again under the same id: if Redis still
 *   has it, BullMQ drops the repeat; if Redis lost it (restart without its data, a failed
 *   hand-over whose rollback failed too), the job is delivered again instead of waiting forever.
 *
 * Several relays of one module (replicas, the host and a worker service) share the work:
 * each row is taken by one of them (`for update skip locked`).
 */
export class JobRelay extends WakeableLoop {
  readonly #db: Kysely<JobTables>;
  readonly #ticks: DueTicks;
  readonly #pruning: JobPruneSchedule;
  readonly #overdueMs: number;
  readonly #batch: number;

  constructor(
    private readonly host: ModuleHost,
    schedules: readonly AnySchedule[],
    private readonly deliver: DeliverJobs,
    options: JobRelayOptions = {},
  ) {
    super(options.idleMs ?? IDLE_POLL_MS, (err) => host.logger.warn({ err }, 'job relay: a pass failed; will retry'), options.idleMs ?? IDLE_POLL_MAX_MS);
    this.#db = host.db as Kysely<JobTables>;
    this.#ticks = new DueTicks(this.#db, schedules);
    this.#pruning = new JobPruneSchedule(options.retention ?? DEFAULT_JOB_RETENTION);
    this.#overdueMs = options.overdueMs ?? 60_000;
    this.#batch = options.batch ?? 500;
  }

  protected async pass(): Promise<PassResult> {
    const now = Date.now();
    await this.#ticks.enqueueDue(now);
    await this.#pruning.pruneIfDue(this.#db, now);
    const deliveries = await this.#take(new Date(now));
    if (deliveries.length === 0) {
      // Awake when the next tick is due or a running job's lease ends (its worker may be gone).
      const next = Math.min(this.#ticks.nextAt, (await this.#earliestLeaseEnd()) ?? Number.POSITIVE_INFINITY);
      return { worked: false, ...(Number.isFinite(next) ? { nextInMs: Math.max(0, next - Date.now()) } : {}) };
    }
    const recovered = deliveries.filter((d) => d.recovered).length;
    if (recovered > 0) this.host.logger.warn({ jobs: recovered }, 'job relay: jobs whose worker stopped mid-run go back to their queue');
    await this.#handOver(deliveries);
    return { worked: true };
  }

  async #earliestLeaseEnd(): Promise<number | undefined> {
    const row = await this.#db.selectFrom('jobs').select((eb) => eb.fn.min('locked_until').as('next')).where('status', '=', 'running').executeTakeFirst();
    return row?.next ? new Date(row.next).getTime() + 1 : undefined;
  }

  /**
   * In one statement, the rows to hand over, each with its delivery id recorded: pending rows
   * not handed over yet; overdue ones (their id kept, so a copy Redis still holds is dropped);
   * and running rows whose lease expired — their worker died (or overran) — back to pending
   * now, under a new id. SET sees the row as it was, so `status` there is the old one.
   */
  async #take(now: Date): Promise<(JobDelivery & { recovered: boolean })[]> {
    const cutoff = new Date(now.getTime() - this.#overdueMs);
    const { rows } = await sql<{ id: string; name: string; queue: string; run_at: Date; relayed_as: string; was: string }>`
      with taken as (
        select id, status as was from jobs
        where (status = 'pending' and (relayed_as is null or (run_at < ${cutoff} and relayed_at < ${cutoff})))
           or (status = 'running' and locked_until < ${now})
        order by run_at
        limit ${this.#batch}
        for update skip locked)
      update jobs set
        status = 'pending',
        run_at = case when jobs.status = 'running' then ${now} else jobs.run_at end,
        lease = null,
        locked_until = null,
        relayed_as = case when jobs.status = 'running' then gen_random_uuid()::text else coalesce(jobs.relayed_as, gen_random_uuid()::text) end,
        relayed_at = ${now}
      from taken
      where jobs.id = taken.id
      returning jobs.id, jobs.name, jobs.queue, jobs.run_at, jobs.relayed_as, taken.was`.execute(this.#db);
    return rows.map((r) => ({ id: r.id, name: r.name, queue: r.queue, runAt: new Date(r.run_at), deliveryId: r.relayed_as, recovered: r.was === 'running' }));
  }

  /** Hands the deliveries over; if that fails, forgets their ids so the next pass (after the loop's backoff) takes them again. */
  async #handOver(deliveries: readonly JobDelivery[]): Promise<void> {
    try {
      await this.deliver(deliveries);
    } catch (err) {
      await this.#db
        .updateTable('jobs')
        .set({ relayed_as: null })
        .where('status', '=', 'pending')
        .where('relayed_as', 'in', deliveries.map((d) => d.deliveryId))
        .execute()
        .catch(() => {}); // the overdue check hands them over again
      throw err;
    }
  }
}
