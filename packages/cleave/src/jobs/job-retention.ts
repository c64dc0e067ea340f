import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { JobRetention } from './job-retention-settings.ts';
import type { JobStatus, JobTables } from './job-tables.ts';

export interface PruneOptions {
  /** Done jobs that finished before this are deleted; undefined keeps every done job. */
  readonly doneBefore?: Date | undefined;
  /** Dead jobs that finished (were dead-lettered) before this are deleted; undefined keeps them. */
  readonly deadBefore?: Date | undefined;
  /** Rows per delete statement. Default 500. */
  readonly batch?: number;
  /** Stop after this many statements (the rest waits for the next prune). Default: until none is left. */
  readonly maxBatches?: number;
}

export const DEFAULT_PRUNE_BATCH = 500;
/** A worker's pass deletes at most this many batches, so a large backlog never holds up its claims for long. */
const PRUNE_BATCHES_PER_PASS = 20;

/**
 * Deletes finished jobs older than the retention: `done` ones finished before `doneBefore`,
 * `dead` ones before `deadBefore`. Small batches, each its own statement, so no delete
 * holds many row locks or a long transaction, and claims and enqueues go on between them;
 * `skip locked` leaves a row that someone is changing (a dead job being retried) alone.
 * Returns how many jobs it deleted.
 *
 * A deleted job's dedupe key is free again: an enqueue with that key afterwards inserts a
 * new job. Schedules do not depend on it — `job_schedules.last_tick` never lets a tick be
 * enqueued twice — but a key meant to hold "for good" holds only as long as its job is kept.
 */
export async function pruneFinishedJobs(db: Kysely<JobTables>, options: PruneOptions): Promise<number> {
  const batch = options.batch ?? DEFAULT_PRUNE_BATCH;
  let budget = options.maxBatches ?? Number.POSITIVE_INFINITY;
  let removed = 0;
  const targets: [JobStatus, Date | undefined][] = [['done', options.doneBefore], ['dead', options.deadBefore]];
  for (const [status, before] of targets) {
    while (before !== undefined && budget > 0) {
      budget--;
      const result = await sql`
        delete from jobs where id in (
          select id from jobs where status = ${status} and finished_at < ${before}
          limit ${batch} for update skip locked)`.execute(db);
      const deleted = Number(result.numAffectedRows ?? 0n);
      removed += deleted;
      if (deleted < batch) break;
    }
  }
  return removed;
}

/**
 * When a worker prunes: at most once per `everyMs` (default 10 min), with cut-offs from
 * the retention settings. A worker pass calls `pruneIfDue` and moves on; replicas pruning
 * at the same time skip each other's locked rows. Not a timer of its own: an idle module
 * costs no extra wake-ups, and a stopped worker prunes nothing.
 */
export class JobPruneSchedule {
  #nextAt = 0;

  constructor(
    private readonly retention: JobRetention,
    private readonly everyMs = 10 * 60_000,
    private readonly batch = DEFAULT_PRUNE_BATCH,
  ) {}

  /** Prunes if the last prune is `everyMs` old (or none ran yet); returns the jobs deleted, 0 when not due. */
  async pruneIfDue(db: Kysely<JobTables>, now = Date.now()): Promise<number> {
    if (now < this.#nextAt || (this.retention.doneMs === undefined && this.retention.deadMs === undefined)) return 0;
    const cutOff = (ms: number | undefined) => (ms === undefined ? undefined : new Date(now - ms));
    const removed = await pruneFinishedJobs(db, { doneBefore: cutOff(this.retention.doneMs), deadBefore: cutOff(this.retention.deadMs), batch: this.batch, maxBatches: PRUNE_BATCHES_PER_PASS });
    // A backlog (retention just switched on, or lowered) drains a bounded slice per pass, pass after pass.
    this.#nextAt = removed >= this.batch * PRUNE_BATCHES_PER_PASS ? now : now + this.everyMs;
    return removed;
  }
}
