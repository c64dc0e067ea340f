/**
 * The internal protocol between services, every path in one place. A call is
 * `POST /_cleave/call/<module>/<operation>` with the JSON input as body, answered by the
 * JSON output (200) or problem details; HTTP event push is `POST /_cleave/events` with a
 * batch of envelopes. Internal routes live on each service's internal listener, never
 * on the public gateway.
 */
export const CALL_PATH_PREFIX = '/_cleave/call/';
export const SERVICE_JWKS_PATH = '/_cleave/jwks.json';
export const SERVICE_INFO_PATH = '/_cleave/info';
export const EVENTS_PATH = '/_cleave/events';

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
