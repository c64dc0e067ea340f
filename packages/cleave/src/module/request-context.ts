import type { TraceContext } from '../telemetry/trace-context.ts';

/** The end user a request acts for, as established by the gateway. */
export interface AuthenticatedUser {
  readonly id: string;
}

/**
 * What travels with every call and event, whatever the transport: trace context
 * (W3C traceparent), who is calling (the end user and the calling module), an absolute
 * deadline, and an optional idempotency key. Immutable: a callee derives its own.
 */
export interface RequestContext {
  readonly trace: TraceContext;
  readonly user: AuthenticatedUser | undefined;
  /** The calling module, or `gateway` for public requests. */
  readonly caller: string;
  /** Epoch milliseconds after which the work is abandoned. */
  readonly deadline: number;
  readonly idempotencyKey: string | undefined;
}

/** Options a caller may set on one call. */
export interface CallOptions {
  /** Shorter timeout for this call, in ms; never extends the caller's own deadline. */
  readonly timeoutMs?: number;
  readonly idempotencyKey?: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Remaining time budget in ms (negative once the deadline has passed). */
export function remainingMs(ctx: Pick<RequestContext, 'deadline'>): number {
  return ctx.deadline - Date.now();
}
