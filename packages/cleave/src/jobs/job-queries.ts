import type { Kysely, Selectable } from 'kysely';
import type { AnySchedule } from './define-schedule.ts';
import type { JobStatus, JobTables } from './job-tables.ts';

export interface JobSummary {
  readonly id: string;
  readonly module: string;
  readonly name: string;
  readonly queue: string;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: string;
  readonly key: string | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface JobDetail extends JobSummary {
  readonly payload: unknown;
  readonly traceparent: string | null;
  readonly lockedUntil: string | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString());

function summary(module: string, r: Selectable<JobTables['jobs']>): JobSummary {
  return {
    id: r.id,
    module,
    name: r.name,
    queue: r.queue,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    runAt: new Date(r.run_at).toISOString(),
    key: r.unique_key,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    startedAt: iso(r.started_at ?? null),
    finishedAt: iso(r.finished_at),
  };
}

/** Where a page of `listJobs` ends: the next page holds the jobs after it in the list's order (newest first). */
export interface JobCursor {
  readonly createdAt: Date;
  /** The last job shown; without it, the page starts at jobs created strictly before `createdAt`. */
  readonly id?: string;
}

/** Which jobs `listJobs` returns: every field narrows the list; `limit` is at most `MAX_JOBS_LISTED`. */
export interface JobListFilter {
  readonly statuses?: readonly JobStatus[];
  readonly name?: string;
  readonly queue?: string;
  readonly before?: JobCursor;
  readonly limit?: number;
}

export const DEFAULT_JOBS_LISTED = 100;
/** A page is read into memory and sorted: bounded, so a typo cannot ask for a million rows. */
export const MAX_JOBS_LISTED = 1_000;

/**
 * A module's jobs, newest first (`created_at`, then `id`, a total order across modules
 * too), narrowed by `filter`. Page back with `before` = the last job of the page.
 */
export async function listJobs(module: string, db: Kysely<JobTables>, filter: JobListFilter = {}): Promise<JobSummary[]> {
  const limit = Math.min(filter.limit ?? DEFAULT_JOBS_LISTED, MAX_JOBS_LISTED);
  let query = db.selectFrom('jobs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit);
  if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('status', 'in', filter.statuses);
  if (filter.name !== undefined) query = query.where('name', '=', filter.name);
  if (filter.queue !== undefined) query = query.where('queue', '=', filter.queue);
  const before = filter.before;
  if (before !== undefined) {
    query = before.id === undefined
      ? query.where('created_at', '<', before.createdAt)
      : query.where((eb) => eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id as string)])]));
  }
  return (await query.execute()).map((r) => summary(module, r));
}

/** The cursor of a job (to page on from it), if this module has it. */
export async function jobCursor(db: Kysely<JobTables>, id: string): Promise<JobCursor | undefined> {
  const row = await db.selectFrom('jobs').select(['id', 'created_at']).where('id', '=', id).executeTakeFirst();
  return row && { createdAt: new Date(row.created_at), id: row.id };
}

/**
 * One page out of several modules' pages (each already newest first and at most `limit`
 * long): the newest `limit` of them, and whether any job was left over for a next page.
 */
export function newestJobs(pages: readonly (readonly JobSummary[])[], limit: number): { jobs: JobSummary[]; more: boolean } {
  const all = pages.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return { jobs: all.slice(0, limit), more: all.length > limit || pages.some((p) => p.length >= limit) };
}

export async function showJob(module: string, db: Kysely<JobTables>, id: string): Promise<JobDetail | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row && { ...summary(module, row), payload: row.payload, traceparent: row.traceparent, lockedUntil: iso(row.locked_until) };
}

/**
 * Sends a dead job back to its worker with a fresh set of attempts, due now. Only dead
 * jobs: one pending or running is already on its way. Returns whether it was revived.
 */
export async function retryJob(db: Kysely<JobTables>, id: string): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'pending', attempts: 0, run_at: new Date(), finished_at: null, lease: null, locked_until: null, relayed_as: null })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Jobs per queue and status (for /metrics: the live states; the dashboard asks for `done` too). */
export async function jobCounts(db: Kysely<JobTables>, statuses: readonly JobStatus[] = ['pending', 'running', 'dead']): Promise<{ queue: string; status: JobStatus; count: number }[]> {
  const rows = await db.selectFrom('jobs').select(['queue', 'status']).select((eb) => eb.fn.countAll<string>().as('count')).where('status', 'in', statuses).groupBy(['queue', 'status']).execute();
  return rows.map((r) => ({ queue: r.queue, status: r.status, count: Number(r.count) }));
}

/** Jobs that failed: dead ones, and pending or running ones whose last attempt failed (retrying), newest first. */
export async function listFailingJobs(module: string, db: Kysely<JobTables>, limit = 100): Promise<JobSummary[]> {
  const rows = await db
    .selectFrom('jobs')
    .selectAll()
    .where((eb) => eb.or([eb('status', '=', 'dead'), eb.and([eb('status', 'in', ['pending', 'running']), eb('last_error', 'is not', null)])]))
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => summary(module, r));
}

export interface ScheduleState {
  readonly module: string;
  readonly name: string;
  readonly cron: string;
  readonly timeZone: string;
  /** The latest tick enqueued (or recorded at the schedule's first start); null before any worker ran it. */
  readonly lastTick: string | null;
  readonly nextTick: string | null;
}

/** A module's schedules as declared, with the tick their `job_schedules` row records and the next one after `now`. */
export async function listSchedules(module: string, db: Kysely<JobTables>, schedules: readonly AnySchedule[], now: Date): Promise<ScheduleState[]> {
  if (schedules.length === 0) return [];
  const rows = await db.selectFrom('job_schedules').selectAll().where('name', 'in', schedules.map((s) => s.name)).execute();
  const last = new Map(rows.map((r) => [r.name, new Date(r.last_tick).toISOString()]));
  return schedules.map((s) => ({ module, name: s.name, cron: s.cron, timeZone: s.timeZone, lastTick: last.get(s.name) ?? null, nextTick: s.nextTick(now)?.toISOString() ?? null }));
}
