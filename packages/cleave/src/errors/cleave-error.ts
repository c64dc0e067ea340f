/**
 * The one error type that crosses module, transport and HTTP boundaries.
 *
 * A `CleaveError` carries a stable, namespaced `code` (`users.EMAIL_TAKEN`,
 * `cleave.VALIDATION_FAILED`), the HTTP status it maps to at the edge, and optional
 * structured `details` (field errors, limits). Because it serialises to and from
 * RFC 9457 problem details losslessly, a caller sees the same error whether the callee
 * ran in its own process or across the network.
 *
 * @example
 * throw new CleaveError({ code: 'posts.NOT_FOUND', status: 404, title: 'Post not found' });
 */
export interface CleaveErrorInit {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  readonly cause?: unknown;
}

export class CleaveError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(init: CleaveErrorInit) {
    super(init.detail ?? init.title, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CleaveError';
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.details = init.details;
  }
}

/** True when `err` is a CleaveError, optionally with the given code. */
export function isCleaveError(err: unknown, code?: string | { readonly code: string }): err is CleaveError {
  if (!(err instanceof CleaveError)) return false;
  if (code === undefined) return true;
  return err.code === (typeof code === 'string' ? code : code.code);
}
