/**
 * The createOrder saga (reserve inventory → charge payment → confirm order), measured
 * two ways in one run:
 *
 * 1. End to end, monolith vs split. Each topology runs in child processes as an operator
 *    starts it (`node packages/cleave/bin/cleave.mjs --config cleave.config.ts start
 *    [--topology split]`), on PostgreSQL (fresh databases: one for the monolith, one per
 *    module for split) when DATABASE_URL is set, else on PGlite. Clients `POST
 *    /api/v1/orders` (one sticker pack, tok_visa, an Idempotency-Key each) and the order
 *    latency is POST sent → order completed: on PostgreSQL the completion time is the
 *    order row's `updated_at`, written in the transaction that completes the saga (the
 *    bench watches the orders database, so no polling load hits the services); on
 *    PGlite the bench polls `GET /api/v1/orders/:id` every BENCH_SAGA_POLL_MS.
 *    Two phases per round, rounds alternating between the topologies: sequential (one
 *    order in flight: latency unloaded) and loaded (BENCH_SAGA_CONCURRENCY orders in
 *    flight, closed loop, for BENCH_SAGA_SECONDS: orders/s and latency under load).
 *
 * 2. In process, the cost of saga persistence. inventory and payments are hand-wired
 *    (ModuleRuntime + InProcessTransport, as in bench/call-overhead.ts) with their real
 *    handlers and migrations, on PGlite in memory and (with DATABASE_URL) on a fresh
 *    PostgreSQL database, tracing off. Per order, timed sequentially:
 *      - the three calls reserve → charge → commit as direct ctx.call's, without keys;
 *      - the same with the saga's idempotency keys (the callees store each outcome);
 *      - hand-written orchestration: the keyed calls plus the order's own writes (insert
 *        the order row; on success update it and publish order.completed.v1);
 *      - the saga: tx.startSaga (with the order row) and SagaRunner.runOnce() until the
 *        saga is completed (the saga state: 1 saga row + 3 step rows, a transaction per
 *        transition, leases, reads of earlier results).
 *
 *   tsx bench/saga-orders.ts
 *
 * BENCH_SAGA_ROUNDS (default 3), BENCH_SAGA_SECONDS (loaded phase per round, default 8),
 * BENCH_SAGA_SEQUENTIAL (orders per round in the sequential phase, default 30),
 * BENCH_SAGA_CONCURRENCY (default 16), BENCH_SAGA_POLL_MS (default 10),
 * BENCH_SAGA_N (orders per in-process sample, default 50), BENCH_SAGA_SAMPLES (default 7),
 * BENCH_SAGA_DB=pglite (ignore DATABASE_URL), BENCH_SAGA_PARTS=in-process (part 2 only: to
 * compare or profile saga persistence without the minutes of part 1).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { defineModule } from '@cleavejs/core';
import type { AnyModule, CallOptions, RequestContext } from '@cleavejs/core';
import { inventory } from '../examples/saas/modules/inventory/index.ts';
import { inventoryModule } from '../examples/saas/modules/inventory/module.ts';
import type { OrdersDb } from '../examples/saas/modules/orders/db/schema.ts';
import { orders } from '../examples/saas/modules/orders/index.ts';
import { createOrderSaga } from '../examples/saas/modules/orders/lib/create-order-saga.ts';
import { ordersModule } from '../examples/saas/modules/orders/module.ts';
import { payments } from '../examples/saas/modules/payments/index.ts';
import { paymentsModule } from '../examples/saas/modules/payments/module.ts';
import { split } from '../examples/saas/topologies/split.ts';
// Internals on purpose: part 2 builds the modules' runtimes by hand.
import { migrateModule } from '../packages/cleave/src/data/migrations.ts';
import { openModuleDatabase } from '../packages/cleave/src/data/module-database.ts';
import type { DatabaseLocation, ModuleDatabase } from '../packages/cleave/src/data/module-database.ts';
import { EVENT_TABLES_MIGRATION_TABLE, eventTableMigrations } from '../packages/cleave/src/events/event-tables.ts';
import { CallRouter } from '../packages/cleave/src/runtime/call-router.ts';
import { ModuleRuntime } from '../packages/cleave/src/runtime/module-runtime.ts';
import { SagaRunner } from '../packages/cleave/src/saga/saga-runner.ts';
import { SAGA_MIGRATION_TABLE, sagaTableMigrations } from '../packages/cleave/src/saga/saga-tables.ts';
import { createLogger } from '../packages/cleave/src/telemetry/logger.ts';
import { newTraceContext } from '../packages/cleave/src/telemetry/trace-context.ts';
import { disabledTracer } from '../packages/cleave/src/telemetry/tracer.ts';
import { InProcessTransport } from '../packages/cleave/src/transport/in-process.ts';
import { environment, formatTable, measure, ratio, writeJson } from './lib/measure.ts';
import type { Scenario } from './lib/measure.ts';
import { createTestDatabase } from '../examples/saas/test/support/postgres.ts';
import { percentiles, waitUntil } from './lib/load.ts';
import type { Percentiles } from './lib/load.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const cleaveBin = join(repoRoot, 'packages/cleave/bin/cleave.mjs');
const configPath = join(repoRoot, 'cleave.config.ts');
const resultFile = join(import.meta.dirname, 'results', 'saga-orders.json');

export interface SagaOrdersOptions {
  readonly rounds: number;
  readonly loadedSeconds: number;
  readonly sequentialOrders: number;
  readonly concurrency: number;
  /** Signed-up users per concurrent client (the gateway allows 1200 requests/min per user). */
  readonly usersPerClient: number;
  readonly pollMs: number;
  /** In process: orders per timed sample, samples, untimed warm-up samples. */
  readonly n: number;
  readonly samples: number;
  readonly warmup: number;
  /** PostgreSQL server for fresh databases; undefined: PGlite. */
  readonly postgresUrl: string | undefined;
  /** false: part 2 only (no topologies end to end). */
  readonly topologies: boolean;
}

