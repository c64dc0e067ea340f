/**
 * The gateway's aggregated `GET /api/v1/posts/:id` (post + author, two module calls)
 * under load with autocannon, against three deployments, each in child processes:
 *   - monolith: `cleave start` (one process; the two calls are function calls);
 *   - split: `cleave start --topology split` (a supervisor and one process per service;
 *     the two calls are HTTP requests from the gateway service to posts and users);
 *   - naive: the seed's hand-rolled version (bench/lib/naive-service.ts): a node:http
 *     gateway making two `fetch` calls to node:http posts and users services, in memory,
 *     with no auth, validation, rate limits or tracing.
 * Cleave runs with its default settings (tracing on, PGlite in CLEAVE_DATA_DIR), except
 * LOG_LEVEL=warn (the default `info` logs a line per request) and CLEAVE_TRUST_PROXY=1.
 *
 *   tsx bench/gateway-aggregate.ts
 *
 * The gateway's default rate limits (600 requests/min per IP, 1200/min per user) would
 * refuse most of a load test and no setting raises them, so the load comes from many
 * X-Forwarded-For addresses and many signed-up users (see the report's notes).
 *
 * BENCH_GW_SECONDS (default 10), BENCH_GW_CONNECTIONS (default 20), BENCH_GW_USERS
 * (default 48), BENCH_GW_TRACING=off (run Cleave with CLEAVE_TRACING=off instead).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { split } from '../examples/saas/topologies/split.ts';
import { count, freePort, isMain, percentiles, waitUntil } from './lib/load.ts';
import type { Percentiles } from './lib/load.ts';
import { environment, formatTable, ratio, writeJson } from './lib/measure.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const cleaveBin = join(repoRoot, 'packages/cleave/bin/cleave.mjs');
const naiveService = join(import.meta.dirname, 'lib/naive-service.ts');

export interface GatewayOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  /** Signed-up users whose tokens the load rotates through (per-user limit: 1200/min). */
  readonly users: number;
  /** Distinct X-Forwarded-For addresses per user (per-IP limit: 600/min). */
  readonly ipsPerUser: number;
  readonly tracing: boolean;
}

export const defaultOptions: GatewayOptions = {
  seconds: Number(process.env.BENCH_GW_SECONDS ?? 10),
  warmupSeconds: 2,
  connections: Number(process.env.BENCH_GW_CONNECTIONS ?? 20),
  users: Number(process.env.BENCH_GW_USERS ?? 48),
  ipsPerUser: 8,
  tracing: process.env.BENCH_GW_TRACING !== 'off',
};

/** The default limits of the gateway (packages/cleave/src/gateway/rate-limit.ts). */
const limits = { perIpPerMinute: 600, perUserPerMinute: 1200, authPerIpPerMinute: 20 };

interface Deployment {
  readonly id: string;
  readonly label: string;
  readonly baseUrl: string;
  readonly processes: number;
  stop(): Promise<void>;
}

/** Environment for a Cleave child: this one's, minus anything that would point it elsewhere. */
function cleaveEnv(extra: Record<string, string>, tracing: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(CLEAVE_|NATS_URL$|REDIS_URL$|DATABASE_URL$|SMTP_URL$|LOG_LEVEL$|PORT$)|_DATABASE_URL$/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, CLEAVE_TRUST_PROXY: '1', LOG_LEVEL: 'warn', ...(tracing ? {} : { CLEAVE_TRACING: 'off' }), ...extra };
}

function spawnChild(args: readonly string[], env: Record<string, string>): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { child, exited };
}

async function stopChild({ child, exited }: { child: ChildProcess; exited: Promise<void> }): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited;
}

const ready = async (url: string, path = '/readyz') => (await fetch(url + path)).status === 200;

export async function startMonolith(tracing: boolean, extraEnv: Record<string, string> = {}): Promise<Deployment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-bench-mono-'));
  const port = await freePort();
  const proc = spawnChild([cleaveBin, '--config', join(repoRoot, 'cleave.config.ts'), 'start'], cleaveEnv({ PORT: String(port), CLEAVE_DATA_DIR: dataDir, ...extraEnv }, tracing));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(proc);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil('the monolith', () => ready(baseUrl), proc.child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { id: 'monolith', label: 'Cleave monolith (1 process)', baseUrl, processes: 1, stop };
}

