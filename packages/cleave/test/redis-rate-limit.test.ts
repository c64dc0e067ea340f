import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import type { CleaveError } from '../src/errors/cleave-error.ts';
import type { GatewayEnv } from '../src/gateway/gateway-env.ts';
import { memoryLimiter, rateLimit } from '../src/gateway/rate-limit.ts';
import type { LimiterFactory } from '../src/gateway/rate-limit.ts';
import { redisLimiters } from '../src/gateway/redis-limiter.ts';

const url = process.env.REDIS_URL;

/** One gateway replica's limiter chain (20 requests a minute per IP), as a tiny Hono app. */
function replica(factory: LimiterFactory) {
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => c.json({ code: (err as CleaveError).code }, (err as CleaveError).status as 429));
  app.use('*', async (c, next) => {
    c.set('clientIp', '203.0.113.7');
    c.set('user', undefined);
    await next();
  });
  app.use('*', rateLimit([{ name: 'auth', points: 20, durationSeconds: 60, key: 'ip' }], factory));
  app.get('/x', (c) => c.text('ok'));
  return app;
}

async function statuses(app: Hono<GatewayEnv>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await app.request('/x')).status);
  return out;
}

describe.skipIf(!url)('rate limits shared through Redis (needs REDIS_URL)', () => {
  // Two replicas: two Redis connections, one namespace (the app name in production).
  const namespace = `test-${randomUUID()}`;
  const a = redisLimiters(url as string, namespace);
  const b = redisLimiters(url as string, namespace);
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('two gateway replicas count one client against one limit', async () => {
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    const one = replica(a.factory);
    const two = replica(b.factory);
    expect([...(await statuses(one, 10)), ...(await statuses(two, 10))].every((s) => s === 200)).toBe(true);
    const over = await two.request('/x');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await one.request('/x')).status).toBe(429);
  });

  it('control: in-memory replicas would each allow the full limit', async () => {
    const one = replica(memoryLimiter);
    const two = replica(memoryLimiter);
    expect([...(await statuses(one, 20)), ...(await statuses(two, 20))].every((s) => s === 200)).toBe(true);
  });
});
