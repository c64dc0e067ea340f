/**
 * The gateway's aggregated `GET /api/v1/posts/:id` (post + author, two module calls)
 * under load with autocannon, against four deployments, each in child processes:
 *   - Cleave monolith: `cleave start` (one process; the two calls are function calls);
 *   - Cleave split: `cleave start --topology split` (a supervisor and one process per
 *     service; the two calls are HTTP requests from the gateway service to posts and users);
 *   - hand-written monolith (bench/lib/hand-written-service.ts): node:http, jose verify of
 *     the bearer token on every request, two `pg` queries;
 *   - naive split, seed-style: that gateway making two `fetch` hops to node:http posts and
 *     users services, one `pg` query each.
 * The hand-written rows read the database the Cleave monolith wrote, so all four answer
 * the same bytes (checked). They have no validation, rate limits or tracing.
 * Cleave runs with its default settings (tracing on, rate limits on, auth on) on
 * PostgreSQL (DATABASE_URL: fresh databases, dropped afterwards), except LOG_LEVEL=warn
 * (the default `info` logs a line per request) and CLEAVE_TRUST_PROXY=1.
 *
 *   DATABASE_URL=postgres://... tsx bench/gateway-aggregate.ts
 *
 * Without DATABASE_URL it prints a "skipped" line: the hand-written baselines need PostgreSQL.
 *
 * The gateway's default rate limits (600 requests/min per IP, 1200/min per user) would
 * refuse most of a load test and no setting raises them, so the load comes from many
 * X-Forwarded-For addresses and many signed-up users (see the report's notes).
 *
 * BENCH_GW_SECONDS (default 15), BENCH_GW_ROUNDS (default 5: turns per target, interleaved),
 * BENCH_GW_CONNECTIONS (default 20), BENCH_GW_USERS
 * (default 48), BENCH_GW_TRACING=off (run Cleave with CLEAVE_TRACING=off instead),
 * BENCH_GW_PROFILE=<dir> (CPU profiles of the Cleave monolith and of the split's supervisor;
 * read them with `tsx bench/lib/profile-top.ts <file>`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { createTestDatabase } from '../examples/saas/test/support/postgres.ts';
import { split } from '../examples/saas/topologies/split.ts';
import { HAND_TOKEN } from './lib/hand-written-service.ts';
import { count, freePort, isMain, percentiles, processTreeCpuSeconds, waitUntil } from './lib/load.ts';
import type { Percentiles } from './lib/load.ts';
import { environment, formatTable, ratio, writeJson } from './lib/measure.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const cleaveBin = join(repoRoot, 'packages/cleave/bin/cleave.mjs');
const handWrittenService = join(import.meta.dirname, 'lib/hand-written-service.ts');

export interface GatewayOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  /** Signed-up users whose tokens the load rotates through (per-user limit: 1200/min). */
  readonly users: number;
  /** Distinct X-Forwarded-For addresses per user (per-IP limit: 600/min). */
  readonly ipsPerUser: number;
  readonly tracing: boolean;
  /** The measured seconds of each target are taken in this many turns, interleaved with the others'. */
  readonly rounds: number;
  readonly postgresUrl: string | undefined;
}

export const defaultOptions: GatewayOptions = {
  seconds: Number(process.env.BENCH_GW_SECONDS ?? 15),
  warmupSeconds: 2,
  connections: Number(process.env.BENCH_GW_CONNECTIONS ?? 20),
  users: Number(process.env.BENCH_GW_USERS ?? 96),
  ipsPerUser: 8,
  tracing: process.env.BENCH_GW_TRACING !== 'off',
  rounds: Number(process.env.BENCH_GW_ROUNDS ?? 5),
  postgresUrl: process.env.DATABASE_URL || undefined,
};

/** Modules with a database of their own in the split topology (plus the gateway's sessions). */
const splitSchemas = [...Object.values(split.services).flatMap((s) => s.modules), 'cleave_sessions'];

/** The default limits of the gateway (packages/cleave/src/gateway/rate-limit.ts). */
const limits = { perIpPerMinute: 600, perUserPerMinute: 1200, authPerIpPerMinute: 20 };

