import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';

/**
 * The wire format of a call between services: `POST /_cleave/call/<module>/<operation>`
 * with the JSON input as body, answered by the JSON output (200) or problem details.
 * Internal routes live on each service's internal listener, never on the public gateway.
 */
export const CALL_PATH_PREFIX = '/_cleave/call/';
export const SERVICE_JWKS_PATH = '/_cleave/jwks.json';
export const SERVICE_INFO_PATH = '/_cleave/info';

export const headers = {
  /** `Bearer <service token>`. */
  authorization: 'authorization',
  traceparent: 'traceparent',
  /** Remaining time budget in milliseconds: clocks of two hosts need not agree. */
  deadline: 'cleave-deadline-ms',
  /** The calling module, for logs and spans (authorization is by the token's service). */
  caller: 'cleave-caller',
  /** Percent-encoded: HTTP header values are Latin-1, idempotency keys are any text. */
  idempotencyKey: 'cleave-idempotency-key',
} as const;

export function callPath(module: string, operation: string): string {
  return `${CALL_PATH_PREFIX}${module}/${operation}`;
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
