import { CleaveError } from './cleave-error.ts';
import { errors } from './framework-errors.ts';

/*
 * Errors and RFC 9457 problem details, both directions: `toProblem` at every edge (the
 * gateway, the internal listener), `errorFromProblem` where a caller reads one back.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, with Cleave's stable `code` and the trace id. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly code: string;
  readonly traceId: string;
  readonly [extension: string]: unknown;
}

/** Any thrown value as a CleaveError; unknown errors become a 500 that reveals nothing. */
export function asCleaveError(err: unknown): CleaveError {
  return err instanceof CleaveError ? err : errors.INTERNAL();
}

/** Members of a problem that details may not overwrite; details using these names travel under `details`. */
export const RESERVED_PROBLEM_MEMBERS: ReadonlySet<string> = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'traceId', 'details']);

export function toProblem(err: CleaveError, traceId: string, instance?: string): ProblemDetails {
  // Details become RFC 9457 extension members; a key that clashes with a standard member
  // is kept (losslessly) in a nested `details` object instead of overwriting it.
  const extensions: Record<string, unknown> = {};
  const clashing: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err.details ?? {})) (RESERVED_PROBLEM_MEMBERS.has(key) ? clashing : extensions)[key] = value;
  return {
    ...extensions,
    // A stable, dereferenceable-by-convention URI per code; clients should match on `code`.
    type: `urn:cleave:error:${err.code}`,
    title: err.title,
    status: err.status,
    ...(err.detail === undefined ? {} : { detail: err.detail }),
    ...(instance === undefined ? {} : { instance }),
    code: err.code,
    traceId,
    ...(Object.keys(clashing).length ? { details: clashing } : {}),
  };
}

export function problemBody(err: CleaveError, traceId: string, instance?: string): string {
  return JSON.stringify(toProblem(err, traceId, instance));
}

/** Rebuilds the callee's typed error from its problem details, so callers match on `code`. */
export function errorFromProblem(status: number, body: unknown): CleaveError {
  if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
    const { code, title, detail, type: _type, status: _status, instance: _instance, traceId: _traceId, details: clashing, ...extensions } = body as Record<string, unknown>;
    // The inverse of toProblem: extension members plus the clashing keys it nested.
    const details = { ...extensions, ...(clashing && typeof clashing === 'object' ? (clashing as Record<string, unknown>) : {}) };
    return new CleaveError({
      code: code as string,
      status,
      title: typeof title === 'string' ? title : 'Error',
      detail: typeof detail === 'string' ? detail : undefined,
      details: Object.keys(details).length ? details : undefined,
    });
  }
  return errors.DEPENDENCY_UNAVAILABLE(`the service answered ${status} without problem details`);
}
