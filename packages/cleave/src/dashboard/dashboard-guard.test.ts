import { Hono } from 'hono';
import { createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { ServiceTokenIssuer, ServiceTokenVerifier } from '../auth/service-tokens.ts';
import { loadSigningKey } from '../auth/signing-key.ts';
import { asCleaveError, PROBLEM_CONTENT_TYPE, problemBody } from '../errors/problem.ts';
import { SpanStore } from '../telemetry/span-store.ts';
import { federateAdmins } from './admin-federation.ts';
import { adminAccessFromEnv, adminGuard } from './admin-guard.ts';
import { mountChecklistApi } from './checklist-api.ts';
import { mountEventsApi } from './events-api.ts';
import { mountJobsApi } from './jobs-api.ts';
import { INTERNAL_ADMIN_PATH, mountInternalAdmin } from './internal-admin-api.ts';
import { mountMapApi } from './map-api.ts';
import type { ModuleAdmin } from './module-admin.ts';
import { mountDashboardPages } from './pages.ts';
import { mountSagasApi } from './sagas-api.ts';
import { mountTraceApi } from './trace-api.ts';

/** An admin that records what it was asked: the guard must stop a request before it gets here. */
function recordingAdmin(): ModuleAdmin & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    modules: ['posts'],
    events: async () => (calls.push('events'), []),
    replay: async (module, ids) => (calls.push(`replay ${module} ${ids.join(',')}`), ids.length),
    sagas: async () => (calls.push('sagas'), []),
    saga: async () => (calls.push('saga'), undefined),
    jobModules: ['posts'],
    jobs: async () => (calls.push('jobs'), []),
    retryJob: async (module, id) => (calls.push(`retry ${module} ${id}`), id === 'j1'),
    runSchedule: async (module, schedule) => (calls.push(`run ${module} ${schedule}`), schedule === 'digest' ? { id: 'j2', tick: '2026-12-02T08:00:00.000Z' } : undefined),
  };
}

function withProblems(app: Hono): Hono {
  app.onError((err, c) => c.body(problemBody(asCleaveError(err), '0'.repeat(32), c.req.path), asCleaveError(err).status as 401, { 'content-type': PROBLEM_CONTENT_TYPE }));
  return app;
}

function gateway(env: Record<string, string>, admin: ModuleAdmin) {
  const app = withProblems(new Hono());
  const guard = adminGuard(adminAccessFromEnv(env));
  const federation = federateAdmins(new Map([['posts', admin]]));
  mountDashboardPages(app);
  mountTraceApi(app, new SpanStore('gateway'), guard);
  mountMapApi(app, new SpanStore('gateway'), { posts: 'posts' }, 'gateway', guard);
  mountEventsApi(app, federation, guard);
  mountSagasApi(app, federation, guard);
  mountJobsApi(app, federation, guard);
  mountChecklistApi(app, async () => ({ groups: [], verdict: { decision: 'stay-monolith', words: 'stay' } }), guard);
  return app;
}

const reads = ['/_cleave/api/traces', '/_cleave/api/map', '/_cleave/api/events', '/_cleave/api/sagas', '/_cleave/api/jobs', '/_cleave/api/checklist'];
const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const replay = post({ module: 'posts', eventIds: ['e1'] });
const retry = post({ module: 'posts', id: 'j1' });
const runNow = post({ module: 'posts', schedule: 'digest' });

