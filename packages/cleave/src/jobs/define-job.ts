import type { z } from 'zod';
import { configErrors } from '../errors/boot-errors.ts';
import type { ModuleContext } from '../module/module-context.ts';

/** What a job's handler gets besides its payload: the module's context, and which run of which job this is. */
export interface JobContext<DB = unknown> extends ModuleContext<DB> {
  /**
   * `id` is stable across retries: use it (it is also `idempotencyKey`, so `ctx.idempotent`
   * keys on it) to make the effect happen once although the job may run more than once.
   */
  readonly job: { readonly id: string; readonly name: string; readonly attempt: number; readonly maxAttempts: number; readonly key: string | undefined };
}

export interface JobOptions {
  /** Attempts before the job is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at `maxBackoffMs`. Default 1 s and 5 min. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * Time budget of one run, in ms (default 30 s). Past it the attempt counts as failed, and
   * the job's lease (the time other workers leave it alone) is this plus a grace period:
   * a worker killed mid-run leaves a job that runs again once its lease expires.
   */
  readonly timeoutMs?: number;
  /** Jobs sharing a queue share its concurrency. Default: the job's own name. */
  readonly queue?: string;
  /** How many jobs of the queue one worker process runs at once. Default 5. */
  readonly concurrency?: number;
  /**
   * At most `max` runs of the queue start per `perMs` window, across every worker of the
   * module (a third-party API's quota, say). Jobs over the limit wait, they do not fail.
   * Jobs sharing a queue must agree on it. Default: no limit.
   */
  readonly rateLimit?: RateLimit;
}

export interface RateLimit {
  readonly max: number;
  readonly perMs: number;
}

export interface JobDefinition<S extends z.ZodType = z.ZodType, DB = unknown> extends Required<Omit<JobOptions, 'queue' | 'rateLimit'>> {
  readonly kind: 'job';
  readonly rateLimit: RateLimit | undefined;
  readonly name: string;
  readonly payload: S;
  readonly queue: string;
  readonly handler: (payload: z.output<S>, ctx: JobContext<DB>) => Promise<void>;
}

export interface JobSpec<S extends z.ZodType, DB> extends JobOptions {
  /** The payload, validated when enqueued (in the enqueuer's transaction) and again when run. */
  readonly payload: S;
  readonly handler: (payload: z.output<S>, ctx: JobContext<DB>) => Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registries hold jobs of any payload and database type.
export type AnyJob = JobDefinition<z.ZodType, any>;

const NAME = /^[A-Za-z0-9][\w.-]*$/;

/**
 * Declares a background job of a module: enqueued with `tx.enqueue(job, payload)` inside a
 * transaction of that module (a rolled-back change enqueues nothing), run at least once by
 * a worker with retries, exponential backoff, a timeout and a dead-letter state. Finished
 * jobs are kept for a retention period (`CLEAVE_JOBS_RETAIN_DONE`, `CLEAVE_JOBS_RETAIN_DEAD`)
 * and then deleted, which frees their dedupe `key` for a new enqueue.
 *
 * @example
 * export const sendWelcome = defineJob('sendWelcome', {
 *   payload: z.object({ email: z.string(), name: z.string() }),
 *   maxAttempts: 8,
 *   handler: async ({ email, name }, ctx) => { await mailer.send(welcomeEmail({ email, name }, ctx.job.id)); },
 * });
 */
export function defineJob<S extends z.ZodType, DB = unknown>(name: string, spec: JobSpec<S, DB>): JobDefinition<S, DB> {
  if (!NAME.test(name)) throw configErrors.JOB_NAME(`job name "${name}" must be letters, digits, ".", "-" or "_"`);
  const job = {
    kind: 'job' as const,
    name,
    payload: spec.payload,
    handler: spec.handler,
    maxAttempts: spec.maxAttempts ?? 5,
    backoffMs: spec.backoffMs ?? 1_000,
    maxBackoffMs: spec.maxBackoffMs ?? 5 * 60_000,
    timeoutMs: spec.timeoutMs ?? 30_000,
    queue: spec.queue ?? name,
    concurrency: spec.concurrency ?? 5,
    rateLimit: spec.rateLimit,
  };
  for (const option of ['maxAttempts', 'backoffMs', 'maxBackoffMs', 'timeoutMs', 'concurrency'] as const) {
    const value = job[option];
    if (!Number.isInteger(value) || value < (option === 'backoffMs' ? 0 : 1)) {
      throw configErrors.JOB_OPTION_INVALID(`job "${name}": ${option} must be a positive integer (got ${String(value)})`);
    }
  }
  if (job.rateLimit !== undefined) {
    for (const option of ['max', 'perMs'] as const) {
      const value = job.rateLimit[option];
      if (!Number.isInteger(value) || value < 1) throw configErrors.JOB_OPTION_INVALID(`job "${name}": rateLimit.${option} must be a positive integer (got ${String(value)})`);
    }
  }
  return Object.freeze(job);
}

/** Backoff before attempt `attempt + 1` of `job`, after attempt `attempt` failed. */
export function retryDelayMs(job: Pick<JobDefinition, 'backoffMs' | 'maxBackoffMs'>, attempt: number): number {
  return Math.min(job.backoffMs * 2 ** (attempt - 1), job.maxBackoffMs);
}