interface Deployment {
  readonly id: string;
  readonly label: string;
  readonly baseUrl: string;
  readonly processes: number;
  /** The processes that serve it (their trees are summed for CPU time). */
  readonly pids: readonly number[];
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

/** BENCH_GW_PROFILE=<dir>: the Cleave processes write V8 CPU profiles there (`node --cpu-prof`). */
const profileArgs = process.env.BENCH_GW_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_GW_PROFILE)] : [];

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

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

/** The monolith on `database` (the caller drops it: the hand-written rows read it afterwards). */
export async function startMonolith(tracing: boolean, database: TestDatabase | undefined, extraEnv: Record<string, string> = {}): Promise<Deployment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-bench-mono-'));
  const port = await freePort();
  const proc = spawnChild([...profileArgs, cleaveBin, '--config', join(repoRoot, 'cleave.config.ts'), 'start'], cleaveEnv({ PORT: String(port), CLEAVE_DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}), ...extraEnv }, tracing));
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
  return { id: 'monolith', label: 'Cleave monolith (1 process)', baseUrl, processes: 1, pids: [proc.child.pid!], stop };
}

async function startSplit(tracing: boolean, postgresUrl: string): Promise<Deployment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cleave-bench-split-'));
  const port = await freePort();
  const extra: Record<string, string> = { PORT: String(port), CLEAVE_DATA_DIR: dataDir, CLEAVE_EVENTS: 'http' };
  const databases: TestDatabase[] = [];
  for (const schema of splitSchemas) {
    const database = await createTestDatabase(postgresUrl, `cleave_bench_gw_${schema}`);
    databases.push(database);
    extra[`${schema.toUpperCase()}_DATABASE_URL`] = database.url;
  }
  const services: string[] = [];
  for (const name of Object.keys(split.services)) {
    const url = `http://127.0.0.1:${await freePort()}`;
    services.push(url);
    extra[`CLEAVE_SERVICE_${name.toUpperCase()}_URL`] = url;
  }
  const proc = spawnChild([...profileArgs, cleaveBin, '--config', join(repoRoot, 'cleave.config.ts'), 'start', '--topology', 'split'], cleaveEnv(extra, tracing));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(proc);
    await Promise.all(databases.map((d) => d.drop()));
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil('the split topology', async () => (await ready(baseUrl)) && (await Promise.all(services.map((s) => ready(s)))).every(Boolean), proc.child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { id: 'split', label: `Cleave split (supervisor + ${services.length} services)`, baseUrl, processes: services.length + 1, pids: [proc.child.pid!], stop };
}

/** The hand-written monolith (one process) or the naive split (gateway + posts + users). */
async function startHandWritten(shape: 'monolith' | 'split', databaseUrl: string, jwk: JWK): Promise<Deployment> {
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const common = { ...base, HAND_DATABASE_URL: databaseUrl, HAND_JWK: JSON.stringify(jwk) };
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const roles: [string, number, Record<string, string>][] = [];
  const edgePort = await freePort();
  if (shape === 'monolith') {
    roles.push(['monolith', edgePort, {}]);
  } else {
    const [postsPort, usersPort] = [await freePort(), await freePort()];
    roles.push(['posts', postsPort, {}], ['users', usersPort, {}], ['gateway', edgePort, { POSTS_URL: url(postsPort), USERS_URL: url(usersPort) }]);
  }
  const procs = roles.map(([role, port, extra]) => spawnChild(['--import', 'tsx', handWrittenService], { ...common, HAND_ROLE: role, PORT: String(port), ...extra }));
  const stop = async () => {
    await Promise.all(procs.map(stopChild));
  };
  try {
    for (const [i, [, port]] of roles.entries()) await waitUntil(`hand-written ${roles[i]![0]}`, () => ready(url(port), '/healthz'), procs[i]!.child);
  } catch (err) {
    await stop();
    throw err;
  }
  return shape === 'monolith'
    ? { id: 'hand', label: 'hand-written monolith: node:http + jose + 2 pg', baseUrl: url(edgePort), processes: 1, pids: procs.map((p) => p.child.pid!), stop }
    : { id: 'naive', label: 'naive split: gateway + 2 fetch to 2 services', baseUrl: url(edgePort), processes: 3, pids: procs.map((p) => p.child.pid!), stop };
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
  /** CPU ms the target's processes (not PostgreSQL, not the client) spent per answered request. */
  readonly cpuMsPerRequest?: number;
}

