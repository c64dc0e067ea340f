import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceTokenIssuer, ServiceTokenVerifier } from '../../src/auth/service-tokens.ts';
import { loadSigningKey } from '../../src/auth/signing-key.ts';
import type { SigningKey } from '../../src/auth/signing-key.ts';
import type { CleaveError } from '../../src/errors/cleave-error.ts';
import { errors } from '../../src/errors/framework-errors.ts';
import { listen } from '../../src/runtime/http-server.ts';
import type { HttpServer } from '../../src/runtime/http-server.ts';
import { callPath } from '../../src/http/http-protocol.ts';
import type { ResilienceOptions } from '../../src/transport/resilience.ts';
import { freePort } from '../../src/util/free-port.ts';
import { rejectionOf } from './conformance.ts';
import { CALLEE_SERVICE, CALLER_SERVICE, callerKey, HOST, httpCaller, keyResolver, KeyResolverStats, startEchoService } from './http-wiring.ts';
import type { EchoService, HttpCaller } from './http-wiring.ts';
import { Probe } from './test-app.ts';

// HTTP-only behaviour: service-token checks on the callee, the verification cache,
// retries and the circuit breaker on the caller.

const CLOSED = 'closed';
const OPEN = 'open';

let key: SigningKey;
beforeAll(async () => {
  key = await callerKey();
});

// Everything a test starts, stopped after it, last started first.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});
function track<T extends { close(): Promise<void> }>(resource: T): T {
  cleanups.push(() => resource.close());
  return resource;
}

const trusted = () => new Map([[CALLER_SERVICE, key.publicJwk]]);

async function timed<T>(promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await promise;
  return { value, ms: performance.now() - started };
}