async function startSplit(tracing: boolean): Promise<Deployment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-bench-split-'));
  const port = await freePort();
  const extra: Record<string, string> = { PORT: String(port), CLEAVE_DATA_DIR: dataDir, CLEAVE_EVENTS: 'http' };
  const services: string[] = [];
  for (const name of Object.keys(split.services)) {
    const url = `http://127.0.0.1:${await freePort()}`;
    services.push(url);
    extra[`CLEAVE_SERVICE_${name.toUpperCase()}_URL`] = url;
  }
  const proc = spawnChild([cleaveBin, '--config', join(repoRoot, 'cleave.config.ts'), 'start', '--topology', 'split'], cleaveEnv(extra, tracing));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(proc);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil('the split topology', async () => (await ready(baseUrl)) && (await Promise.all(services.map((s) => ready(s)))).every(Boolean), proc.child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { id: 'split', label: `Cleave split (supervisor + ${services.length} services)`, baseUrl, processes: services.length + 1, stop };
}

async function startNaive(post: object, user: object): Promise<Deployment> {
  const [gatewayPort, postsPort, usersPort] = [await freePort(), await freePort(), await freePort()];
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const start = (role: string, port: number, extra: Record<string, string>) =>
    spawnChild(['--import', 'tsx', naiveService], { ...base, NAIVE_ROLE: role, PORT: String(port), ...extra });
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const procs = [
    start('posts', postsPort, { NAIVE_POST: JSON.stringify(post) }),
    start('users', usersPort, { NAIVE_USER: JSON.stringify(user) }),
    start('gateway', gatewayPort, { POSTS_URL: url(postsPort), USERS_URL: url(usersPort) }),
  ];
  const stop = async () => {
    await Promise.all(procs.map(stopChild));
  };
  try {
    for (const [i, port] of [postsPort, usersPort, gatewayPort].entries()) {
      await waitUntil('a naive service', () => ready(url(port), '/healthz'), procs[i]!.child);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { id: 'naive', label: 'naive: node:http + 2 fetch (3 processes)', baseUrl: url(gatewayPort), processes: 3, stop };
}

// Addresses from a per-run random /16, so no two runs (or targets) share a limiter key.
const ipBase = Math.floor(Math.random() * 0xffff);
let nextIp = 1;
export function newIp(): string {
  const n = nextIp++;
  return `10.${(ipBase >> 8) & 255}.${(ipBase + (n >> 8)) & 255}.${n & 255}`;
}

interface Session {
  readonly userId: string;
  readonly token: string;
}

async function api(baseUrl: string, path: string, init: { method?: string; token?: string; body?: unknown; ip?: string } = {}) {
  const headers: Record<string, string> = { 'x-forwarded-for': init.ip ?? newIp() };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

/** Signs up `n` users (a fresh address each: signup is limited to 20/min per IP), 4 at a time. */
async function signUp(baseUrl: string, n: number): Promise<Session[]> {
  const sessions: Session[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await api(baseUrl, '/api/v1/auth/signup', { body: { email: `bench-${i}-${randomUUID()}@example.com`, password: `pw-${randomUUID()}`, name: `Bench User ${i}` } });
      if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
      sessions.push({ userId: (res.body.user as { id: string }).id, token: res.body.accessToken as string });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return sessions;
}

/** Signs up users, writes a post, and checks the aggregate answers whole (author present). */
export async function seed(baseUrl: string, users: number) {
  const sessions = await signUp(baseUrl, users);
  const author = sessions[0]!;
  const created = await api(baseUrl, '/api/v1/posts', { token: author.token, body: { title: 'Benchmark post', body: 'A post read under load by bench/gateway-aggregate.ts.' } });
  assert.equal(created.status, 201, `create post: ${created.text}`);
  const postId = created.body.id as string;
  const read = await api(baseUrl, `/api/v1/posts/${postId}`, { token: sessions[1 % sessions.length]!.token });
  assert.equal(read.status, 200, `read post: ${read.text}`);
  assert.equal(read.headers.get('cleave-partial'), null, 'the aggregate answered whole');
  assert.equal((read.body.author as { id: string } | null)?.id, author.userId, 'the aggregate carries the author');
  return { sessions, postId, sample: read.body, bytes: Buffer.byteLength(read.text) };
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Latency of every answered request in ms, from autocannon's per-response times. */
  readonly latencyMs: Percentiles;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
}

/** One autocannon run; `requests` are cycled per connection (pre-built, no per-request setup). */
export async function load(url: string, requests: autocannon.Request[], connections: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon({ url, connections, duration: seconds, requests }, (err: unknown, res: autocannon.Result) => (err ? fail(err) : done(res)));
    // The tracker emits (client, statusCode, resBytes, responseTime in ms, fractional).
    instance.on('response', (...args: unknown[]) => latencies.push(args[3] as number));
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  const answered = latencies.length;
  return {
    requests: answered,
    seconds: result.duration,
    requestsPerSecond: answered / result.duration,
    latencyMs: percentiles(latencies),
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly processes: number;
  readonly result: LoadResult;
  readonly warmup: LoadResult;
}

export async function gatewayAggregate(options: GatewayOptions = defaultOptions) {
  const loadBefore = loadavg();
  const rows: Row[] = [];
  let sample: Record<string, unknown> | undefined;
  let probe: LoadResult | undefined;
  const plan = {
    loadRequests: options.users * options.ipsPerUser,
    // What the load may send in one 60 s window before a limit refuses anything.
    headroomRequests: Math.min(options.users * limits.perUserPerMinute, options.users * options.ipsPerUser * limits.perIpPerMinute),
  };

  const measureTarget = async (deployment: Deployment, requests: autocannon.Request[]) => {
    const url = deployment.baseUrl;
    const warmup = await load(url, requests, options.connections, options.warmupSeconds);
    const result = await load(url, requests, options.connections, options.seconds);
    rows.push({ id: deployment.id, label: deployment.label, processes: deployment.processes, result, warmup });
    return result;
  };
  const requestsFor = (postId: string, sessions: readonly Session[]): autocannon.Request[] =>
    Array.from({ length: plan.loadRequests }, (_, i) => ({
      method: 'GET',
      path: `/api/v1/posts/${postId}`,
      headers: { authorization: `Bearer ${sessions[i % sessions.length]!.token}`, 'x-forwarded-for': newIp() },
    }));

  for (const start of [startMonolith, startSplit]) {
    const deployment = await start(options.tracing);
    try {
      const seeded = await seed(deployment.baseUrl, options.users);
      sample ??= seeded.sample;
      await measureTarget(deployment, requestsFor(seeded.postId, seeded.sessions));
      const after = await api(deployment.baseUrl, `/api/v1/posts/${seeded.postId}`, { token: seeded.sessions[0]!.token });
      assert.equal(after.status, 200);
      assert.equal(after.headers.get('cleave-partial'), null, `${deployment.id}: the aggregate still answers whole after the load`);
      if (deployment.id === 'monolith') {
        // The finding behind the workaround: one client address, one user, default limits.
        probe = await load(
          deployment.baseUrl,
          [{ method: 'GET', path: `/api/v1/posts/${seeded.postId}`, headers: { authorization: `Bearer ${seeded.sessions[0]!.token}`, 'x-forwarded-for': newIp() } }],
          options.connections,
          3,
        );
      }
    } finally {
      await deployment.stop();
    }
  }

  // The naive baseline serves the very post and author the Cleave app answered.
  assert.ok(sample);
  const { author, ...post } = sample as { id: string; author: { id: string } };
  const naive = await startNaive(post, author);
  try {
    const read = await api(naive.baseUrl, `/api/v1/posts/${post.id}`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body, sample, 'naive: the same answer as Cleave');
    // Same request list shape (headers ignored there), so the client does the same work.
    await measureTarget(naive, requestsFor(post.id, [{ userId: author.id, token: 'unused' }]));
  } finally {
    await naive.stop();
  }
  return report(rows, probe!, options, plan, Buffer.byteLength(JSON.stringify(sample)), loadBefore);
}

function report(
  rows: readonly Row[],
  probe: LoadResult,
  options: GatewayOptions,
  plan: { loadRequests: number; headroomRequests: number },
  responseBytes: number,
  loadBefore: number[],
) {
  const row = (id: string) => rows.find((r) => r.id === id)!;
  const mono = row('monolith').result;
  const splitResult = row('split').result;
  const naive = row('naive').result;
  const ms = (v: number) => v.toFixed(2);
  const table = formatTable(
    ['target', 'processes', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'req/s vs monolith', 'req/s vs naive'],
    rows.map((r) => [
      r.label,
      String(r.processes),
      count(r.result.requestsPerSecond),
      ms(r.result.latencyMs.p50),
      ms(r.result.latencyMs.p99),
      String(r.result.non2xx),
      String(r.result.errors + r.result.timeouts),
      ratio(r.result.requestsPerSecond / mono.requestsPerSecond),
      ratio(r.result.requestsPerSecond / naive.requestsPerSecond),
    ]),
  );
  const ratios = {
    monolithVsSplitRequestsPerSecond: mono.requestsPerSecond / splitResult.requestsPerSecond,
    splitVsMonolithP50: splitResult.latencyMs.p50 / mono.latencyMs.p50,
    splitVsNaiveRequestsPerSecond: splitResult.requestsPerSecond / naive.requestsPerSecond,
    monolithVsNaiveRequestsPerSecond: mono.requestsPerSecond / naive.requestsPerSecond,
  };
  const totalNon2xx = rows.reduce((sum, r) => sum + r.result.non2xx + r.warmup.non2xx + r.result.errors + r.warmup.errors, 0);
  const maxSent = Math.max(...rows.filter((r) => r.id !== 'naive').map((r) => r.result.requests + r.warmup.requests));
  const probeRefused = probe.statusCodes['429'] ?? 0;
  const alerts = totalNon2xx > 0 ? [`!!! ${totalNon2xx} non-2xx answers or errors during the load (warm-up included): ${JSON.stringify(rows.map((r) => ({ [r.id]: r.result.statusCodes })))}`] : ['All answers during the load (warm-up included) were 2xx, with no errors or timeouts.'];
  const notes = [
    `Client (autocannon, in this process) and servers share ${environment().cpus} cores; load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    `${options.connections} connections, ${options.warmupSeconds} s warm-up then ${options.seconds} s per target; answer ${responseBytes} bytes of JSON (post + author).`,
    `Cleave: default settings, tracing ${options.tracing ? 'ON (the default)' : 'OFF (CLEAVE_TRACING=off)'}, PGlite, LOG_LEVEL=warn, CLEAVE_TRUST_PROXY=1; split uses CLEAVE_EVENTS=http.`,
    `monolith/split req/s = ${ratio(ratios.monolithVsSplitRequestsPerSecond)}: the seed's "function call vs HTTP request" figure, with auth, validation and tracing on both.`,
    `Rate limits: the defaults (${limits.perIpPerMinute}/min per IP, ${limits.perUserPerMinute}/min per user) cannot be raised by env; only code can (defineApp gateway.rateLimits).`,
    `  Probe, monolith, one address and one user, ${options.connections} connections for 3 s: ${count(probeRefused)} of ${count(probe.requests)} answers were 429.`,
    `  Workaround: the load cycles ${plan.loadRequests} pre-built requests = ${options.users} users x ${options.ipsPerUser} X-Forwarded-For addresses each,`,
    `  room for ${count(plan.headroomRequests)} requests per 60 s window; the busier Cleave target sent ${count(maxSent)} (warm-up included).`,
  ];
  const json = {
    benchmark: 'gateway-aggregate',
    ...environment(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    options,
    plan,
    responseBytes,
    rows,
    ratios,
    rateLimitProbe: probe,
    notes,
  };
  const text = [table, '', ...alerts, '', ...notes].join('\n');
  return { text, json };
}

export async function run(): Promise<void> {
  const { text, json } = await gatewayAggregate(defaultOptions);
  const file = join(import.meta.dirname, 'results', 'gateway-aggregate.json');
  writeJson(file, json);
  console.log(`gateway aggregate: GET /api/v1/posts/:id under autocannon (${json.cpus} cores shared by client and servers, node ${json.node})\n`);
  console.log(text);
  console.log(`\n${JSON.stringify(json, null, 2)}`);
  console.log(`\nwritten to ${file}`);
}

if (isMain(import.meta.url)) await run();
