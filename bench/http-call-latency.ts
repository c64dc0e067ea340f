/**
 * Latency and throughput of one cross-service call, side by side in one run:
 *   - Cleave in-process (`ctx.call` → CallRouter → InProcessTransport), the monolith's call;
 *   - Cleave over HTTP (`ctx.call` → HttpTransport → createInternalServer served by
 *     `listen()`), the split topology's call, with real EdDSA service tokens;
 *   - the floor: an undici Pool request to a bare node:http server (same keep-alive, same
 *     JSON body), i.e. what any JSON-over-HTTP call costs before a framework adds anything;
 *   - Moleculer 0.14 with its TCP transporter (two brokers, static discovery).
 * Plus what verifying a service token costs: jose `jwtVerify` against the verifier's cache.
 *
 * Caller and callee live in this one process (one event loop), for every row alike, so
 * the figures are the framework's cost per call, not a network's.
 *
 *   tsx bench/http-call-latency.ts
 *
 * BENCH_HTTP_CALLS (sequential calls per scenario, default 5000), BENCH_HTTP_CONCURRENCY
 * (default 32) and BENCH_HTTP_SECONDS (closed-loop duration per scenario, default 3).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Kysely } from 'kysely';
import moleculer from 'moleculer';
import { Pool } from 'undici';
import { z } from 'zod';
import { defineContract, defineModule, operation } from '@cleavejs/core';
import type { ModuleContext, RequestContext } from '@cleavejs/core';
// Internals on purpose: the bench assembles two services by hand to time the call path alone.
import { ServiceTokenIssuer, ServiceTokenVerifier } from '../packages/cleave/src/auth/service-tokens.ts';
import { loadSigningKey } from '../packages/cleave/src/auth/signing-key.ts';
import { CallRouter } from '../packages/cleave/src/runtime/call-router.ts';
import { listen } from '../packages/cleave/src/runtime/http-server.ts';
import type { HttpServer } from '../packages/cleave/src/runtime/http-server.ts';
import { ModuleRuntime } from '../packages/cleave/src/runtime/module-runtime.ts';
import { createLogger } from '../packages/cleave/src/telemetry/logger.ts';
import { newTraceContext } from '../packages/cleave/src/telemetry/trace-context.ts';
import { SpanStore } from '../packages/cleave/src/telemetry/span-store.ts';
import { createTracer, disabledTracer } from '../packages/cleave/src/telemetry/tracer.ts';
import type { Tracer } from '../packages/cleave/src/telemetry/tracer.ts';
import { HttpTransport } from '../packages/cleave/src/transport/http-transport.ts';
import { InProcessTransport } from '../packages/cleave/src/transport/in-process.ts';
import { createInternalServer } from '../packages/cleave/src/transport/internal-server.ts';
import { closedLoop, count, freePort, isMain, percentiles, sequential, us } from './lib/load.ts';
import type { Percentiles, ThroughputResult } from './lib/load.ts';
import { environment, formatTable, measure, ratio, writeJson } from './lib/measure.ts';
import type { Scenario } from './lib/measure.ts';
import { b, bModule, payload } from './lib/echo-module.ts';
import type { Item } from './lib/echo-module.ts';

export interface HttpCallOptions {
  /** Sequential calls per scenario (after warm-up), split over `rounds` turns. */
  readonly calls: number;
  readonly rounds: number;
  readonly warmupCalls: number;
  readonly concurrency: number;
  readonly seconds: number;
}

export const defaultOptions: HttpCallOptions = {
  calls: Number(process.env.BENCH_HTTP_CALLS ?? 5_000),
  rounds: 5,
  warmupCalls: 1_000,
  concurrency: Number(process.env.BENCH_HTTP_CONCURRENCY ?? 32),
  seconds: Number(process.env.BENCH_HTTP_SECONDS ?? 3),
};

export const targets = {
  floorRatio: 1.5,
} as const;