/** A TCP proxy to `targetPort` that resets the first `dropFirst` connections it accepts. */
async function droppingProxy(targetPort: number, dropFirst: number) {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server = createServer((socket) => {
    state.connections++;
    if (state.connections <= dropFirst) {
      socket.resetAndDestroy();
      return;
    }
    const target = connect(targetPort, HOST);
    for (const s of [socket, target]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        socket.destroy();
        target.destroy();
      });
    }
    socket.pipe(target).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function unavailableProblem(): Response {
  const body = { type: 'urn:cleave:error:cleave.SHUTTING_DOWN', title: 'The service is shutting down', status: 503, code: 'cleave.SHUTTING_DOWN', traceId: '0'.repeat(32) };
  return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/problem+json' } });
}

/** Echo behind a gate that answers 503 problem+json to the first `failFirst` calls, then serves. */
async function echoBehind503(probe: Probe, failFirst: number) {
  const gate = { attempts: 0 };
  const service = track(
    await startEchoService({
      probe,
      knownKeys: trusted(),
      wrap: (fetch) => (req) => (++gate.attempts <= failFirst ? unavailableProblem() : fetch(req)),
    }),
  );
  return { service, gate };
}

describe('internal server: who may call', () => {
  let probe: Probe;
  let service: EchoService;
  let intruderKey: SigningKey;
  let strangerKey: SigningKey;
  let forgerKey: SigningKey;

  beforeAll(async () => {
    [intruderKey, strangerKey, forgerKey] = await Promise.all([loadSigningKey({ name: 'intruder-svc' }), loadSigningKey({ name: 'stranger-svc' }), loadSigningKey({ name: 'forger' })]);
    probe = new Probe();
    // The callee knows the intruder's key (a service of the topology) but mayCall refuses it.
    service = await startEchoService({ probe, knownKeys: new Map([...trusted(), ['intruder-svc', intruderKey.publicJwk]]) });
  });
  afterAll(() => service.close());

  async function post(authorization: string | undefined, module = 'echo') {
    const response = await fetch(`${service.url}${callPath(module, 'echo')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ text: 'hi' }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, contentType: response.headers.get('content-type'), body };
  }

  const svcToken = (signer: SigningKey, claims: { iss?: string; aud?: string; sub?: string; iat?: number; exp?: number; kid?: string; alg?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims.sub === undefined ? {} : { sub: claims.sub })
      .setProtectedHeader({ alg: claims.alg ?? 'EdDSA', kid: claims.kid ?? signer.kid, typ: 'svc+jwt' })
      .setIssuer(claims.iss ?? CALLER_SERVICE)
      .setAudience(claims.aud ?? CALLEE_SERVICE)
      .setIssuedAt(claims.iat ?? now)
      .setExpirationTime(claims.exp ?? now + 300)
      .sign(signer.privateKey);
  };

  it('accepts a token from a service it trusts (control)', async () => {
    const answer = await post(`Bearer ${await svcToken(key, { sub: 'u-1' })}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ text: 'hi', user: 'u-1', caller: CALLER_SERVICE });
  });

  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const refusals: [string, () => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['another scheme', async () => `Basic ${Buffer.from('client-svc:secret').toString('base64')}`],
    ['not a JWT', async () => 'Bearer not-a-jwt'],
    ['forged: the trusted key id, signed by another key', async () => `Bearer ${await svcToken(forgerKey)}`],
    [
      'tampered: payload changed (sub → admin), signature kept',
      async () => {
        const [header, payload, signature] = (await svcToken(key, { sub: 'u-1' })).split('.');
        const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as object;
        return `Bearer ${header}.${b64({ ...claims, sub: 'admin' })}.${signature}`;
      },
    ],
    ['alg none', async () => `Bearer ${b64({ alg: 'none', typ: 'svc+jwt' })}.${b64({ iss: CALLER_SERVICE, aud: CALLEE_SERVICE, iat: 1, exp: 4102444800 })}.`],
    ['expired', async () => `Bearer ${await svcToken(key, { iat: Math.floor(Date.now() / 1000) - 400, exp: Math.floor(Date.now() / 1000) - 100 })}`],
    ['for another audience', async () => `Bearer ${await new ServiceTokenIssuer(CALLER_SERVICE, key).tokenFor('other-svc', undefined)}`],
    ['from a service it does not know', async () => `Bearer ${await new ServiceTokenIssuer('stranger-svc', strangerKey).tokenFor(CALLEE_SERVICE, undefined)}`],
  ];
  it.each(refusals)('refuses with 401 a call with %s', async (_case, authorization) => {
    const before = probe.count('echo');
    const answer = await post(await authorization());
    expect(answer.status).toBe(401);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ code: errors.UNAUTHENTICATED.code, status: 401 });
    expect(probe.count('echo')).toBe(before);
  });

  it('refuses with 403 a verified service that mayCall does not allow, and a module the caller did not declare', async () => {
    const before = probe.count('echo');
    const intruder = await post(`Bearer ${await new ServiceTokenIssuer('intruder-svc', intruderKey).tokenFor(CALLEE_SERVICE, 'u-1')}`);
    expect(intruder.status).toBe(403);
    expect(intruder.contentType).toBe('application/problem+json');
    expect(intruder.body).toMatchObject({ code: errors.FORBIDDEN.code, detail: expect.stringContaining('intruder-svc') });

    const undeclared = await post(`Bearer ${await new ServiceTokenIssuer(CALLER_SERVICE, key).tokenFor(CALLEE_SERVICE, undefined)}`, 'ledger');
    expect(undeclared.status).toBe(403);
    expect(undeclared.body).toMatchObject({ code: errors.FORBIDDEN.code, detail: expect.stringContaining('ledger') });
    expect(probe.count('echo')).toBe(before);
  });
});