export const defaultOptions: SagaOrdersOptions = {
  rounds: Number(process.env.BENCH_SAGA_ROUNDS ?? 3),
  loadedSeconds: Number(process.env.BENCH_SAGA_SECONDS ?? 8),
  sequentialOrders: Number(process.env.BENCH_SAGA_SEQUENTIAL ?? 30),
  concurrency: Number(process.env.BENCH_SAGA_CONCURRENCY ?? 16),
  // Polling (PGlite) sends several requests per order: spread them over more users.
  usersPerClient: process.env.BENCH_SAGA_DB !== 'pglite' && process.env.DATABASE_URL ? 2 : 8,
  pollMs: Number(process.env.BENCH_SAGA_POLL_MS ?? 10),
  n: Number(process.env.BENCH_SAGA_N ?? 50),
  samples: Number(process.env.BENCH_SAGA_SAMPLES ?? 7),
  warmup: 1,
  postgresUrl: process.env.BENCH_SAGA_DB === 'pglite' ? undefined : process.env.DATABASE_URL || undefined,
  topologies: process.env.BENCH_SAGA_PARTS !== 'in-process',
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

// ---------------------------------------------------------------------------------------
// Small helpers: ports, percentiles, fresh databases, child processes.

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export type Latency = Percentiles;

const msText = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));


/** This process's environment without anything that would point a Cleave child elsewhere. */
function cleaveEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(CLEAVE_|NATS_URL$|REDIS_URL$|DATABASE_URL$|SMTP_URL$|LOG_LEVEL$|PORT$|PAYMENTS_FAILURE_RATE$)|_DATABASE_URL$/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, CLEAVE_TRUST_PROXY: '1', LOG_LEVEL: 'warn', ...extra };
}

const ready = async (url: string) => (await fetch(`${url}/readyz`)).status === 200;

// ---------------------------------------------------------------------------------------
// Part 1: monolith vs split, end to end.

interface Deployment {
  readonly id: 'monolith' | 'split';
  readonly label: string;
  readonly baseUrl: string;
  /** The orders module's database (PostgreSQL only): where the bench watches completions. */
  readonly ordersDatabaseUrl: string | undefined;
  /** The inventory module's database (PostgreSQL only). */
  readonly inventoryDatabaseUrl: string | undefined;
  stop(): Promise<void>;
}