/** One load slice: its result plus the raw latencies, so the slices of a target can be merged. */
interface Slice {
  readonly result: LoadResult;
  readonly latencies: readonly number[];
  /** CPU seconds the target's processes used during the slice (Linux), else NaN. */
  readonly cpuSeconds: number;
}

/** The slices of one target as one result: all requests over all seconds, all latencies. */
function merge(slices: readonly Slice[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => slices.reduce((acc, s) => acc + f(s.result), 0);
  const statusCodes: Record<string, number> = {};
  for (const { result } of slices) for (const [code, n] of Object.entries(result.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const requests = sum((r) => r.requests);
  const seconds = sum((r) => r.seconds);
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    latencyMs: percentiles(slices.flatMap((s) => s.latencies)),
    ok2xx: sum((r) => r.ok2xx),
    non2xx: sum((r) => r.non2xx),
    statusCodes,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    cpuMsPerRequest: (1000 * slices.reduce((acc, s) => acc + s.cpuSeconds, 0)) / requests,
  };
}

/** One autocannon run; `requests` are cycled per connection (pre-built, no per-request setup). */
export async function load(url: string, requests: autocannon.Request[], connections: number, seconds: number): Promise<LoadResult> {
  return (await loadSlice(url, requests, connections, seconds, [])).result;
}

async function loadSlice(url: string, requests: autocannon.Request[], connections: number, seconds: number, pids: readonly number[]): Promise<Slice> {
  const cpu = () => pids.reduce((acc, pid) => acc + (processTreeCpuSeconds(pid) ?? NaN), 0);
  const cpuBefore = cpu();
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon({ url, connections, duration: seconds, requests }, (err: unknown, res: autocannon.Result) => (err ? fail(err) : done(res)));
    // The tracker emits (client, statusCode, resBytes, responseTime in ms, fractional).
    instance.on('response', (...args: unknown[]) => latencies.push(args[3] as number));
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  const answered = latencies.length;
  const loadResult: LoadResult = {
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
  return { result: loadResult, latencies, cpuSeconds: cpu() - cpuBefore };
}

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly processes: number;
  readonly result: LoadResult;
  readonly warmup: LoadResult;
}

interface Target {
  readonly deployment: Deployment;
  readonly requests: autocannon.Request[];
  readonly slices: Slice[];
  warmup?: LoadResult;
}

export async function gatewayAggregate(options: GatewayOptions & { postgresUrl: string }) {
  const loadBefore = loadavg();
  const plan = {
    loadRequests: options.users * options.ipsPerUser,
    // What the load may send in one 60 s window before a limit refuses anything.
    headroomRequests: Math.min(options.users * limits.perUserPerMinute, options.users * options.ipsPerUser * limits.perIpPerMinute),
  };
  const requestsFor = (postId: string, tokens: readonly string[]): autocannon.Request[] =>
    Array.from({ length: plan.loadRequests }, (_, i) => ({
      method: 'GET',
      path: `/api/v1/posts/${postId}`,
      headers: { authorization: `Bearer ${tokens[i % tokens.length]!}`, 'x-forwarded-for': newIp() },
    }));
  const targets: Target[] = [];
  const cleanup: (() => Promise<void>)[] = [];
  let probe: LoadResult | undefined;
  let sample: Record<string, unknown> | undefined;
  const checks: (() => Promise<void>)[] = [];
  try {
    // The Cleave monolith's database also serves the two hand-written targets.
    const monolithDb = await createTestDatabase(options.postgresUrl, 'cleave_bench_gw_mono');
    cleanup.push(() => monolithDb.drop());
    for (const id of ['monolith', 'split'] as const) {
      const deployment = id === 'monolith' ? await startMonolith(options.tracing, monolithDb) : await startSplit(options.tracing, options.postgresUrl);
      cleanup.push(() => deployment.stop());
      const seeded = await seed(deployment.baseUrl, options.users);
      targets.push({ deployment, requests: requestsFor(seeded.postId, seeded.sessions.map((s) => s.token)), slices: [] });
      checks.push(async () => {
        const after = await api(deployment.baseUrl, `/api/v1/posts/${seeded.postId}`, { token: seeded.sessions[0]!.token });
        assert.equal(after.status, 200);
        assert.equal(after.headers.get('cleave-partial'), null, `${deployment.id}: the aggregate still answers whole after the load`);
      });
      if (id !== 'monolith') continue;
      sample = seeded.sample;
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
      const jwk = await exportJWK(publicKey);
      const tokens = await Promise.all(
        seeded.sessions.map((s) =>
          new SignJWT({ sid: randomUUID() })
            .setProtectedHeader({ alg: 'EdDSA', typ: HAND_TOKEN.typ })
            .setSubject(s.userId)
            .setIssuer(HAND_TOKEN.issuer)
            .setAudience(HAND_TOKEN.audience)
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(privateKey),
        ),
      );
      for (const shape of ['monolith', 'split'] as const) {
        const hand = await startHandWritten(shape, monolithDb.url, jwk);
        cleanup.push(() => hand.stop());
        const read = await api(hand.baseUrl, `/api/v1/posts/${seeded.postId}`, { token: tokens[0]! });
        assert.equal(read.status, 200, read.text);
        assert.deepEqual(read.body, sample, `${hand.id}: the same answer as Cleave`);
        const refused = await api(hand.baseUrl, `/api/v1/posts/${seeded.postId}`, { token: `${tokens[0]!}x` });
        assert.equal(refused.status, 401, `${hand.id}: a bad signature is refused`);
        targets.push({ deployment: hand, requests: requestsFor(seeded.postId, tokens), slices: [] });
      }
      // The finding behind the workaround: one client address, one user, default limits.
      probe = await load(
        deployment.baseUrl,
        [{ method: 'GET', path: `/api/v1/posts/${seeded.postId}`, headers: { authorization: `Bearer ${seeded.sessions[0]!.token}`, 'x-forwarded-for': newIp() } }],
        options.connections,
        3,
      );
    }
    // All four are up: warm each, then take turns slice by slice (the order rotating each
    // round), so the load other sessions put on this machine falls on every target alike.
    for (const target of targets) target.warmup = await load(target.deployment.baseUrl, target.requests, options.connections, options.warmupSeconds);
    const sliceSeconds = Math.max(1, Math.round(options.seconds / options.rounds));
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const target = targets[(round + k) % targets.length]!;
        target.slices.push(await loadSlice(target.deployment.baseUrl, target.requests, options.connections, sliceSeconds, target.deployment.pids));
      }
    }
    for (const check of checks) await check();
  } finally {
    for (const step of cleanup.reverse()) await step();
  }
  const rows: Row[] = targets.map(({ deployment, slices, warmup }) => ({ id: deployment.id, label: deployment.label, processes: deployment.processes, result: merge(slices), warmup: warmup! }));
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
  const hand = row('hand').result;
  const ms = (v: number) => v.toFixed(2);
  const table = formatTable(
    ['target', 'processes', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'req/s vs hand-written', 'req/s vs naive split', 'CPU ms/req', 'CPU/req vs hand-written'],
    rows.map((r) => [
      r.label,
      String(r.processes),
      count(r.result.requestsPerSecond),
      ms(r.result.latencyMs.p50),
      ms(r.result.latencyMs.p99),
      String(r.result.non2xx),
      String(r.result.errors + r.result.timeouts),
      ratio(r.result.requestsPerSecond / hand.requestsPerSecond),
      ratio(r.result.requestsPerSecond / naive.requestsPerSecond),
      (r.result.cpuMsPerRequest ?? NaN).toFixed(3),
      ratio((r.result.cpuMsPerRequest ?? NaN) / (hand.cpuMsPerRequest ?? NaN)),
    ]),
  );
  const verdict = (ok: boolean, text: string) => `${ok ? 'PASS' : 'MISS'}  ${text}`;
  const targets = [
    verdict(mono.requestsPerSecond >= hand.requestsPerSecond, `Cleave monolith >= 1.0x the hand-written monolith: ${ratio(mono.requestsPerSecond / hand.requestsPerSecond)}`),
    verdict(mono.requestsPerSecond >= 5 * naive.requestsPerSecond, `Cleave monolith >= 5x the naive split: ${ratio(mono.requestsPerSecond / naive.requestsPerSecond)}`),
    verdict(splitResult.requestsPerSecond >= 1.5 * naive.requestsPerSecond, `Cleave split >= 1.5x the naive split: ${ratio(splitResult.requestsPerSecond / naive.requestsPerSecond)}`),
    `      by CPU per request (load-independent): Cleave monolith ${ratio((mono.cpuMsPerRequest ?? NaN) / (hand.cpuMsPerRequest ?? NaN))} the hand-written monolith's, Cleave split ${ratio((splitResult.cpuMsPerRequest ?? NaN) / (naive.cpuMsPerRequest ?? NaN))} the naive split's`,
  ];
  const ratios = {
    monolithVsSplitRequestsPerSecond: mono.requestsPerSecond / splitResult.requestsPerSecond,
    splitVsMonolithP50: splitResult.latencyMs.p50 / mono.latencyMs.p50,
    splitVsNaiveRequestsPerSecond: splitResult.requestsPerSecond / naive.requestsPerSecond,
    monolithVsNaiveRequestsPerSecond: mono.requestsPerSecond / naive.requestsPerSecond,
    monolithVsHandWrittenRequestsPerSecond: mono.requestsPerSecond / hand.requestsPerSecond,
    handWrittenVsNaiveRequestsPerSecond: hand.requestsPerSecond / naive.requestsPerSecond,
  };
  const totalNon2xx = rows.reduce((sum, r) => sum + r.result.non2xx + r.warmup.non2xx + r.result.errors + r.warmup.errors, 0);
  const maxSent = Math.max(...rows.filter((r) => r.id === 'monolith' || r.id === 'split').map((r) => r.result.requests + r.warmup.requests));
  const probeRefused = probe.statusCodes['429'] ?? 0;
  const alerts = totalNon2xx > 0 ? [`!!! ${totalNon2xx} non-2xx answers or errors during the load (warm-up included): ${JSON.stringify(rows.map((r) => ({ [r.id]: r.result.statusCodes })))}`] : ['All answers during the load (warm-up included) were 2xx, with no errors or timeouts.'];
  const notes = [
    `Client (autocannon, in this process) and servers share ${environment().cpus} cores; load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    `${options.connections} connections, ${options.warmupSeconds} s warm-up then ${options.seconds} s per target in ${options.rounds} turns interleaved with the other targets'; answer ${responseBytes} bytes of JSON (post + author).`,
    `Cleave: default settings, tracing ${options.tracing ? 'ON (the default)' : 'OFF (CLEAVE_TRACING=off)'}, rate limits and auth on, PostgreSQL (a fresh database; one per module for split), LOG_LEVEL=warn, CLEAVE_TRUST_PROXY=1; split uses CLEAVE_EVENTS=http.`,
    `CPU ms/req: user + system CPU of the target's processes (from /proc, split: the supervisor's tree) per answered request; PostgreSQL's and the client's CPU are not in it. Steadier than req/s on a shared machine.`,
    `Hand-written rows: jose jwtVerify (EdDSA) on every request, pg.Pool of 10, reading the Cleave monolith's database; no validation, rate limits or tracing.`,
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
    targets,
    rateLimitProbe: probe,
    notes,
  };
  const text = [table, '', ...targets, '', ...alerts, '', ...notes].join('\n');
  return { text, json };
}

export async function run(): Promise<void> {
  const { postgresUrl } = defaultOptions;
  if (!postgresUrl) {
    console.log('gateway aggregate: skipped (set DATABASE_URL: the target and its hand-written baselines run on PostgreSQL)');
    return;
  }
  const { text, json } = await gatewayAggregate({ ...defaultOptions, postgresUrl });
  const file = join(import.meta.dirname, 'results', 'gateway-aggregate.json');
  writeJson(file, json);
  console.log(`gateway aggregate: GET /api/v1/posts/:id under autocannon (${json.cpus} cores shared by client and servers, node ${json.node})\n`);
  console.log(text);
  console.log(`\n${JSON.stringify(json, null, 2)}`);
  console.log(`\nwritten to ${file}`);
}

if (isMain(import.meta.url)) await run();
