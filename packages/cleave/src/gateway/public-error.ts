import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';

/**
 * Errors that describe this system's own wiring (which module called which, which
 * operation is missing, what a handler returned): useful in the log, which keeps them
 * with the trace id, but nothing a client can act on and a map for an attacker.
 */
const INTERNAL_CODES: ReadonlySet<string> = new Set([
  errors.INTERNAL.code,
  errors.UNDECLARED_DEPENDENCY.code,
  errors.UNKNOWN_OPERATION.code,
  errors.OUTPUT_INVALID.code,
]);

/** Longest `detail` a public problem carries; details echo input, and input can be large. */
export const MAX_PUBLIC_DETAIL = 1_000;

/** Seconds a client should wait before retrying a 503: about one circuit half-open period. */
export const RETRY_AFTER_SECONDS = '2';

/** The error as a client may see it at the public edge. */
export function publicError(error: CleaveError): CleaveError {
  if (INTERNAL_CODES.has(error.code)) return errors.INTERNAL();
  if (error.detail !== undefined && error.detail.length > MAX_PUBLIC_DETAIL) {
    const { code, status, title, details } = error;
    return new CleaveError({ code, status, title, details, detail: `${error.detail.slice(0, MAX_PUBLIC_DETAIL)}…` });
  }
  return error;
}