describe('service token verification cache', () => {
  it('checks the signature of a token once, then answers from the cache until it expires', async () => {
    const stats = new KeyResolverStats();
    const verifier = new ServiceTokenVerifier(CALLEE_SERVICE, keyResolver(trusted(), stats));
    const issuer = new ServiceTokenIssuer(CALLER_SERVICE, key);
    const token = await issuer.tokenFor(CALLEE_SERVICE, 'u-1');

    const first = await timed(verifier.verify(token));
    const cached = await timed(verifier.verify(token));
    expect(first.value).toEqual({ service: CALLER_SERVICE, userId: 'u-1' });
    expect(cached.value).toEqual(first.value);
    expect({ resolutions: stats.resolutions, keyLookups: stats.keyLookups }).toEqual({ resolutions: 1, keyLookups: 1 });

    // Another token (another user) is checked on its own; a refused one is never cached.
    await verifier.verify(await issuer.tokenFor(CALLEE_SERVICE, 'u-2'));
    expect(stats.keyLookups).toBe(2);
    const forger = await loadSigningKey({ name: 'forger' });
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'svc+jwt' }).setIssuer(CALLER_SERVICE).setAudience(CALLEE_SERVICE).setIssuedAt().setExpirationTime('300s').sign(forger.privateKey);
    for (let i = 0; i < 2; i++) await expect(verifier.verify(forged)).rejects.toMatchObject({ code: errors.UNAUTHENTICATED.code });
    expect(stats.keyLookups).toBe(4);

    console.log('service token verification, one token:');
    console.table({ 'first verify (signature)': { µs: Math.round(first.ms * 1000) }, 'second verify (cached)': { µs: Math.round(cached.ms * 1000) } });
  });

  it('over HTTP, repeated calls for one user are verified once', async () => {
    const stats = new KeyResolverStats();
    const probe = new Probe();
    const service = track(await startEchoService({ probe, knownKeys: trusted(), stats }));
    const side = track(httpCaller({ baseUrl: service.url, key, probe }));
    for (let i = 0; i < 5; i++) await side.caller('echo', { text: `t${i}` }, { user: { id: 'u-1' } });
    expect(probe.count('echo')).toBe(5);
    expect({ resolutions: stats.resolutions, keyLookups: stats.keyLookups }).toEqual({ resolutions: 1, keyLookups: 1 });
    await side.caller('echo', { text: 'other user' }, { user: { id: 'u-2' } });
    expect(stats.keyLookups).toBe(2);
  });

  it('measures the cost of an EdDSA verification against a cached one (reported, not asserted)', async () => {
    const token = await new ServiceTokenIssuer(CALLER_SERVICE, key).tokenFor(CALLEE_SERVICE, 'u-1');
    const keySet = createLocalJWKSet({ keys: [key.publicJwk] });
    const verifier = new ServiceTokenVerifier(CALLEE_SERVICE, keyResolver(trusted()));
    const options = { algorithms: ['EdDSA'], audience: CALLEE_SERVICE, issuer: CALLER_SERVICE, typ: 'svc+jwt' };
    const rounds = 1_000;
    for (let i = 0; i < 50; i++) await jwtVerify(token, keySet, options); // warm-up
    let started = performance.now();
    for (let i = 0; i < rounds; i++) await jwtVerify(token, keySet, options);
    const joseUs = ((performance.now() - started) * 1000) / rounds;
    await verifier.verify(token);
    started = performance.now();
    for (let i = 0; i < rounds; i++) await verifier.verify(token);
    const cachedUs = ((performance.now() - started) * 1000) / rounds;
    console.log(`EdDSA verification cost (${rounds} rounds):`);
    console.table({ 'jose jwtVerify (EdDSA, local JWKS)': { 'µs/verify': +joseUs.toFixed(2) }, 'ServiceTokenVerifier.verify (cached)': { 'µs/verify': +cachedUs.toFixed(2) } });
    expect(joseUs).toBeGreaterThan(0);
  });
});