async function startDeployment(id: 'monolith' | 'split', postgresUrl: string | undefined): Promise<Deployment> {
  const dataDir = await mkdtemp(join(tmpdir(), `cleave-bench-saga-${id}-`));
  const port = await freePort();
  const extra: Record<string, string> = { PORT: String(port), CLEAVE_DATA_DIR: dataDir };
  const databases: { url: string; drop: () => Promise<void> }[] = [];
  const serviceUrls: string[] = [];
  let ordersDatabaseUrl: string | undefined;
  let inventoryDatabaseUrl: string | undefined;
  if (id === 'split') {
    // Events between services over HTTP: no subscriber of the order events, so off the measured path.
    extra.CLEAVE_EVENTS = 'http';
    for (const name of Object.keys(split.services)) {
      const url = `http://127.0.0.1:${await freePort()}`;
      serviceUrls.push(url);
      extra[`CLEAVE_SERVICE_${name.toUpperCase()}_URL`] = url;
    }
  }
  if (postgresUrl) {
    if (id === 'monolith') {
      const database = await createTestDatabase(postgresUrl, 'cleave_bench_saga_mono');
      databases.push(database);
      extra.DATABASE_URL = database.url;
      ordersDatabaseUrl = inventoryDatabaseUrl = database.url;
    } else {
      for (const schema of ['users', 'posts', 'notifications', 'inventory', 'payments', 'orders', 'cleave_sessions']) {
        const database = await createTestDatabase(postgresUrl, `cleave_bench_saga_${schema}`);
        databases.push(database);
        extra[`${schema.toUpperCase()}_DATABASE_URL`] = database.url;
        if (schema === 'orders') ordersDatabaseUrl = database.url;
        if (schema === 'inventory') inventoryDatabaseUrl = database.url;
      }
    }
  }
  const args = [cleaveBin, '--config', configPath, 'start', ...(id === 'split' ? ['--topology', 'split'] : [])];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: cleaveEnv(extra), stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await Promise.all(databases.map((d) => d.drop()));
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil(`the ${id} topology`, async () => (await ready(baseUrl)) && (await Promise.all(serviceUrls.map(ready))).every(Boolean), child);
  } catch (err) {
    await stop();
    throw err;
  }
  const label = id === 'monolith' ? 'monolith (1 process)' : `split (supervisor + ${serviceUrls.length} services)`;
  return { id, label, baseUrl, ordersDatabaseUrl, inventoryDatabaseUrl, stop };
}

// Client addresses from a per-run random /16: the gateway limits 600 requests/min per IP.
const ipBase = Math.floor(Math.random() * 0xffff);
let nextIp = 1;
function newIp(): string {
  const n = nextIp++;
  return `10.${(ipBase >> 8) & 255}.${(ipBase + (n >> 8)) & 255}.${n & 255}`;
}

