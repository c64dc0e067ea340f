import { configErrors } from '../errors/boot-errors.ts';

/** How long finished jobs are kept; `undefined` keeps them for good. */
export interface JobRetention {
  readonly doneMs: number | undefined;
  readonly deadMs: number | undefined;
}

/**
 * Done jobs: a week, enough to look back at what ran and far past any retry of the
 * enqueue that would reuse a dedupe key. Dead jobs: 30 days — they wait for an operator
 * (`cleave jobs retry`), and there are few of them.
 */
export const DEFAULT_JOB_RETENTION: JobRetention = { doneMs: 7 * 86_400_000, deadMs: 30 * 86_400_000 };

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `CLEAVE_JOBS_RETAIN_DONE` and `CLEAVE_JOBS_RETAIN_DEAD`: a duration (`90m`, `36h`, `7d`,
 * `2w`; a bare number is seconds), or `forever` to never delete. Throws SETTING_INVALID.
 */
export function jobRetentionFromEnv(env: NodeJS.ProcessEnv): JobRetention {
  return {
    doneMs: parseRetention(env, 'CLEAVE_JOBS_RETAIN_DONE', DEFAULT_JOB_RETENTION.doneMs),
    deadMs: parseRetention(env, 'CLEAVE_JOBS_RETAIN_DEAD', DEFAULT_JOB_RETENTION.deadMs),
  };
}

function parseRetention(env: NodeJS.ProcessEnv, name: string, fallback: number | undefined): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'forever') return undefined;
  const match = /^(\d+)(ms|s|m|h|d|w)?$/.exec(raw);
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? 's'] as number) : Number.NaN;
  // Zero would delete a job the moment it finishes, before anyone (or a dedupe key) saw it.
  if (!Number.isSafeInteger(ms) || ms <= 0) throw configErrors.SETTING_INVALID(`${name} must be a positive duration such as 36h, 7d or 2w, or forever (got "${raw}")`);
  return ms;
}
