import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineApp, defineConfig, defineContract, defineModule, defineTopology, errors, operation } from '../src/index.ts';
import { startTestApp } from '../src/testing/index.ts';
import type { TestApp } from '../src/testing/index.ts';

// An app as a user writes one from the package alone: no users module, no identity.
const greetings = defineContract('greetings', {
  operations: {
    hello: operation({
      input: z.object({ name: z.string().min(1) }),
      output: z.object({ message: z.string(), user: z.string().nullable() }),
      http: { method: 'GET', path: '/greetings/:name', auth: 'public' },
    }),
    mine: operation({
      input: z.object({}),
      output: z.object({ id: z.string() }),
      http: { method: 'GET', path: '/me', auth: 'user' },
    }),
  },
});
const greetingsModule = defineModule(greetings, {
  handlers: {
    async hello({ name }, ctx) {
      return { message: `Hello, ${name}!`, user: ctx.user?.id ?? null };
    },
    async mine(_input, ctx) {
      return { id: ctx.user?.id ?? 'nobody' };
    },
  },
});
const publicOnly = defineContract('greetings', { operations: { hello: greetings.$operations.hello } });
const publicModule = defineModule(publicOnly, { handlers: { hello: greetingsModule.handlers.hello } });

const started: TestApp[] = [];
afterAll(() => Promise.all(started.map((a) => a.stop())));
const start = async (...args: Parameters<typeof startTestApp>) => {
  const app = await startTestApp(...args);
  started.push(app);
  return app;
};

describe('a gateway without identity', () => {
  it('leaving `gateway` out serves the public routes and no auth routes', async () => {
    const app = await start({ app: defineApp({ name: 'plain', version: '1.0.0', modules: [publicModule] }) });
    const res = await app.request('/api/v1/greetings/Ada');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Hello, Ada!', user: null });

    const signup = await app.request('/api/v1/auth/signup', { method: 'POST', json: { email: 'a@example.com', password: 'secret-secret' } });
    expect(signup.status).toBe(404);
    expect((await app.request('/.well-known/jwks.json')).status).toBe(404);
    const openapi = (await (await app.request('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(['/api/v1/greetings/{name}']);
  });

  it('refuses an app whose routes need a user it cannot establish, naming them', () => {
    expect(() => defineApp({ name: 'plain', version: '1', modules: [greetingsModule] })).toThrow(
      /greetings\.mine need a signed-in user .* no identity or authenticate/,
    );
  });
});

describe('a gateway with a custom identity', () => {
  const app = defineApp({
    name: 'keys',
    version: '1.0.0',
    modules: [greetingsModule],
    gateway: {
      authenticate(request) {
        const key = request.headers.get('x-api-key');
        if (key === null) return undefined;
        if (!key.startsWith('key-')) throw errors.UNAUTHENTICATED('unknown API key');
        return { id: key.slice('key-'.length) };
      },
    },
  });

  it('hands the user it establishes to handlers, and its refusals to the client', async () => {
    const testApp = await start({ app });
    expect((await testApp.request('/api/v1/me')).status).toBe(401);
    const mine = await testApp.request('/api/v1/me', { headers: { 'x-api-key': 'key-ada' } });
    expect(await mine.json()).toEqual({ id: 'ada' });
    const hello = await testApp.request('/api/v1/greetings/Ada', { headers: { 'x-api-key': 'key-ada' } });
    expect(await hello.json()).toEqual({ message: 'Hello, Ada!', user: 'ada' });

    const refused = await testApp.request('/api/v1/greetings/Ada', { headers: { 'x-api-key': 'forged' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({ code: 'cleave.UNAUTHENTICATED', detail: 'unknown API key' });
    expect((await testApp.request('/api/v1/auth/login', { method: 'POST', json: {} })).status).toBe(404);
  });

  it('runs split: two services in process, the gateway calling over HTTP', { timeout: 120_000 }, async () => {
    const other = defineContract('other', { operations: { ping: operation({ input: z.object({}), output: z.object({ ok: z.boolean() }), http: { method: 'GET', path: '/ping', auth: 'public' } }) } });
    const otherModule = defineModule(other, { handlers: { ping: async () => ({ ok: true }) } });
    const two = defineApp({ name: 'two', version: '1', modules: [publicModule, otherModule] });
    const split = defineTopology({ name: 'split', services: { edge: { modules: ['greetings'], roles: ['gateway'] }, back: { modules: ['other'] } } });
    const testApp = await start({ app: two, topology: split });
    expect(testApp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect([...testApp.services.keys()].sort()).toEqual(['back', 'edge']);
    expect(await (await fetch(`${testApp.url}/api/v1/ping`)).json()).toEqual({ ok: true });
  });
});

describe('definitions fail at the call, naming the field', () => {
  const identity = { signup: greetings.mine, login: greetings.mine };
  it('defineApp', () => {
    expect(() => defineApp({ name: 'x', version: 1 } as never)).toThrow(/^defineApp: version: .*expected string.*; modules: .*expected array/);
    expect(() => defineApp({ name: 'has space', version: '1', modules: [] })).toThrow(/^defineApp: name: expected a name/);
    expect(() => defineApp({ name: 'x', version: '1', modules: [greetingsModule, { name: 'posts' }] as never })).toThrow(
      /^defineApp: modules\[1\]: expected a module from defineModule\(\)/,
    );
    expect(() => defineApp({ name: 'x', version: '1', modules: [greetingsModule], gateway: { identity: { signup: greetings.mine } } as never })).toThrow(
      /^defineApp: gateway\.identity\.login: expected an operation/,
    );
    expect(() => defineApp({ name: 'x', version: '1', modules: [greetingsModule], gateway: { identity, authenticate: () => undefined } })).toThrow(
      /^defineApp: gateway\.authenticate: give either identity .* or authenticate/,
    );
    expect(() => defineApp({ name: 'x', version: '1', modules: [], gateway: { rateLimits: [{ name: 'ip', points: -1, durationSeconds: 60, key: 'ip' }] } })).toThrow(
      /^defineApp: gateway\.rateLimits\[0\]\.points: /,
    );
  });

  it('defineTopology', () => {
    expect(() => defineTopology({ name: 'm', services: { app: { modules: 'greetings' } } } as never)).toThrow(/^defineTopology: services\.app\.modules: .*expected array/);
    expect(() => defineTopology({ name: 'm', services: { app: { modules: [], port: 70000 } } })).toThrow(/^defineTopology: services\.app\.port: /);
    expect(() => defineTopology({ name: 'm', services: {} })).toThrow(/^defineTopology: services: a topology needs at least one service/);
  });

  it('defineConfig', () => {
    const app = defineApp({ name: 'x', version: '1', modules: [publicModule] });
    const monolith = defineTopology({ name: 'monolith', services: { app: { modules: ['greetings'], roles: ['gateway'] } } });
    expect(defineConfig({ app, topologies: { monolith } }).topologies.monolith).toBe(monolith);
    expect(() => defineConfig({ app: {} as never, topologies: { monolith } })).toThrow(/^defineConfig: app: expected the app from defineApp\(\)/);
    expect(() => defineConfig({ app, topologies: { monolith }, defaultTopology: 'split' })).toThrow(/^defineConfig: defaultTopology: names no topology/);
    const missing = defineTopology({ name: 'empty', services: { app: { modules: [], roles: ['gateway'] } } });
    expect(() => defineConfig({ app, topologies: { missing } })).toThrow(/topology "empty": no service hosts greetings/);
  });
});