async function api(baseUrl: string, path: string, init: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'x-forwarded-for': newIp(), ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + path, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, text, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

interface Session {
  readonly token: string;
}

async function signUp(baseUrl: string, n: number): Promise<Session[]> {
  const sessions: Session[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await api(baseUrl, '/api/v1/auth/signup', { body: { email: `saga-${i}-${randomUUID()}@example.com`, password: `pw-${randomUUID()}`, name: `Buyer ${i}` } });
      if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
      sessions.push({ token: res.body.accessToken as string });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return sessions;
}

/** Resolves, per order, the time (epoch ms) it stopped being pending, and its status. */
interface CompletionWatcher {
  settled(orderId: string, session: Session): Promise<{ at: number; status: string }>;
  close(): Promise<void>;
}

/**
 * PostgreSQL: one query every 2 ms for every order in flight; the completion time is the
 * order row's `updated_at`, set in the transaction that marks the saga completed.
 */
function databaseWatcher(ordersDatabaseUrl: string): CompletionWatcher {
  const pool = new pg.Pool({ connectionString: ordersDatabaseUrl, max: 1 });
  pool.on('error', () => {});
  const waiting = new Map<string, { resolve: (v: { at: number; status: string }) => void; reject: (err: unknown) => void }>();
  let closed = false;
  const loop = (async () => {
    while (!closed) {
      if (waiting.size > 0) {
        try {
          const { rows } = await pool.query<{ id: string; status: string; at: number }>(
            `select id, status, extract(epoch from updated_at) * 1000 as at from orders.orders where id = any($1) and status <> 'pending'`, [[...waiting.keys()]]);
          for (const row of rows) {
            waiting.get(row.id)?.resolve({ at: Number(row.at), status: row.status });
            waiting.delete(row.id);
          }
        } catch (err) {
          for (const w of waiting.values()) w.reject(err);
          waiting.clear();
        }
      }
      await sleep(2);
    }
  })();
  return {
    settled: (orderId) => new Promise((resolveSettled, reject) => waiting.set(orderId, { resolve: resolveSettled, reject })),
    async close() {
      closed = true;
      await loop;
      await pool.end();
    },
  };
}

/** PGlite (the database is inside the service): poll the API; the completion time is when a poll sees it. */
function apiWatcher(baseUrl: string, pollMs: number): CompletionWatcher {
  return {
    async settled(orderId, session) {
      for (;;) {
        await sleep(pollMs);
        const res = await api(baseUrl, `/api/v1/orders/${orderId}`, { token: session.token });
        if (res.status === 429) continue; // the per-user limit: poll again later
        if (res.status !== 200) throw new Error(`GET order: ${res.status} ${res.text}`);
        if (res.body.status !== 'pending') return { at: Date.now(), status: res.body.status as string };
      }
    },
    close: async () => {},
  };
}

const ORDER_BODY = { items: [{ productId: 'prod_stickers', quantity: 1 }], paymentToken: 'tok_visa' };

/** One order, POST → completed; returns its latency in ms. */
async function placeOne(d: Deployment, watcher: CompletionWatcher, session: Session): Promise<{ ms: number; status: string }> {
  const startedAt = Date.now();
  const res = await api(d.baseUrl, '/api/v1/orders', { token: session.token, body: ORDER_BODY, headers: { 'idempotency-key': randomUUID() } });
  if (res.status !== 202) throw new Error(`${d.id}: POST /orders answered ${res.status} ${res.text}`);
  const { at, status } = await watcher.settled(res.body.orderId as string, session);
  return { ms: at - startedAt, status };
}

interface PhaseResult {
  readonly latenciesMs: number[];
  readonly orders: number;
  readonly failed: number;
  readonly seconds: number;
}

async function sequentialPhase(d: Deployment, watcher: CompletionWatcher, sessions: readonly Session[], count: number): Promise<PhaseResult> {
  const latenciesMs: number[] = [];
  let failed = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const { ms, status } = await placeOne(d, watcher, sessions[i % sessions.length]!);
    if (status === 'completed') latenciesMs.push(ms);
    else failed++;
  }
  return { latenciesMs, orders: latenciesMs.length, failed, seconds: (performance.now() - start) / 1000 };
}

/** `concurrency` clients in a closed loop for `seconds`: each places an order and waits for it to settle. */
async function loadedPhase(d: Deployment, watcher: CompletionWatcher, sessions: readonly Session[], concurrency: number, seconds: number): Promise<PhaseResult> {
  const latenciesMs: number[] = [];
  let failed = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let lastDone = start;
  const client = async (c: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const { ms, status } = await placeOne(d, watcher, sessions[(c + i * concurrency) % sessions.length]!);
      if (status === 'completed') latenciesMs.push(ms);
      else failed++;
      lastDone = performance.now();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, c) => client(c)));
  return { latenciesMs, orders: latenciesMs.length, failed, seconds: (lastDone - start) / 1000 };
}

export interface TopologyResult {
  readonly id: string;
  readonly label: string;
  readonly sequential: { readonly latencyMs: Latency; readonly ordersPerSecond: number };
  readonly loaded: { readonly latencyMs: Latency; readonly ordersPerSecond: number; readonly perRound: number[] };
  readonly failedOrders: number;
}

