import type { Kysely, Selectable, Updateable } from 'kysely';
import { validationFailed } from '../errors/validation.ts';
import type { ModuleHost } from '../module/module-host.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import { jobRunAttributes } from '../telemetry/semantic-attributes.ts';
import { parseTraceparent } from '../telemetry/trace-context.ts';
import { withDeadline } from '../util/with-deadline.ts';
import { retryDelayMs } from './define-job.ts';
import type { AnyJob, JobContext } from './define-job.ts';
import type { JobTables } from './job-tables.ts';

export type JobRow = Selectable<JobTables['jobs']>;

/** How a run ended, for the job's row: done, back to pending after a backoff, or dead. */
export type JobOutcome =
  | { readonly status: 'done' }
  | { readonly status: 'pending'; readonly retryInMs: number; readonly error: unknown }
  | { readonly status: 'dead'; readonly error: unknown };

/**
 * Runs one claimed job (a row its worker holds the lease of) under a `job <name>` span
 * continuing the enqueuer's trace: validates the payload, calls the handler with the
 * module's context and the job's deadline, and says how it ended. Never throws — every
 * failure is an outcome. Both backends run jobs through here; they differ only in how a
 * row is claimed and how its next attempt is woken.
 */
export async function runClaimedJob(host: ModuleHost, job: AnyJob | undefined, row: JobRow): Promise<JobOutcome> {
  const span = host.tracer.startSpan(`job ${row.name}`, parseTraceparent(row.traceparent), 'consumer', jobRunAttributes(host.name, row.name, row.id, row.attempts));
  try {
    if (job === undefined) throw new PermanentFailure(`module "${host.name}" declares no job "${row.name}"`);
    // Claimed again after its last attempt's lease expired: that worker died mid-run.
    if (row.attempts > row.max_attempts) throw new PermanentFailure(`the worker of attempt ${row.max_attempts} stopped before recording an outcome`);
    const payload = job.payload.safeParse(row.payload);
    if (!payload.success) throw new PermanentFailure(validationFailed(payload.error, `payload of job ${row.name}`).message);
    const deadline = Date.now() + job.timeoutMs;
    await withDeadline(job.handler(payload.data, jobContext(host, row, job, span.trace, deadline)), deadline, `job ${row.name}`);
  } catch (err) {
    span.end(err);
    const dead = err instanceof PermanentFailure || job === undefined || row.attempts >= row.max_attempts;
    return dead ? { status: 'dead', error: err } : { status: 'pending', retryInMs: retryDelayMs(job, row.attempts), error: err };
  }
  span.end();
  return { status: 'done' };
}

function jobContext(host: ModuleHost, row: JobRow, job: AnyJob, trace: JobContext['trace'], deadline: number): JobContext {
  const request = { trace, user: undefined, caller: host.name, deadline, idempotencyKey: `job:${row.id}` };
  const base = host.context(request, `job ${row.name}`);
  return {
    ...request,
    module: base.module,
    db: base.db,
    log: host.logger.child({ ...traceLogFields(trace), job: row.name, jobId: row.id }),
    call: (op, input, options) => base.call(op, input, options),
    transaction: (fn) => base.transaction(fn),
    idempotent: (fn) => base.idempotent(fn),
    job: { id: row.id, name: row.name, attempt: row.attempts, maxAttempts: job.maxAttempts, key: row.unique_key ?? undefined },
  };
}

/**
 * Writes a run's outcome to its row, only while the run still holds the row's lease (a run
 * that outlived it lost the job to another worker, whose outcome counts). `retry` adds
 * columns to a retry's update (the BullMQ backend's next delivery). Returns whether the
 * outcome was recorded.
 */
export async function recordOutcome(host: ModuleHost, row: JobRow, outcome: JobOutcome, retry: Updateable<JobTables['jobs']> = {}): Promise<boolean> {
  const db = host.db as Kysely<JobTables>;
  const now = Date.now();
  const released = { lease: null, locked_until: null };
  const set: Updateable<JobTables['jobs']> =
    outcome.status === 'done'
      ? { ...released, status: 'done', finished_at: new Date(now), last_error: null }
      : outcome.status === 'dead'
        ? { ...released, status: 'dead', finished_at: new Date(now), run_at: new Date(now), last_error: messageOf(outcome.error) }
        : { ...released, ...retry, status: 'pending', run_at: new Date(now + outcome.retryInMs), last_error: messageOf(outcome.error) };
  const result = await db.updateTable('jobs').set(set).where('id', '=', row.id).where('lease', '=', row.lease).executeTakeFirst();
  const log = host.logger;
  if (outcome.status === 'dead') log.error({ err: outcome.error, job: row.name, jobId: row.id, attempts: row.attempts }, 'job dead-lettered');
  if (outcome.status === 'pending') log.warn({ err: outcome.error, job: row.name, jobId: row.id, attempt: row.attempts, retryInMs: outcome.retryInMs }, 'job failed; will retry');
  return result.numUpdatedRows > 0n;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 2000);

/** A failure no retry can fix (no such job, invalid payload): dead at once. */
class PermanentFailure extends Error {}
