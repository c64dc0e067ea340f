import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { asCleaveError } from '../errors/problem.ts';
import { adminAccessFromEnv, adminGuard } from './admin-guard.ts';

function app(env: Record<string, string>) {
  const hono = new Hono();
  hono.onError((err, c) => c.json({ code: asCleaveError(err).code }, asCleaveError(err).status as 401));
  hono.get('/metrics', adminGuard(adminAccessFromEnv(env)), (c) => c.text('ok'));
  return hono;
}

describe('admin guard', () => {
  it('is open in development (the default)', async () => {
    expect((await app({}).request('/metrics')).status).toBe(200);
    expect((await app({ NODE_ENV: 'test' }).request('/metrics')).status).toBe(200);
  });

  it('in production: 401 without or with a wrong token, 200 with CLEAVE_ADMIN_TOKEN', async () => {
    const prod = app({ CLEAVE_ENV: 'production', CLEAVE_ADMIN_TOKEN: 'right-token' });
    expect((await prod.request('/metrics')).status).toBe(401);
    expect((await prod.request('/metrics', { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
    expect((await prod.request('/metrics', { headers: { authorization: 'Bearer right-tokenX' } })).status).toBe(401);
    expect((await prod.request('/metrics', { headers: { authorization: 'Bearer right-token' } })).status).toBe(200);
  });

  it('in production without a token configured: closed (403), NODE_ENV counts when CLEAVE_ENV is unset', async () => {
    const res = await app({ NODE_ENV: 'production' }).request('/metrics', { headers: { authorization: 'Bearer anything' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: 'cleave.FORBIDDEN' });
  });
});