async function topologies(options: SagaOrdersOptions): Promise<TopologyResult[]> {
  const deployments: Deployment[] = [];
  const watchers = new Map<string, CompletionWatcher>();
  try {
    for (const id of ['monolith', 'split'] as const) {
      const t = Date.now();
      const d = await startDeployment(id, options.postgresUrl);
      deployments.push(d);
      if (d.inventoryDatabaseUrl) {
        // Fresh bench databases: enough stock that no round runs out (the seed has 5,000 sticker packs).
        const client = new pg.Client({ connectionString: d.inventoryDatabaseUrl });
        await client.connect();
        await client.query('update inventory.products set stock = 10000000');
        await client.end();
      }
      watchers.set(id, d.ordersDatabaseUrl ? databaseWatcher(d.ordersDatabaseUrl) : apiWatcher(d.baseUrl, options.pollMs));
      console.error(`[saga-orders] ${d.label} ready in ${Date.now() - t} ms`);
    }
    const sessions = new Map<string, Session[]>();
    for (const d of deployments) {
      const users = await signUp(d.baseUrl, options.concurrency * options.usersPerClient);
      sessions.set(d.id, users);
      // Warm-up: a few orders one by one, then a short burst at full concurrency.
      await sequentialPhase(d, watchers.get(d.id)!, users, 10);
      await loadedPhase(d, watchers.get(d.id)!, users, options.concurrency, 2);
    }

    const acc = new Map(deployments.map((d) => [d.id, { seq: [] as PhaseResult[], loaded: [] as PhaseResult[] }]));
    for (let round = 0; round < options.rounds; round++) {
      // Alternate which topology goes first, so neither always runs after the other.
      const order = round % 2 === 0 ? deployments : [...deployments].reverse();
      for (const d of order) {
        const w = watchers.get(d.id)!;
        const users = sessions.get(d.id)!;
        const seq = await sequentialPhase(d, w, users, options.sequentialOrders);
        const loaded = await loadedPhase(d, w, users, options.concurrency, options.loadedSeconds);
        acc.get(d.id)!.seq.push(seq);
        acc.get(d.id)!.loaded.push(loaded);
        console.error(`[saga-orders] round ${round + 1} ${d.id}: sequential p50 ${msText(percentiles(seq.latenciesMs).p50)} ms; ` +
          `loaded ${(loaded.orders / loaded.seconds).toFixed(1)} orders/s, p50 ${msText(percentiles(loaded.latenciesMs).p50)} ms, p99 ${msText(percentiles(loaded.latenciesMs).p99)} ms`);
      }
    }
    return deployments.map((d) => {
      const { seq, loaded } = acc.get(d.id)!;
      const sum = (rs: PhaseResult[], f: (r: PhaseResult) => number) => rs.reduce((a, r) => a + f(r), 0);
      return {
        id: d.id,
        label: d.label,
        sequential: { latencyMs: percentiles(seq.flatMap((r) => r.latenciesMs)), ordersPerSecond: sum(seq, (r) => r.orders) / sum(seq, (r) => r.seconds) },
        loaded: {
          latencyMs: percentiles(loaded.flatMap((r) => r.latenciesMs)),
          ordersPerSecond: sum(loaded, (r) => r.orders) / sum(loaded, (r) => r.seconds),
          perRound: loaded.map((r) => r.orders / r.seconds),
        },
        failedOrders: sum(seq, (r) => r.failed) + sum(loaded, (r) => r.failed),
      };
    });
  } finally {
    await Promise.all([...watchers.values()].map((w) => w.close()));
    await Promise.all(deployments.map((d) => d.stop()));
  }
}

// ---------------------------------------------------------------------------------------
// Part 2: in process, saga persistence vs the same three calls without it.

const silent = createLogger({ service: 'bench', level: 'silent', destination: new Writable({ write: (_chunk, _enc, done) => done() }) });
const BENCH_USER = 'bench-user';
const LINES = [{ productId: 'prod_stickers', quantity: 1 }];

type DirectMode = 'plain' | 'keyed' | 'handwritten';

