import { errors } from '../errors/framework-errors.ts';
import { DEFAULT_JOBS_LISTED, MAX_JOBS_LISTED } from './job-queries.ts';
import type { JobListFilter } from './job-queries.ts';
import type { JobStatus } from './job-tables.ts';

export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'running', 'done', 'dead'];

/** `cleave jobs list`'s options as typed (or query parameters): strings, any of them absent. */
export interface RawJobListOptions {
  readonly status?: string | undefined;
  readonly name?: string | undefined;
  readonly queue?: string | undefined;
  readonly limit?: string | undefined;
  readonly before?: string | undefined;
}

/**
 * Where a page starts: an instant (jobs created strictly before it) or a job id (jobs after
 * that job in the list's order — the id the previous page printed last).
 */
export type JobListStart = { readonly time: Date } | { readonly id: string };

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Checks the options of a job list and turns them into a filter, the start of the page
 * aside (an id has to be looked up in the module that has it). Throws VALIDATION_FAILED
 * (400 at the edge) naming the option.
 */
export function parseJobListOptions(raw: RawJobListOptions): { filter: Omit<JobListFilter, 'before'> & { limit: number }; start: JobListStart | undefined } {
  const statuses = raw.status === undefined ? undefined : raw.status.split(',').map((s) => s.trim());
  const unknown = statuses?.find((s) => !JOB_STATUSES.includes(s as JobStatus));
  if (unknown !== undefined) throw errors.VALIDATION_FAILED(`status must be one or more (comma-separated) of ${JOB_STATUSES.join(', ')} (got "${unknown}")`);
  const limit = raw.limit === undefined ? DEFAULT_JOBS_LISTED : Number(raw.limit);
  if (!/^\d+$/.test(raw.limit ?? '1') || limit < 1 || limit > MAX_JOBS_LISTED) {
    throw errors.VALIDATION_FAILED(`limit must be a whole number from 1 to ${MAX_JOBS_LISTED} (got "${raw.limit}")`);
  }
  for (const option of ['name', 'queue'] as const) {
    if (raw[option] === '') throw errors.VALIDATION_FAILED(`${option} must not be empty`);
  }
  return {
    filter: {
      limit,
      ...(statuses === undefined ? {} : { statuses: statuses as JobStatus[] }),
      ...(raw.name === undefined ? {} : { name: raw.name }),
      ...(raw.queue === undefined ? {} : { queue: raw.queue }),
    },
    start: parseStart(raw.before),
  };
}

function parseStart(raw: string | undefined): JobListStart | undefined {
  if (raw === undefined) return undefined;
  if (raw === '') throw errors.VALIDATION_FAILED('before must be a job id or an ISO instant');
  if (!ISO_INSTANT.test(raw)) return { id: raw };
  const time = new Date(raw);
  if (Number.isNaN(time.getTime())) throw errors.VALIDATION_FAILED(`before is not a valid instant (got "${raw}")`);
  return { time };
}
