import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimiterFactory } from './rate-limit.ts';
import { memoryLimiter } from './rate-limit.ts';

export interface RedisLimiters {
  readonly factory: LimiterFactory;
  /** Resolves once connected; until then (and whenever Redis is down) counts stay local. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Rate-limit counters in Redis, shared by every gateway replica (rate-limiter-flexible's
 * Redis store, atomic per request). If Redis fails, each replica falls back to its own
 * memory counters (the "insurance" limiter) rather than refusing or admitting everyone.
 */
export function redisLimiters(url: string, namespace: string): RedisLimiters {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  client.on('error', () => {}); // reconnects on its own; the insurance limiter covers the gap
  return {
    factory: (policy) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `cleave:${namespace}:rl:${policy.name}`,
        points: policy.points,
        duration: policy.durationSeconds,
        insuranceLimiter: memoryLimiter(policy),
      }),
    ready: (timeoutMs = 5_000) =>
      client.status === 'ready'
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            client.once('ready', () => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
    close: async () => {
      client.disconnect();
    },
  };
}