/** The orders contract with createOrder done by hand (no saga): three ctx.call's, optionally keyed, optionally with the order's writes. */
function directOrders(mode: DirectMode): AnyModule {
  return defineModule<typeof orders, OrdersDb>(orders, {
    dependsOn: [inventory, payments],
    handlers: {
      ...ordersModule.handlers,
      async createOrder({ items, paymentToken }, ctx) {
        const orderId = randomUUID();
        // The keys the saga would send: `<sagaId>:<step>`.
        const key = (step: string): CallOptions | undefined => (mode === 'plain' ? undefined : { idempotencyKey: `${orderId}:${step}` });
        if (mode === 'handwritten') {
          const now = new Date();
          await ctx.transaction((tx) => tx.db.insertInto('orders').values({ id: orderId, user_id: BENCH_USER, status: 'pending', lines: JSON.stringify(items), total_cents: null, currency: null, failure_reason: null, created_at: now, updated_at: now }).execute());
        }
        const reserved = await ctx.call(inventory.reserve, { orderId, lines: items }, key('reserveInventory'));
        await ctx.call(payments.charge, { orderId, amountCents: reserved.totalCents, currency: reserved.currency, token: paymentToken }, key('chargePayment'));
        await ctx.call(inventory.commit, { orderId }, key('confirmOrder'));
        if (mode === 'handwritten') {
          await ctx.transaction(async (tx) => {
            await tx.db.updateTable('orders').set({ status: 'completed', total_cents: reserved.totalCents, currency: reserved.currency, updated_at: new Date() }).where('id', '=', orderId).execute();
            await tx.publish(orders.$events['order.completed.v1'], { orderId, userId: BENCH_USER, totalCents: reserved.totalCents, currency: reserved.currency });
          });
        }
        return { orderId, status: 'completed' as const };
      },
    },
  });
}

const request = (): RequestContext => ({ trace: newTraceContext(), user: { id: BENCH_USER }, caller: 'bench', deadline: Date.now() + 60_000, idempotencyKey: undefined });

export interface InProcessRow {
  readonly id: string;
  readonly label: string;
  readonly usPerOrder: { readonly median: number; readonly min: number; readonly max: number };
  readonly ordersPerSecond: number;
  readonly vsPlainCalls: number;
  readonly vsHandwritten: number;
}