describe('retries', () => {
  it('retries an idempotent call through two 503s and succeeds; the handler runs once', async () => {
    const probe = new Probe();
    const { service, gate } = await echoBehind503(probe, 2);
    const side = track(httpCaller({ baseUrl: service.url, key, probe }));
    const output = await side.caller('echo', { text: 'third time lucky' });
    expect(output).toMatchObject({ text: 'third time lucky' });
    expect(gate.attempts).toBe(3);
    expect(probe.count('echo')).toBe(1);
  });

  it('gives up on an idempotent call after 1 + retries attempts with DEPENDENCY_UNAVAILABLE', async () => {
    const probe = new Probe();
    const { service, gate } = await echoBehind503(probe, Number.POSITIVE_INFINITY);
    const side = track(httpCaller({ baseUrl: service.url, key, probe, resilience: { breakerThreshold: 10, halfOpenAfterMs: 2_000, retries: 2 } }));
    const err = await rejectionOf(side.caller('echo', { text: 'x' }));
    expect(err.code).toBe(errors.DEPENDENCY_UNAVAILABLE.code);
    expect(err.detail).toContain('503');
    expect(gate.attempts).toBe(3);
  });

  it('does not retry a non-idempotent call on 503: exactly one attempt, DEPENDENCY_UNAVAILABLE', async () => {
    const probe = new Probe();
    const { service, gate } = await echoBehind503(probe, 2);
    const side = track(httpCaller({ baseUrl: service.url, key, probe }));
    const err = await rejectionOf(side.caller('record', { text: 'once' }));
    expect(err.code).toBe(errors.DEPENDENCY_UNAVAILABLE.code);
    expect(err.status).toBe(503);
    expect(gate.attempts).toBe(1);
    expect(probe.count('record')).toBe(0);
  });

  it('retries an idempotent call over dropped connections and succeeds', async () => {
    const probe = new Probe();
    const service = track(await startEchoService({ probe, knownKeys: trusted() }));
    const proxy = track(await droppingProxy(service.server.port, 2));
    const side = track(httpCaller({ baseUrl: proxy.url, key, probe }));
    const output = await side.caller('echo', { text: 'through' });
    expect(output).toMatchObject({ text: 'through' });
    expect(proxy.state.connections).toBe(3);
    expect(probe.count('echo')).toBe(1);
  });

  it('does not retry a non-idempotent call over a dropped connection: one connection, DEPENDENCY_UNAVAILABLE', async () => {
    const probe = new Probe();
    const service = track(await startEchoService({ probe, knownKeys: trusted() }));
    const proxy = track(await droppingProxy(service.server.port, 2));
    const side = track(httpCaller({ baseUrl: proxy.url, key, probe }));
    const err = await rejectionOf(side.caller('record', { text: 'once' }));
    expect(err.code).toBe(errors.DEPENDENCY_UNAVAILABLE.code);
    expect(err.detail).toContain('could not be reached');
    expect(proxy.state.connections).toBe(1);
    expect(probe.count('record')).toBe(0);
  });
});