// Module a: its one handler hands out its ModuleContext, so the bench can make real
// `ctx.call`s from module a (dependency check, child context, router) one by one.
const a = defineContract('a', {
  operations: { capture: operation({ input: z.object({}), output: z.object({}) }) },
});
let captured: ModuleContext<unknown> | undefined;
const aModule = defineModule(a, {
  dependsOn: [b],
  handlers: {
    capture: async (_input, ctx) => {
      captured = ctx as ModuleContext<unknown>;
      return {};
    },
  },
});

const silent = createLogger({ service: 'bench', level: 'silent', destination: new Writable({ write: (_chunk, _enc, done) => done() }) });
const db = {} as unknown as Kysely<unknown>; // the handlers never touch it

/** What the gateway gives a request: a fresh trace and its default 10 s budget. */
const REQUEST_BUDGET_MS = 10_000;
function entryContext(): RequestContext {
  return { trace: newTraceContext(), user: undefined, caller: 'bench', deadline: Date.now() + REQUEST_BUDGET_MS, idempotencyKey: undefined };
}

/**
 * Module a's context on a router that reaches b through what `reachB` registers. The
 * context is re-captured once a second, so every call leaves with 9-10 s of budget as a
 * fresh gateway request would (HttpTransport arms a timer per call for that budget).
 */
async function callerContext(tracer: Tracer, reachB: (router: CallRouter) => void): Promise<{ ctx: () => ModuleContext<unknown>; close: () => Promise<void> }> {
  const router = new CallRouter();
  const runtimeA = new ModuleRuntime(aModule, db, silent, tracer, router);
  router.register('a', new InProcessTransport(runtimeA));
  reachB(router);
  const capture = async () => {
    captured = undefined;
    await runtimeA.handle('capture', {}, entryContext());
    assert.ok(captured, 'module a handed out its context');
    return captured;
  };
  let current = await capture();
  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void capture().then((ctx) => {
      current = ctx;
      refreshing = false;
    });
  }, 1_000);
  timer.unref();
  const close = async () => {
    clearInterval(timer);
    await router.close();
  };
  return { ctx: () => current, close };
}

/** Service "svc-b" hosting module b on its internal listener, called by "svc-a" over HTTP. */
async function httpPair(tracer: Tracer) {
  const keyA = await loadSigningKey({ name: 'service-svc-a' }); // no dir: ephemeral, in memory
  const keyB = await loadSigningKey({ name: 'service-svc-b' });
  const jwksA = createLocalJWKSet({ keys: [keyA.publicJwk] });
  const verifier = new ServiceTokenVerifier('svc-b', (caller) => (caller === 'svc-a' ? jwksA : undefined));
  const calleeRouter = new CallRouter();
  const runtimeB = new ModuleRuntime(bModule, db, silent, tracer, calleeRouter);
  calleeRouter.register('b', new InProcessTransport(runtimeB));
  const internal = createInternalServer({
    service: 'svc-b',
    hosts: new Map([['b', runtimeB]]),
    verifier,
    mayCall: (caller, module) => caller === 'svc-a' && module === 'b',
    jwks: () => [keyB.publicJwk],
    isReady: async () => true,
    maxDeadlineMs: 10_000,
    bodyLimitBytes: 100 * 1024,
    logger: silent,
  });
  const server = await listen(internal.fetch, 0, '127.0.0.1');
  const issuer = new ServiceTokenIssuer('svc-a', keyA);
  const transport = new HttpTransport({ service: 'svc-b', baseUrl: server.url, tokens: issuer, tracer });
  const caller = await callerContext(tracer, (router) => router.register('b', transport));
  return {
    ctx: caller.ctx,
    server,
    async close() {
      await caller.close(); // closes the transport's pool
      await server.close();
    },
  };
}

/** The floor: node:http parsing the JSON body and answering JSON, nothing else. */
async function rawServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Item;
      const body = JSON.stringify(input);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
      }),
  };
}

