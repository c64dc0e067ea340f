import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry, wrap } from 'cockatiel';
import type { IPolicy } from 'cockatiel';

export interface ResilienceOptions {
  /** Consecutive transport failures that open a target's circuit. */
  readonly breakerThreshold: number;
  /** How long an open circuit refuses calls before letting one probe through. */
  readonly halfOpenAfterMs: number;
  /** Retries for idempotent operations (never for others). */
  readonly retries: number;
}

export const defaultResilience: ResilienceOptions = { breakerThreshold: 5, halfOpenAfterMs: 2_000, retries: 2 };

/** Marks a failure of the link or the callee's availability, as opposed to an answer. */
export class TransportFailure extends Error {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportFailure';
  }
}

/**
 * Per target service: a circuit breaker (cockatiel) shared by every call to it, and for
 * idempotent operations a retry with exponential backoff wrapped around it. Only
 * transport failures count; a typed error from the callee is an answer, not a fault.
 */
export class TargetPolicies {
  readonly breaker;
  readonly idempotent: IPolicy;
  readonly once: IPolicy;

  constructor(options: ResilienceOptions = defaultResilience) {
    const failures = handleWhen((err) => err instanceof TransportFailure);
    this.breaker = circuitBreaker(failures, { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.breakerThreshold) });
    const retries = retry(handleWhen((err) => err instanceof TransportFailure && err.retryable), {
      maxAttempts: options.retries,
      backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 400 }),
    });
    this.idempotent = wrap(retries, this.breaker);
    this.once = this.breaker;
  }
}