describe('circuit breaker', () => {
  const resilience: ResilienceOptions = { breakerThreshold: 5, halfOpenAfterMs: 300, retries: 2 };

  /** A caller of a port where nothing listens, with `resilience`; its circuit opened by 5 refused calls. */
  async function openedCircuit(): Promise<{ side: HttpCaller; port: number; probe: Probe; timings: Record<string, { ms: number; detail: string }> }> {
    const probe = new Probe();
    // A port nothing listens on: connections are refused.
    const port = await freePort(HOST);
    const side = track(httpCaller({ baseUrl: `http://${HOST}:${port}`, key, probe, resilience }));
    const timings: Record<string, { ms: number; detail: string }> = {};
    // Non-idempotent: one attempt per call, so five calls are five failures.
    for (let i = 1; i <= resilience.breakerThreshold; i++) {
      const { value: err, ms } = await timed(rejectionOf(side.caller('record', { text: 'x' })));
      expect(err.code).toBe(errors.DEPENDENCY_UNAVAILABLE.code);
      expect(err.detail).toContain('could not be reached');
      expect(err.detail).not.toContain('circuit open');
      timings[`refused #${i}`] = { ms: +ms.toFixed(2), detail: err.detail ?? '' };
    }
    expect(side.transport.circuitState).toBe(OPEN);
    return { side, port, probe, timings };
  }

  it('opens after 5 connection failures, fails fast without connecting, re-opens on a failed probe, closes on a healthy one', async () => {
    const { side, port, probe, timings } = await openedCircuit();
    const fastFail = async (label: string) => {
      const { value: err, ms } = await timed(rejectionOf(side.caller('echo', { text: 'x' })));
      expect(err.code).toBe(errors.DEPENDENCY_UNAVAILABLE.code);
      expect(err.detail).toContain('circuit open');
      timings[label] = { ms: +ms.toFixed(2), detail: err.detail ?? '' };
      expect(ms).toBeLessThan(50);
    };
    await fastFail('circuit open');

    // After halfOpenAfter, one probe goes through; the target is still down: open again at once.
    await sleep(resilience.halfOpenAfterMs);
    const probeCall = await timed(rejectionOf(side.caller('record', { text: 'x' })));
    expect(probeCall.value.detail).toContain('could not be reached');
    timings['half-open probe (down)'] = { ms: +probeCall.ms.toFixed(2), detail: probeCall.value.detail ?? '' };
    await fastFail('re-opened');

    // The target comes up on the same port: while the circuit is open, nothing reaches it.
    const gate = { attempts: 0 };
    track(await startEchoService({ probe, knownKeys: trusted(), port, wrap: (fetch) => (req) => (gate.attempts++, fetch(req)) }));
    await fastFail('open, target up');
    expect(gate.attempts).toBe(0);

    await sleep(resilience.halfOpenAfterMs);
    const healed = await timed(side.caller('echo', { text: 'back' }));
    expect(healed.value).toMatchObject({ text: 'back' });
    timings['half-open probe (up)'] = { ms: +healed.ms.toFixed(2), detail: 'ok' };
    expect(side.transport.circuitState).toBe(CLOSED);
    expect(gate.attempts).toBe(1);
    await side.caller('echo', { text: 'again' });
    expect(gate.attempts).toBe(2);
    console.log(`circuit breaker lifecycle (threshold ${resilience.breakerThreshold}, halfOpenAfter ${resilience.halfOpenAfterMs} ms):`);
    console.table(timings);
  });

  it('does not count typed errors from the callee: 10 × 409 and 5 × 500 OUTPUT_INVALID, then a good call succeeds', async () => {
    const probe = new Probe();
    const service = track(await startEchoService({ probe, knownKeys: trusted() }));
    const side = track(httpCaller({ baseUrl: service.url, key, probe }));
    for (let i = 0; i < 10; i++) {
      const err = await rejectionOf(side.caller('fail', { code: 'CONFLICT' }));
      expect(err.code).toBe('echo.CONFLICT');
      expect(err.status).toBe(409);
    }
    for (let i = 0; i < 5; i++) expect((await rejectionOf(side.caller('broken', {}))).code).toBe(errors.OUTPUT_INVALID.code);
    expect(side.transport.circuitState).toBe(CLOSED);
    await expect(side.caller('echo', { text: 'fine' })).resolves.toMatchObject({ text: 'fine' });
    expect(probe.count('fail')).toBe(10);
  });

  // Regression: in the half-open state cockatiel treats any error its filter ignores as a
  // successful probe, so the deadline is checked before the breaker.
  it('a call refused for its expired deadline before sending does not close a half-open circuit', async () => {
    const { side } = await openedCircuit();
    await sleep(resilience.halfOpenAfterMs);
    const late = await rejectionOf(side.caller('echo', { text: 'x', timeoutMs: 0 }));
    expect(late.code).toBe(errors.DEADLINE_EXCEEDED.code);
    // Nothing reached the (still dead) target, so nothing proved it healthy.
    expect(side.transport.circuitState).not.toBe(CLOSED);
  });

  // Regression: the key used to go out as a raw header, which undici refuses above U+00FF;
  // the refusal was retried and counted against the circuit of every caller.
  it('a non-Latin-1 idempotency key travels intact', async () => {
    const probe = new Probe();
    const service = track(await startEchoService({ probe, knownKeys: trusted() }));
    const side = track(httpCaller({ baseUrl: service.url, key, probe }));
    await expect(side.caller('echo', { text: 'x', idempotencyKey: 'заказ-42-€' })).resolves.toMatchObject({ idempotencyKey: 'заказ-42-€' });
    expect(side.transport.circuitState).toBe(CLOSED);
  });

  // Regression: a body that is not JSON must not turn an outage into cleave.INTERNAL.
  it('a 502 without problem details (a proxy’s HTML page) is DEPENDENCY_UNAVAILABLE', async () => {
    const target: HttpServer = track(
      await listen(() => new Response('<html><body><h1>502 Bad Gateway</h1></body></html>', { status: 502, headers: { 'content-type': 'text/html' } }), 0, HOST),
    );
    const side = track(httpCaller({ baseUrl: target.url, key, probe: new Probe() }));
    const err: CleaveError = await rejectionOf(side.caller('echo', { text: 'x' }));
    expect(err.code).toBe(errors.DEPENDENCY_UNAVAILABLE.code);
  });
});