/** A JSON POST over an undici Pool configured as HttpTransport configures its own. */
function poolClient(url: string, path: string) {
  const pool = new Pool(url, { connections: 32, keepAliveTimeout: 30_000, pipelining: 1 });
  return {
    async call(): Promise<Item> {
      const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text}`);
      return JSON.parse(text) as Item;
    },
    close: () => pool.close(),
  };
}

async function moleculerPair() {
  const [portA, portB] = [await freePort(), await freePort()];
  const urls = [`127.0.0.1:${portA}/a`, `127.0.0.1:${portB}/b`];
  const broker = (nodeID: string, port: number) =>
    new moleculer.ServiceBroker({ nodeID, logger: false, transporter: { type: 'TCP', options: { udpDiscovery: false, port, urls } } });
  const brokerA = broker('a', portA);
  const brokerB = broker('b', portB);
  brokerB.createService({
    name: 'b',
    actions: {
      echo: async (ctx) => ctx.params,
      where(this: moleculer.Service) {
        return this.broker.nodeID;
      },
    },
  });
  await Promise.all([brokerA.start(), brokerB.start()]);
  await brokerA.waitForServices('b', 30_000); // discovery (gossip) before any timing
  return {
    brokerA,
    close: async () => {
      await brokerA.stop();
      await brokerB.stop();
    },
  };
}

interface CallScenario {
  readonly id: string;
  readonly label: string;
  readonly diagnostic: boolean;
  readonly call: () => Promise<unknown>;
}

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly diagnostic: boolean;
  /** One call at a time, µs. */
  readonly sequential: Percentiles;
  /** `concurrency` calls in flight. */
  readonly loaded: ThroughputResult;
  readonly p50VsFloor: number;
  readonly callsPerSecondVsFloor: number;
}

export async function httpCallLatency(options: HttpCallOptions = defaultOptions) {
  const loadBefore = loadavg();
  const inProcess = await callerContext(disabledTracer, (router) => {
    router.register('b', new InProcessTransport(new ModuleRuntime(bModule, db, silent, disabledTracer, router)));
  });
  const http = await httpPair(disabledTracer);
  const tracer = createTracer({ service: 'bench', store: new SpanStore('bench') }); // as a service keeps it (issue 10)
  const httpTraced = await httpPair(tracer);
  const raw = await rawServer();
  const rawClient = poolClient(raw.url, '/echo');
  const honoApp = new Hono();
  honoApp.post('/echo', async (c) => c.json(JSON.parse((await c.req.text()) || '{}') as Item));
  // The same, behind the body-size check the internal server puts on its call route.
  honoApp.post('/limited', bodyLimit({ maxSize: 100 * 1024 }), async (c) => c.json(JSON.parse((await c.req.text()) || '{}') as Item));
  const honoServer: HttpServer = await listen(honoApp.fetch, 0, '127.0.0.1');
  const honoClient = poolClient(honoServer.url, '/echo');
  const honoLimitedClient = poolClient(honoServer.url, '/limited');
  const mol = await moleculerPair();

  try {
    // Sanity: every path answers the payload; the HTTP paths really cross the wire.
    assert.deepEqual(await inProcess.ctx().call(b.echo, payload), payload);
    assert.deepEqual(await http.ctx().call(b.echo, payload), payload);
    assert.deepEqual(await httpTraced.ctx().call(b.echo, payload), payload);
    assert.deepEqual(await rawClient.call(), payload);
    assert.deepEqual(await honoClient.call(), payload);
    assert.deepEqual(await honoLimitedClient.call(), payload);
    assert.deepEqual(await mol.brokerA.call('b.echo', payload), payload);
    assert.equal(await mol.brokerA.call('b.where'), 'b', 'moleculer: b.echo runs on broker b, reached over TCP');
    const unauthenticated = await fetch(`${http.server.url}/_cleave/call/b/echo`, { method: 'POST', body: JSON.stringify(payload) });
    assert.equal(unauthenticated.status, 401, 'internal server refuses a call without a service token');
    await unauthenticated.text();

    const scenarios: CallScenario[] = [
      { id: 'cleave-in-process', label: 'Cleave in-process ctx.call (monolith), tracing off', diagnostic: false, call: () => inProcess.ctx().call(b.echo, payload) },
      { id: 'cleave-http', label: 'Cleave HTTP ctx.call (split), tracing off', diagnostic: false, call: () => http.ctx().call(b.echo, payload) },
      { id: 'raw', label: 'floor: undici Pool -> bare node:http JSON', diagnostic: false, call: () => rawClient.call() },
      { id: 'moleculer-tcp', label: "Moleculer TCP broker.call('b.echo')", diagnostic: false, call: () => mol.brokerA.call('b.echo', payload) },
      { id: 'cleave-http-traced', label: 'Cleave HTTP ctx.call, tracing on (default)', diagnostic: true, call: () => httpTraced.ctx().call(b.echo, payload) },
      { id: 'hono', label: 'undici Pool -> Hono on listen() (no Cleave)', diagnostic: true, call: () => honoClient.call() },
      { id: 'hono-body-limit', label: 'the same + hono/body-limit (as internal server)', diagnostic: true, call: () => honoLimitedClient.call() },
    ];

    // Sequential: warm up, then rounds in rotating order so drift spreads evenly.
    for (const s of scenarios) await sequential(s.call, options.warmupCalls);
    const seq = new Map<string, number[]>(scenarios.map((s) => [s.id, []]));
    const perRound = Math.ceil(options.calls / options.rounds);
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < scenarios.length; k++) {
        const s = scenarios[(round + k) % scenarios.length]!;
        seq.get(s.id)!.push(...(await sequential(s.call, perRound)));
      }
    }
    // Throughput: a closed loop of `concurrency` callers per scenario, after a short warm-up.
    const loaded = new Map<string, ThroughputResult>();
    for (const s of scenarios) {
      await closedLoop(s.call, options.concurrency, 500);
      loaded.set(s.id, await closedLoop(s.call, options.concurrency, options.seconds * 1000));
    }
    const verify = await verifyCost();
    return report(scenarios, seq, loaded, verify, options, loadBefore);
  } finally {
    await inProcess.close();
    await http.close();
    await httpTraced.close();
    await tracer.shutdown();
    await rawClient.close();
    await raw.close();
    await honoClient.close();
    await honoLimitedClient.close();
    await honoServer.close();
    await mol.close();
  }
}

interface VerifyRow {
  readonly id: string;
  readonly label: string;
  readonly usPerOp: number;
}

/** µs per operation of the service-token steps, with the measure.ts batch harness. */
async function verifyCost(): Promise<VerifyRow[]> {
  const key = await loadSigningKey({ name: 'service-svc-a' });
  const jwks = createLocalJWKSet({ keys: [key.publicJwk] });
  const issuer = new ServiceTokenIssuer('svc-a', key);
  const token = await issuer.tokenFor('svc-b', 'u_123');
  const verifier = new ServiceTokenVerifier('svc-b', (caller) => (caller === 'svc-a' ? jwks : undefined));
  const options = { algorithms: ['EdDSA'], audience: 'svc-b', issuer: 'svc-a', typ: 'svc+jwt', requiredClaims: ['exp', 'iat'] };
  assert.equal((await verifier.verify(token)).userId, 'u_123');
  assert.equal((await jwtVerify(token, key.publicKey, options)).payload.sub, 'u_123');

  const slow: Scenario[] = [
    { id: 'jose-verify', label: 'jose jwtVerify (EdDSA, CryptoKey)', batch: async (n) => { for (let i = 0; i < n; i++) await jwtVerify(token, key.publicKey, options); } },
    { id: 'jose-verify-jwks', label: 'jose jwtVerify via createLocalJWKSet', batch: async (n) => { for (let i = 0; i < n; i++) await jwtVerify(token, jwks, options); } },
    {
      id: 'verifier-uncached',
      label: 'ServiceTokenVerifier.verify, first sight of a token',
      batch: async (n) => {
        for (let i = 0; i < n; i++) await new ServiceTokenVerifier('svc-b', () => jwks).verify(token);
      },
    },
    {
      id: 'issuer-sign',
      label: 'ServiceTokenIssuer.tokenFor, signing (cache miss)',
      batch: async (n) => {
        for (let i = 0; i < n; i++) await new ServiceTokenIssuer('svc-a', key).tokenFor('svc-b', 'u_123');
      },
    },
  ];
  const fast: Scenario[] = [
    { id: 'verifier-cached', label: 'ServiceTokenVerifier.verify, cached', batch: async (n) => { for (let i = 0; i < n; i++) await verifier.verify(token); } },
    { id: 'issuer-cached', label: 'ServiceTokenIssuer.tokenFor, cached', batch: async (n) => { for (let i = 0; i < n; i++) await issuer.tokenFor('svc-b', 'u_123'); } },
  ];
  // Not a token step: the deadline timer HttpTransport arms on every call, for scale.
  // Timed on its own, since the timers it leaves behind cost the next batches GC time.
  const timer: Scenario[] = [
    { id: 'abort-signal-timeout', label: '(for scale) AbortSignal.timeout(10 s), once per HTTP call', batch: async (n) => { for (let i = 0; i < n; i++) AbortSignal.timeout(10_000); } },
  ];
  const slowStats = await measure(slow, { n: 500, samples: 7, warmup: 1 });
  const fastStats = await measure(fast, { n: 100_000, samples: 7, warmup: 1 });
  const timerStats = await measure(timer, { n: 10_000, samples: 7, warmup: 1 });
  const median = (group: readonly Scenario[], stats: Map<string, { median: number }>) => group.map((s) => ({ s, ns: stats.get(s.id)!.median }));
  return [...median(slow, slowStats), ...median(fast, fastStats), ...median(timer, timerStats)].map(({ s, ns }) => ({
    id: s.id,
    label: s.label,
    usPerOp: ns / 1000,
  }));
}

function report(
  scenarios: readonly CallScenario[],
  seq: ReadonlyMap<string, number[]>,
  loaded: ReadonlyMap<string, ThroughputResult>,
  verify: readonly VerifyRow[],
  options: HttpCallOptions,
  loadBefore: readonly number[],
) {
  const stats = new Map(scenarios.map((s) => [s.id, percentiles(seq.get(s.id)!)]));
  const floor = stats.get('raw')!;
  const floorLoaded = loaded.get('raw')!;
  const rows: Row[] = scenarios.map((s) => ({
    id: s.id,
    label: s.label,
    diagnostic: s.diagnostic,
    sequential: stats.get(s.id)!,
    loaded: loaded.get(s.id)!,
    p50VsFloor: stats.get(s.id)!.p50 / floor.p50,
    callsPerSecondVsFloor: loaded.get(s.id)!.callsPerSecond / floorLoaded.callsPerSecond,
  }));
  const row = (id: string) => rows.find((r) => r.id === id)!;
  const table = formatTable(
    ['scenario', 'p50 µs', 'p99 µs', 'mean µs', 'p50 vs floor', `calls/s (c=${options.concurrency})`, 'vs floor', 'p99 µs loaded'],
    rows.map((r) => [
      (r.diagnostic ? '  ' : '') + r.label,
      us(r.sequential.p50),
      us(r.sequential.p99),
      us(r.sequential.mean),
      ratio(r.p50VsFloor),
      count(r.loaded.callsPerSecond),
      ratio(r.callsPerSecondVsFloor),
      us(r.loaded.latency.p99),
    ]),
  );
  const cleaveHttp = row('cleave-http');
  const mol = row('moleculer-tcp');
  const verdicts = [
    {
      target: `Cleave HTTP p50 within ${targets.floorRatio}x of the raw floor`,
      value: cleaveHttp.p50VsFloor,
      shown: ratio(cleaveHttp.p50VsFloor),
      pass: cleaveHttp.p50VsFloor <= targets.floorRatio,
    },
    {
      target: 'Cleave HTTP ahead of Moleculer TCP (sequential p50)',
      value: cleaveHttp.sequential.p50 / mol.sequential.p50,
      shown: `${us(cleaveHttp.sequential.p50)} µs vs ${us(mol.sequential.p50)} µs = ${ratio(cleaveHttp.sequential.p50 / mol.sequential.p50)}`,
      pass: cleaveHttp.sequential.p50 < mol.sequential.p50,
    },
    {
      target: `Cleave HTTP ahead of Moleculer TCP (calls/s at c=${options.concurrency})`,
      value: cleaveHttp.loaded.callsPerSecond / mol.loaded.callsPerSecond,
      shown: `${count(cleaveHttp.loaded.callsPerSecond)} vs ${count(mol.loaded.callsPerSecond)} = ${ratio(cleaveHttp.loaded.callsPerSecond / mol.loaded.callsPerSecond)}`,
      pass: cleaveHttp.loaded.callsPerSecond > mol.loaded.callsPerSecond,
    },
  ];
  const v = (id: string) => verify.find((r) => r.id === id)!.usPerOp;
  const verifyTable = formatTable(
    ['service-token step (measure.ts batches, median)', 'µs/op', 'vs jose jwtVerify'],
    verify.map((r) => [r.label, us(r.usPerOp), ratio(r.usPerOp / v('jose-verify'))]),
  );
  const notes = [
    `Caller and callee share one process and event loop, for every row; client and servers share ${environment().cpus} cores.`,
    `Load average (1/5/15 min) before the run: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; other work on the machine shows as noise.`,
    'Sequential: one call at a time, latency per call; loaded: a closed loop of calls in flight for a fixed time.',
    'Cleave HTTP pays per call: service token (cached), JSON both ways, Zod in/out on the callee, circuit breaker, deadline timer.',
    `Tracing on adds ${us(row('cleave-http-traced').sequential.p50 - cleaveHttp.sequential.p50)} µs to the HTTP p50 (client + server span); the targets use tracing off, like the floor and Moleculer.`,
    'Indented rows are diagnostics, not targets: the default (traced) HTTP call; Hono on the same listen() with no Cleave code,',
    'then with the hono/body-limit middleware the internal server runs before each call (it reads c.req.raw.body, which makes',
    '@hono/node-server build a full web Request and stream the body).',
  ];
  const json = {
    benchmark: 'http-call-latency',
    ...environment(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    options,
    payload,
    rows,
    ratios: {
      cleaveHttpP50VsFloor: cleaveHttp.p50VsFloor,
      cleaveHttpP50VsMoleculer: cleaveHttp.sequential.p50 / mol.sequential.p50,
      cleaveHttpCallsPerSecondVsMoleculer: cleaveHttp.loaded.callsPerSecond / mol.loaded.callsPerSecond,
      cleaveHttpP50VsInProcess: cleaveHttp.sequential.p50 / row('cleave-in-process').sequential.p50,
    },
    verify,
    verifyRatios: { cachedVsJwtVerify: v('verifier-cached') / v('jose-verify') },
    targets: verdicts.map(({ shown: _shown, ...rest }) => rest),
    notes,
  };
  const text = [
    table,
    '',
    ...verdicts.map((t) => `${t.pass ? 'PASS' : 'MISS'}  ${t.target}: ${t.shown}`),
    '',
    verifyTable,
    `EdDSA verify: jose jwtVerify ${us(v('jose-verify'))} µs/op vs ServiceTokenVerifier.verify cached ${us(v('verifier-cached'))} µs/op = ${count(v('jose-verify') / v('verifier-cached'))}x cheaper.`,
    '',
    ...notes,
  ].join('\n');
  return { text, json };
}

export async function run(): Promise<void> {
  const { text, json } = await httpCallLatency(defaultOptions);
  const file = join(import.meta.dirname, 'results', 'http-call-latency.json');
  writeJson(file, json);
  console.log(
    `http call latency: µs per call, ${defaultOptions.calls} sequential calls and ${defaultOptions.seconds} s at ${defaultOptions.concurrency} in flight per scenario ` +
      `(${json.cpus} cores shared by client and servers, node ${json.node})\n`,
  );
  console.log(text);
  console.log(`\n${JSON.stringify(json, null, 2)}`);
  console.log(`\nwritten to ${file}`);
}

if (isMain(import.meta.url)) await run();
