import type { Kysely } from 'kysely';
import type { AnySchedule } from './define-schedule.ts';
import { insertJob } from './enqueue.ts';
import type { JobTables } from './job-tables.ts';

/**
 * Enqueues the due tick of each schedule, once across all replicas: the schedule's row in
 * `job_schedules` is locked while a replica moves `last_tick` forward, and the tick is the
 * job's dedupe key besides. Missed ticks: only the latest tick at or before `now` is
 * enqueued, so a worker back after a day's outage runs a daily schedule once, not once
 * per missed day. A schedule seen for the first time starts from its latest past tick
 * (recorded, not run). Returns when the next tick of any schedule is due.
 */
export async function enqueueDueTicks(db: Kysely<JobTables>, schedules: readonly AnySchedule[], now: Date): Promise<{ enqueued: number; nextAt: number | undefined }> {
  let enqueued = 0;
  let nextAt: number | undefined;
  for (const schedule of schedules) {
    const tick = schedule.previousTick(now);
    if (tick !== undefined) {
      enqueued += await db.transaction().execute(async (trx) => {
        const first = await trx.insertInto('job_schedules').values({ name: schedule.name, last_tick: tick }).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst();
        if (first) return 0;
        const row = await trx.selectFrom('job_schedules').select('last_tick').where('name', '=', schedule.name).forUpdate().executeTakeFirstOrThrow();
        if (new Date(row.last_tick).getTime() >= tick.getTime()) return 0;
        const key = tick.toISOString();
        await insertJob(trx, schedule.job, { tick: key }, { key, runAt: tick }, null);
        await trx.updateTable('job_schedules').set({ last_tick: tick }).where('name', '=', schedule.name).execute();
        return 1;
      });
    }
    const next = schedule.nextTick(now)?.getTime();
    if (next !== undefined && (nextAt === undefined || next < nextAt)) nextAt = next;
  }
  return { enqueued, nextAt };
}

/** A run asked for by hand is keyed `manual:<instant>`; a cron tick's key is the bare instant, so they cannot collide. */
export const MANUAL_RUN_PREFIX = 'manual:';

/**
 * "Run now": enqueues the schedule's job for the current instant (its payload's `tick`),
 * due at once, beside the cron ticks rather than in their place — `last_tick` does not
 * move, so the next cron tick still runs on time. Returns the job's id and its tick.
 */
export async function enqueueRunNow(db: Kysely<JobTables>, schedule: AnySchedule, now = new Date()): Promise<{ id: string; tick: string }> {
  const tick = now.toISOString();
  const id = await insertJob(db, schedule.job, { tick }, { key: `${MANUAL_RUN_PREFIX}${tick}`, runAt: now }, null);
  return { id, tick };
}

/**
 * The tick side of a jobs loop: enqueues due ticks when the next is due, and says when
 * that is — never, for a loop without schedules (a 0 there once made an idle pass spin).
 */
export class DueTicks {
  #nextAt: number;

  constructor(
    private readonly db: Kysely<JobTables>,
    private readonly schedules: readonly AnySchedule[],
  ) {
    this.#nextAt = schedules.length > 0 ? 0 : Number.POSITIVE_INFINITY;
  }

  /** When the next tick of any schedule is due (ms since the epoch; infinite without schedules). */
  get nextAt(): number {
    return this.#nextAt;
  }

  async enqueueDue(now: number): Promise<void> {
    if (now < this.#nextAt) return;
    const { nextAt } = await enqueueDueTicks(this.db, this.schedules, new Date(now));
    this.#nextAt = nextAt ?? Number.POSITIVE_INFINITY;
  }
}