async function inProcess(backend: 'pglite' | 'postgres', options: SagaOrdersOptions): Promise<InProcessRow[]> {
  const server = backend === 'postgres' ? await createTestDatabase(options.postgresUrl as string, 'cleave_bench_saga_inproc') : undefined;
  const databases: ModuleDatabase<unknown>[] = [];
  try {
    const open = async (module: AnyModule) => {
      const location: DatabaseLocation = server ? { kind: 'postgres', url: server.url } : { kind: 'pglite', dataDir: undefined };
      const database = await openModuleDatabase<unknown>(module.name, location);
      databases.push(database);
      await migrateModule(database.db, module.name, module.migrations);
      await migrateModule(database.db, module.name, eventTableMigrations, EVENT_TABLES_MIGRATION_TABLE);
      await migrateModule(database.db, module.name, sagaTableMigrations, SAGA_MIGRATION_TABLE);
      return database.db;
    };
    const router = new CallRouter();
    const inventoryDb = await open(inventoryModule);
    await (inventoryDb as Kysely<{ products: { stock: number } }>).updateTable('products').set({ stock: 100_000_000 }).execute();
    for (const [module, db] of [[inventoryModule, inventoryDb], [paymentsModule, await open(paymentsModule)]] as const) {
      router.register(module.name, new InProcessTransport(new ModuleRuntime(module, db, silent, disabledTracer, router)));
    }
    const ordersDb = await open(ordersModule);
    // The orders side is not registered in the router: nothing calls it, it calls the others.
    const direct = Object.fromEntries((['plain', 'keyed', 'handwritten'] as const).map((mode) => [mode, new ModuleRuntime(directOrders(mode), ordersDb, silent, disabledTracer, router)]));
    const sagaRuntime = new ModuleRuntime(ordersModule, ordersDb, silent, disabledTracer, router);
    // Not started: the bench drives it with runOnce(), so no idle polling runs beside it.
    const runner = new SagaRunner(sagaRuntime, ordersModule.sagas);

    const sagaOrder = async () => {
      const orderId = randomUUID();
      await sagaRuntime.transaction(newTraceContext(), async (tx) => {
        const now = new Date();
        await (tx.db as Kysely<OrdersDb>).insertInto('orders').values({ id: orderId, user_id: BENCH_USER, status: 'pending', lines: JSON.stringify(LINES), total_cents: null, currency: null, failure_reason: null, created_at: now, updated_at: now }).execute();
        await tx.startSaga(createOrderSaga, { orderId, userId: BENCH_USER, lines: LINES, paymentToken: 'tok_visa' }, { id: orderId });
      });
      await runner.runOnce();
      return orderId;
    };
    const directOrder = (mode: DirectMode) => direct[mode]!.handle('createOrder', { items: LINES, paymentToken: 'tok_visa' }, request());

    // Sanity: each path completes an order, with the same effects.
    const orderStatus = async (id: string) => (await (ordersDb as Kysely<OrdersDb>).selectFrom('orders').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    const sagaId = await sagaOrder();
    assert.equal(await orderStatus(sagaId), 'completed', 'the saga completed the order in one runOnce()');
    const handwritten = (await directOrder('handwritten')) as { orderId: string };
    assert.equal(await orderStatus(handwritten.orderId), 'completed');
    for (const mode of ['plain', 'keyed'] as const) assert.equal(((await directOrder(mode)) as { status: string }).status, 'completed');

    const scenarios: Scenario[] = [
      { id: 'plain', label: '3 × ctx.call (reserve → charge → commit), no keys', batch: async (n) => { for (let i = 0; i < n; i++) await directOrder('plain'); } },
      { id: 'keyed', label: '3 × ctx.call with the saga\'s idempotency keys', batch: async (n) => { for (let i = 0; i < n; i++) await directOrder('keyed'); } },
      { id: 'handwritten', label: 'hand-written: order row + 3 keyed calls + completion (update, event)', batch: async (n) => { for (let i = 0; i < n; i++) await directOrder('handwritten'); } },
      { id: 'saga', label: 'saga: tx.startSaga (+ order row) → SagaRunner.runOnce() → completed', batch: async (n) => { for (let i = 0; i < n; i++) await sagaOrder(); } },
    ];
    const stats = await measure(scenarios, { n: options.n, samples: options.samples, warmup: options.warmup });
    const unfinished = await (ordersDb as Kysely<{ sagas: { id: string; status: string } }>).selectFrom('sagas').select(['id', 'status']).where('status', '<>', 'completed').execute();
    assert.deepEqual(unfinished, [], 'every saga of the run completed');
    const median = (id: string) => stats.get(id)!.median;
    return scenarios.map((s) => {
      const st = stats.get(s.id)!;
      return {
        id: s.id,
        label: s.label,
        usPerOrder: { median: st.median / 1000, min: st.min / 1000, max: st.max / 1000 },
        ordersPerSecond: 1e9 / st.median,
        vsPlainCalls: st.median / median('plain'),
        vsHandwritten: st.median / median('handwritten'),
      };
    });
  } finally {
    await Promise.allSettled(databases.map((d) => d.close()));
    await server?.drop();
  }
}

// ---------------------------------------------------------------------------------------

/** The commit measured, and framework/app sources that differ from it (the figures depend on them). */
function sourceState(): { head: string; uncommitted: string[] } | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
    const uncommitted = git('status', '--porcelain', '--', 'packages/cleave/src', 'examples/saas/modules').split('\n').filter(Boolean).map((l) => l.slice(3));
    return { head: git('rev-parse', '--short', 'HEAD').trim(), uncommitted };
  } catch {
    return undefined;
  }
}