describe('dashboard APIs behind the admin guard', () => {
  const production = { CLEAVE_ENV: 'production', CLEAVE_ADMIN_TOKEN: 'the-admin-token' };

  it('outside development: 401 problem+json without the admin token, and nothing is read or replayed', async () => {
    const admin = recordingAdmin();
    const app = gateway(production, admin);
    for (const path of reads) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
      expect(((await res.json()) as { code: string }).code).toBe('cleave.UNAUTHENTICATED');
    }
    expect((await app.request('/_cleave/api/events/replay', replay)).status).toBe(401);
    expect((await app.request('/_cleave/api/events/replay', { ...replay, headers: { ...replay.headers, authorization: 'Bearer wrong-token-xxx' } })).status).toBe(401);
    expect((await app.request('/_cleave/api/jobs/retry', retry)).status).toBe(401);
    expect((await app.request('/_cleave/api/jobs/run', { ...runNow, headers: { ...runNow.headers, authorization: 'Bearer wrong-token-xxx' } })).status).toBe(401);
    expect(admin.calls).toEqual([]);
  });

  it('outside development with the admin token: the data; the page shell itself holds none and is served to ask for it', async () => {
    const admin = recordingAdmin();
    const app = gateway(production, admin);
    const authorization = 'Bearer the-admin-token';
    for (const path of reads) expect((await app.request(path, { headers: { authorization } })).status, path).toBe(200);
    const res = await app.request('/_cleave/api/events/replay', { ...replay, headers: { ...replay.headers, authorization } });
    expect(await res.json()).toEqual({ replayed: 1 });
    expect(await (await app.request('/_cleave/api/jobs/retry', { ...retry, headers: { ...retry.headers, authorization } })).json()).toEqual({ retried: 'j1' });
    expect(await (await app.request('/_cleave/api/jobs/run', { ...runNow, headers: { ...runNow.headers, authorization } })).json()).toEqual({ run: { id: 'j2', tick: '2026-12-02T08:00:00.000Z' } });
    expect(admin.calls).toEqual(['events', 'sagas', 'jobs', 'replay posts e1', 'retry posts j1', 'run posts digest']);
    const shell = await app.request('/_cleave/events');
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await shell.text()).toContain('/_cleave/assets/app.js');
    expect((await app.request('/_cleave/assets/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await app.request('/_cleave/assets/..%2Fpackage.json')).status).toBe(404);
  });

  it('in development: open', async () => {
    const app = gateway({}, recordingAdmin());
    for (const path of reads) expect((await app.request(path)).status, path).toBe(200);
  });

  it('a replay request is validated (400), and one for a module nobody hosts is 404', async () => {
    const app = gateway({}, recordingAdmin());
    expect((await app.request('/_cleave/api/events/replay', { ...replay, body: JSON.stringify({ module: 'posts', eventIds: [] }) })).status).toBe(400);
    expect((await app.request('/_cleave/api/events/replay', { ...replay, body: JSON.stringify({ module: 'billing', eventIds: ['e1'] }) })).status).toBe(404);
    expect((await app.request('/_cleave/api/sagas?status=sleeping')).status).toBe(400);
  });

  it('a job retry or run-now request is validated (400); an unknown job, schedule or module is 404', async () => {
    const app = gateway({}, recordingAdmin());
    expect((await app.request('/_cleave/api/jobs/retry', post({ module: 'posts' }))).status).toBe(400);
    expect((await app.request('/_cleave/api/jobs/run', post({ module: 'posts', schedule: '' }))).status).toBe(400);
    const notDead = await app.request('/_cleave/api/jobs/retry', post({ module: 'posts', id: 'j9' }));
    expect(notDead.status).toBe(404);
    expect(((await notDead.json()) as { detail: string }).detail).toBe('module "posts" has no dead job j9');
    expect((await app.request('/_cleave/api/jobs/run', post({ module: 'posts', schedule: 'hourly' }))).status).toBe(404);
    expect((await app.request('/_cleave/api/jobs/run', post({ module: 'billing', schedule: 'digest' }))).status).toBe(404);
  });
});

describe('the owning service answers the gateway only (internal listener)', () => {
  it('401 without a service token, 403 for another service, the data for the gateway service', async () => {
    const keys = { gateway: await loadSigningKey({ name: 'gateway' }), users: await loadSigningKey({ name: 'users' }) };
    const verifier = new ServiceTokenVerifier('posts', (caller) => {
      const key = keys[caller as keyof typeof keys];
      return key ? createLocalJWKSet({ keys: [key.publicJwk] }) : undefined;
    });
    const admin = recordingAdmin();
    const internal = withProblems(new Hono());
    mountInternalAdmin(internal, admin, verifier, 'gateway');
    const as = async (service: keyof typeof keys) => ({ authorization: `Bearer ${await new ServiceTokenIssuer(service, keys[service]).tokenFor('posts', undefined)}` });

    expect((await internal.request(`${INTERNAL_ADMIN_PATH}/events`)).status).toBe(401);
    expect((await internal.request(`${INTERNAL_ADMIN_PATH}/events`, { headers: { authorization: 'Bearer the-admin-token' } })).status).toBe(401);
    const foreign = await internal.request(`${INTERNAL_ADMIN_PATH}/events/replay`, { ...replay, headers: { ...replay.headers, ...(await as('users')) } });
    expect(foreign.status).toBe(403);
    expect(admin.calls).toEqual([]);

    expect(await (await internal.request(`${INTERNAL_ADMIN_PATH}/events`, { headers: await as('gateway') })).json()).toEqual({ modules: [] });
    expect(await (await internal.request(`${INTERNAL_ADMIN_PATH}/events/replay`, { ...replay, headers: { ...replay.headers, ...(await as('gateway')) } })).json()).toEqual({ replayed: 1 });
    expect((await internal.request(`${INTERNAL_ADMIN_PATH}/sagas/nope`, { headers: await as('gateway') })).status).toBe(404);
    expect((await internal.request(`${INTERNAL_ADMIN_PATH}/jobs/run`, { ...runNow, headers: { ...runNow.headers, ...(await as('users')) } })).status).toBe(403);
    expect(await (await internal.request(`${INTERNAL_ADMIN_PATH}/jobs/retry`, { ...retry, headers: { ...retry.headers, ...(await as('gateway')) } })).json()).toEqual({ retried: true });
    expect(await (await internal.request(`${INTERNAL_ADMIN_PATH}/jobs/run`, { ...post({ module: 'posts', schedule: 'hourly' }), headers: { 'content-type': 'application/json', ...(await as('gateway')) } })).json()).toEqual({ run: null });
    expect(admin.calls).toEqual(['events', 'replay posts e1', 'saga', 'retry posts j1', 'run posts hourly']);
  });
});
