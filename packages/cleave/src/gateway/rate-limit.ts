import type { MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { errors } from '../errors/framework-errors.ts';
import type { GatewayEnv } from './gateway-env.ts';

/** One limit: `points` requests per `durationSeconds`, counted per client IP or per user. */
export interface RateLimitPolicy {
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
  readonly key: 'ip' | 'user';
  /** Path prefix the policy applies to; absent → every `/api/v1` route. */
  readonly pathPrefix?: string;
}

export const defaultRateLimits: readonly RateLimitPolicy[] = [
  { name: 'ip', points: 600, durationSeconds: 60, key: 'ip' },
  { name: 'user', points: 1200, durationSeconds: 60, key: 'user' },
  { name: 'auth', points: 20, durationSeconds: 60, key: 'ip', pathPrefix: '/api/v1/auth/' },
];

/** Builds the limiter store of a policy; memory here, Redis across replicas. */
export type LimiterFactory = (policy: RateLimitPolicy) => RateLimiterAbstract;

export const memoryLimiter: LimiterFactory = (policy) =>
  new RateLimiterMemory({ keyPrefix: policy.name, points: policy.points, duration: policy.durationSeconds });

interface Outcome {
  readonly policy: RateLimitPolicy;
  readonly res: RateLimiterRes;
}

/**
 * Applies every matching policy (rate-limiter-flexible) and reports the tightest in the
 * IETF `RateLimit-Policy` / `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset`
 * headers; a refused request gets 429 problem+json with `Retry-After`.
 * Runs where the user is known, so `user` policies count per user and skip anonymous calls.
 */
export function rateLimit(policies: readonly RateLimitPolicy[], factory: LimiterFactory = memoryLimiter): MiddlewareHandler<GatewayEnv> {
  const limiters = policies.map((policy) => ({ policy, limiter: factory(policy) }));
  return async (c, next) => {
    const path = c.req.path;
    const user = c.get('user');
    let tightest: Outcome | undefined;
    for (const { policy, limiter } of limiters) {
      if (policy.pathPrefix !== undefined && !path.startsWith(policy.pathPrefix)) continue;
      const key = policy.key === 'ip' ? c.get('clientIp') : user?.id;
      if (key === undefined) continue;
      let res: RateLimiterRes;
      try {
        res = await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection; // the store failed
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        setHeaders(c.header.bind(c), { policy, res: rejection });
        c.header('Retry-After', String(retryAfter));
        throw errors.RATE_LIMITED(`limit "${policy.name}" of ${policy.points} requests per ${policy.durationSeconds}s reached; retry in ${retryAfter}s`, {
          retryAfterSeconds: retryAfter,
        });
      }
      if (tightest === undefined || res.remainingPoints < tightest.res.remainingPoints) tightest = { policy, res };
    }
    // Policies are checked in two places (per IP before authentication, per user after):
    // the headers report whichever leaves the fewest requests.
    const seen = c.get('rateLimitRemaining');
    if (tightest && (seen === undefined || tightest.res.remainingPoints < seen)) {
      c.set('rateLimitRemaining', tightest.res.remainingPoints);
      setHeaders(c.header.bind(c), tightest);
    }
    await next();
  };
}

function setHeaders(set: (name: string, value: string) => void, { policy, res }: Outcome): void {
  set('RateLimit-Policy', `${policy.points};w=${policy.durationSeconds}`);
  set('RateLimit-Limit', String(policy.points));
  set('RateLimit-Remaining', String(Math.max(0, res.remainingPoints)));
  set('RateLimit-Reset', String(Math.ceil(res.msBeforeNext / 1000)));
}
