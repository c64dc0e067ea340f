import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { configErrors } from '../errors/boot-errors.ts';
import { validationFailed } from '../errors/validation.ts';
import type { EnqueueFn, EnqueueOptions, TransactionEffects } from '../module/module-transaction.ts';
import { formatTraceparent } from '../telemetry/trace-context.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';
import type { AnyJob } from './define-job.ts';
import type { JobTables } from './job-tables.ts';

/**
 * `enqueue` bound to one transaction of one module: validates the payload and writes the
 * job into the module's `jobs` table in that transaction, so the job exists if and only if
 * the change committed (the outbox's rule, for work instead of news). A duplicate dedupe
 * key is a no-op that returns the existing job's id.
 */
export function enqueuerFor(module: string, jobs: ReadonlyMap<string, AnyJob>, trx: Kysely<unknown>, trace: TraceContext, effects: TransactionEffects): EnqueueFn {
  const db = trx as unknown as Kysely<JobTables>;
  return async (job, payload, options) => {
    const declared = jobs.get(job.name);
    if (declared === undefined || declared.payload !== job.payload) {
      throw configErrors.JOB_UNDECLARED(`module "${module}" does not declare job "${job.name}" in its jobs`);
    }
    const parsed = declared.payload.safeParse(payload);
    if (!parsed.success) throw validationFailed(parsed.error, `invalid payload for job ${job.name}`);
    const id = await insertJob(db, declared, parsed.data, options ?? {}, formatTraceparent(trace));
    effects.jobs++;
    return id;
  };
}

/** Inserts one job row (in whatever transaction `db` is); the id of the job that holds the key if one does. */
export async function insertJob(db: Kysely<JobTables>, job: AnyJob, payload: unknown, options: EnqueueOptions, traceparent: string | null): Promise<string> {
  const id = randomUUID();
  const now = Date.now();
  const runAt = options.runAt ?? new Date(now + (options.delayMs ?? 0));
  const inserted = await db
    .insertInto('jobs')
    .values({
      id,
      name: job.name,
      queue: job.queue,
      payload: JSON.stringify(payload),
      status: 'pending',
      attempts: 0,
      max_attempts: job.maxAttempts,
      run_at: runAt,
      unique_key: options.key ?? null,
      traceparent,
      created_at: new Date(now),
    })
    .onConflict((oc) => oc.columns(['name', 'unique_key']).where('unique_key', 'is not', null).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  const existing = await db.selectFrom('jobs').select('id').where('name', '=', job.name).where('unique_key', '=', options.key as string).executeTakeFirstOrThrow();
  return existing.id;
}