export async function sagaOrders(options: SagaOrdersOptions = defaultOptions) {
  const failureRate = Number(process.env.PAYMENTS_FAILURE_RATE ?? 0);
  assert.equal(failureRate, 0, 'run without PAYMENTS_FAILURE_RATE: the in-process payments handlers read it at import');
  const backend = options.postgresUrl ? 'postgres' : 'pglite';
  const started = Date.now();
  // Other work on the machine skews absolute figures (less so the ratios: rounds alternate).
  const loadAtStart = loadavg()[0]!;
  const topo = options.topologies ? await topologies(options) : [];
  const topologySeconds = (Date.now() - started) / 1000;
  const inProcessBackends = options.postgresUrl ? (['pglite', 'postgres'] as const) : (['pglite'] as const);
  const inProc: Record<string, InProcessRow[]> = {};
  for (const b of inProcessBackends) inProc[b] = await inProcess(b, options);

  const mono = topo.find((t) => t.id === 'monolith');
  const split = topo.find((t) => t.id === 'split');
  const ratios = mono && split && {
    throughputMonolithOverSplit: mono.loaded.ordersPerSecond / split.loaded.ordersPerSecond,
    loadedP50SplitOverMonolith: split.loaded.latencyMs.p50 / mono.loaded.latencyMs.p50,
    loadedP99SplitOverMonolith: split.loaded.latencyMs.p99 / mono.loaded.latencyMs.p99,
    sequentialP50SplitOverMonolith: split.sequential.latencyMs.p50 / mono.sequential.latencyMs.p50,
    sequentialP99SplitOverMonolith: split.sequential.latencyMs.p99 / mono.sequential.latencyMs.p99,
  };

  const completion = options.postgresUrl ? 'orders.updated_at of the completing transaction' : `first GET /orders/:id poll that sees it (every ${options.pollMs} ms)`;
  const topoTable = formatTable(
    ['topology', 'orders/s (loaded)', 'p50 ms', 'p99 ms', 'max ms', 'orders/s (1 in flight)', 'p50 ms', 'p99 ms', 'failed'],
    topo.map((t) => [
      t.label,
      t.loaded.ordersPerSecond.toFixed(1),
      msText(t.loaded.latencyMs.p50),
      msText(t.loaded.latencyMs.p99),
      msText(t.loaded.latencyMs.max),
      t.sequential.ordersPerSecond.toFixed(1),
      msText(t.sequential.latencyMs.p50),
      msText(t.sequential.latencyMs.p99),
      String(t.failedOrders),
    ]),
  );
  const ratioTable = ratios && formatTable(['ratio', 'value'], [
    ['orders/s under load, monolith / split', ratio(ratios.throughputMonolithOverSplit)],
    ['latency p50 under load, split / monolith', ratio(ratios.loadedP50SplitOverMonolith)],
    ['latency p99 under load, split / monolith', ratio(ratios.loadedP99SplitOverMonolith)],
    ['latency p50, 1 in flight, split / monolith', ratio(ratios.sequentialP50SplitOverMonolith)],
    ['latency p99, 1 in flight, split / monolith', ratio(ratios.sequentialP99SplitOverMonolith)],
  ]);
  const inProcTables = Object.entries(inProc).map(([b, rows]) => `${b === 'postgres' ? 'PostgreSQL (fresh database, a schema and pool per module)' : 'PGlite in memory (an instance per module)'}:\n` +
    formatTable(['in process, one order at a time', 'median µs/order', 'min µs/order', 'orders/s', 'vs 3 calls', 'vs hand-written'],
      rows.map((r) => [r.label, r.usPerOrder.median.toFixed(0), r.usPerOrder.min.toFixed(0), r.ordersPerSecond.toFixed(0), ratio(r.vsPlainCalls), ratio(r.vsHandwritten)])));

  const endToEnd = ratioTable === undefined ? ['End to end: not run (BENCH_SAGA_PARTS=in-process).', ''] : [
    `End to end, ${backend === 'postgres' ? 'PostgreSQL (fresh databases)' : 'PGlite'}; latency = POST sent → order completed (${completion}); ` +
      `loaded: ${options.concurrency} clients in a closed loop, ${options.rounds} × ${options.loadedSeconds} s; 1 in flight: ${options.rounds} × ${options.sequentialOrders} orders`,
    topoTable,
    '',
    ratioTable,
    '',
  ];
  const text = [
    `Load average (1 min) ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end.`,
    ...endToEnd,
    `In process (tracing off), median of ${options.samples} samples of ${options.n} orders:`,
    ...inProcTables.flatMap((t) => [t, '']),
  ].join('\n');

  const json = {
    benchmark: 'saga-orders',
    ...environment(),
    source: sourceState(),
    loadAverage1m: { atStart: loadAtStart, atEnd: loadavg()[0]! },
    backend,
    options: { ...options, postgresUrl: options.postgresUrl ? '(set)' : undefined },
    completionTime: completion,
    topologySeconds,
    topologies: topo,
    ratios,
    inProcess: inProc,
  };
  return { text, json };
}

export async function run(): Promise<void> {
  const { text, json } = await sagaOrders();
  writeJson(resultFile, json);
  console.log(`createOrder saga: monolith vs split, and saga persistence vs direct calls (${json.cpus} cores, node ${json.node})\n`);
  console.log(text);
  console.log(JSON.stringify(json, null, 2));
  console.log(`\nwritten to ${resultFile}`);
}

function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(url);
}

if (isMain(import.meta.url)) await run();
