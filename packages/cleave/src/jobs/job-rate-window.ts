import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { RateLimit } from './define-job.ts';
import type { JobTables } from './job-tables.ts';

/** A rate-limited queue's window as one claim finds it: how many may start now, or when one may. */
export type WindowState = { readonly now: Date; readonly allowed: number } | { readonly now: Date; readonly allowed: 0; readonly freesInMs: number };

/**
 * Opens a rate-limited queue's window for a claim, inside the claim's transaction `trx`
 * and for every worker of the module at once, whichever backend delivers the jobs: under
 * the row lock of the queue's `job_queues` row (the upsert takes it, first claim or not),
 * drops starts older than the window from `job_starts` and counts the rest. Times are the
 * database's clock, so replicas whose clocks disagree still share one window. A sliding
 * window: no `perMs` span ever holds more than `max` starts (BullMQ's own limiter is a fixed
 * window, which lets up to 2 × max through across a window's edge, so it is not used).
 * The claim records what it started with `recordStarts`, in the same transaction.
 */
export async function openRateWindow(trx: Kysely<JobTables>, queue: string, limit: RateLimit, wanted: number): Promise<WindowState> {
  await sql`insert into job_queues (name) values (${queue}) on conflict (name) do update set name = excluded.name`.execute(trx);
  const { rows: [clock] } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(trx);
  const now = new Date((clock as { now: Date }).now);
  await trx.deleteFrom('job_starts').where('queue', '=', queue).where('started_at', '<=', new Date(now.getTime() - limit.perMs)).execute();
  const { started } = await trx.selectFrom('job_starts').select((eb) => eb.fn.countAll<string>().as('started')).where('queue', '=', queue).executeTakeFirstOrThrow();
  const allowed = Math.min(wanted, limit.max - Number(started));
  if (allowed > 0) return { now, allowed };
  // The max-th most recent start: once it leaves the window, one start is free again.
  const { rows: [edge] } = await sql<{ started_at: Date }>`select started_at from job_starts where queue = ${queue} order by started_at desc offset ${limit.max - 1} limit 1`.execute(trx);
  const freesInMs = edge === undefined ? 0 : new Date(edge.started_at).getTime() + limit.perMs - now.getTime();
  return { now, allowed: 0, freesInMs: Math.max(1, freesInMs) };
}

/** Counts `count` starts at `now` (the window's clock) against the queue's limit. */
export async function recordStarts(trx: Kysely<JobTables>, queue: string, count: number, now: Date): Promise<void> {
  if (count > 0) await trx.insertInto('job_starts').values(Array.from({ length: count }, () => ({ queue, started_at: now }))).execute();
}
