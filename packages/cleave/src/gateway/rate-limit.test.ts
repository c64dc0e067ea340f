import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { newTraceContext } from '../telemetry/trace-context.ts';
import type { GatewayEnv } from './gateway-env.ts';
import { asCleaveError, PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem.ts';
import { rateLimit } from './rate-limit.ts';
import type { RateLimitPolicy } from './rate-limit.ts';

/**
 * A tiny gateway: a first middleware sets what the real one does (client IP from
 * `x-ip`, user from `x-user`), then the rate limit(s), then a catch-all route.
 */
function gateway(...stages: (readonly RateLimitPolicy[])[]) {
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => {
    const error = asCleaveError(err);
    return c.body(problemBody(error, 'trace-1', c.req.path), error.status as 500, { 'content-type': PROBLEM_CONTENT_TYPE });
  });
  app.use('*', async (c, next) => {
    c.set('trace', newTraceContext());
    c.set('clientIp', c.req.header('x-ip') ?? '10.0.0.1');
    const user = c.req.header('x-user');
    c.set('user', user === undefined ? undefined : { id: user });
    await next();
  });
  for (const policies of stages) app.use('*', rateLimit(policies));
  app.all('*', (c) => c.text('ok'));
  return app;
}

const twoPerMinute: RateLimitPolicy = { name: 't', points: 2, durationSeconds: 60, key: 'ip' };

describe('rateLimit', () => {
  it('reports the policy in RateLimit-* headers on success', async () => {
    const app = gateway([twoPerMinute]);
    const first = await app.request('/api/v1/x');
    expect(first.status).toBe(200);
    expect(first.headers.get('RateLimit-Policy')).toBe('2;w=60');
    expect(first.headers.get('RateLimit-Limit')).toBe('2');
    expect(first.headers.get('RateLimit-Remaining')).toBe('1');
    const reset = Number(first.headers.get('RateLimit-Reset'));
    expect(reset).toBeGreaterThanOrEqual(1);
    expect(reset).toBeLessThanOrEqual(60);
    const second = await app.request('/api/v1/x');
    expect(second.headers.get('RateLimit-Remaining')).toBe('0');
  });

  it('refuses the request over the limit with 429, Retry-After and RateLimit-Remaining: 0', async () => {
    const app = gateway([twoPerMinute]);
    await app.request('/api/v1/x');
    await app.request('/api/v1/x');
    const third = await app.request('/api/v1/x');
    expect(third.status).toBe(429);
    expect(third.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(Number(third.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect(third.headers.get('RateLimit-Remaining')).toBe('0');
    expect(third.headers.get('RateLimit-Limit')).toBe('2');
    const body = (await third.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 429, code: 'cleave.RATE_LIMITED' });
    expect(body.retryAfterSeconds).toBe(Number(third.headers.get('Retry-After')));
  });

  it('counts each client IP separately', async () => {
    const app = gateway([twoPerMinute]);
    for (let i = 0; i < 2; i++) await app.request('/api/v1/x', { headers: { 'x-ip': '1.1.1.1' } });
    expect((await app.request('/api/v1/x', { headers: { 'x-ip': '1.1.1.1' } })).status).toBe(429);
    expect((await app.request('/api/v1/x', { headers: { 'x-ip': '2.2.2.2' } })).status).toBe(200);
  });

  it('applies a pathPrefix policy only under its prefix', async () => {
    const app = gateway([{ name: 'auth', points: 1, durationSeconds: 60, key: 'ip', pathPrefix: '/api/v1/auth/' }]);
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/api/v1/posts');
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Limit')).toBeNull();
    }
    expect((await app.request('/api/v1/auth/login', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/api/v1/auth/login', { method: 'POST' })).status).toBe(429);
    expect((await app.request('/api/v1/posts')).status).toBe(200);
  });

  it('skips anonymous requests for a user policy and counts per user', async () => {
    const app = gateway([{ name: 'user', points: 1, durationSeconds: 60, key: 'user' }]);
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/api/v1/x');
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Limit')).toBeNull();
    }
    expect((await app.request('/api/v1/x', { headers: { 'x-user': 'u1' } })).status).toBe(200);
    expect((await app.request('/api/v1/x', { headers: { 'x-user': 'u1' } })).status).toBe(429);
    // Same IP, other user: its own budget.
    expect((await app.request('/api/v1/x', { headers: { 'x-user': 'u2' } })).status).toBe(200);
  });

  it('reports the tightest of several policies', async () => {
    const app = gateway([
      { name: 'wide', points: 100, durationSeconds: 60, key: 'ip' },
      { name: 'narrow', points: 3, durationSeconds: 10, key: 'ip' },
    ]);
    const res = await app.request('/api/v1/x');
    expect(res.headers.get('RateLimit-Policy')).toBe('3;w=10');
    expect(res.headers.get('RateLimit-Remaining')).toBe('2');
  });

  it('keeps the tighter headers of an earlier stage when a later stage is looser', async () => {
    const app = gateway([{ name: 'ip', points: 3, durationSeconds: 60, key: 'ip' }], [{ name: 'user', points: 100, durationSeconds: 60, key: 'user' }]);
    const res = await app.request('/api/v1/x', { headers: { 'x-user': 'u1' } });
    expect(res.headers.get('RateLimit-Limit')).toBe('3');
    expect(res.headers.get('RateLimit-Remaining')).toBe('2');
  });

  it('lets a later, tighter stage replace the headers', async () => {
    const app = gateway([{ name: 'ip', points: 100, durationSeconds: 60, key: 'ip' }], [{ name: 'user', points: 2, durationSeconds: 30, key: 'user' }]);
    const res = await app.request('/api/v1/x', { headers: { 'x-user': 'u1' } });
    expect(res.headers.get('RateLimit-Policy')).toBe('2;w=30');
    expect(res.headers.get('RateLimit-Remaining')).toBe('1');
  });
});
