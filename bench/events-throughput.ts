/**
 * Event delivery throughput and latency, side by side in one run, same ~200-byte JSON
 * payload, same machine:
 *   (a) the floor: raw JetStream. A stream on a fresh subject namespace, N messages
 *       published in pipelined batches of 500 (PubAcks awaited per batch, as the relay
 *       does), a durable pull consumer fetching batches and acking every message;
 *   (b) Cleave with its full guarantees: publisher module → outbox (in the publishing
 *       transaction) → relay → NatsEventTransport → subscriber's inbox → inbox worker,
 *       whose handler writes an effect row in the transaction that marks the event
 *       handled (exactly-once effects). One event per publishing transaction, 8 in flight;
 *   (b') the same, but 10 events per publishing transaction: a labelled extra row showing
 *       what the pipeline behind the publishers carries when they are not the bound;
 *   (c) the same two modules over LocalEventTransport (one process, no broker).
 * Each Cleave scenario is wired by hand from framework pieces (module runtimes, event
 * tables, startEventRuntime), each module in its own fresh database: PostgreSQL when
 * DATABASE_URL is set (two databases created and dropped per scenario), else in-memory
 * PGlite. After the throughput run, 300 more events go one at a time at 100/s, for
 * latency under light load. Every check is exact: N effects, one per event, none twice.
 *
 * Profiling: every SQL statement (BEGIN and COMMIT too, timed at the pg client), every
 * relay pass, consumer batch and worker pass is timed, each event is time-stamped at
 * commit, broker ack, inbox and handler, and the backlog in front of each stage is
 * sampled. The report names the stage where events pile up.
 *
 * With RABBITMQ_URL, (d) raw RabbitMQ and (e) Cleave over RabbitMQ; with REDIS_URL, (f) raw
 * BullMQ and (g) Cleave over BullMQ, each pair in the same run (a table of its own).
 *
 *   NATS_URL=nats://127.0.0.1:4222 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     tsx bench/events-throughput.ts
 *
 * BENCH_EVENTS_RAW_N (raw messages, default 100000), BENCH_EVENTS_N (events per Cleave
 * scenario, default 10000), BENCH_EVENTS_PUBLISHERS (publishing transactions in flight,
 * default 8), BENCH_EVENTS_WARMUP (untimed events first, default 500), BENCH_EVENTS_BATCHED (events per
 * publishing transaction in the extra row (b'), default 10; 1: no such row), BENCH_EVENTS_LANES
 * (the inbox worker's lanes; default: the framework's), BENCH_EVENTS_PROFILE=<dir>
 * (a CPU profile of each Cleave scenario's timed window, for bench/lib/profile-top.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Generated } from 'kysely';
import amqp from 'amqplib';
import { Queue } from 'bullmq';
import pg from 'pg';
import { z } from 'zod';
import { defineContract, defineModule, event } from '@cleavejs/core';
import type { Migrations } from '@cleavejs/core';
// Internals on purpose: the bench wires the event pipeline by hand to time each stage.
import { migrateModule } from '../packages/cleave/src/data/migrations.ts';
import { PGliteDialect } from '../packages/cleave/src/data/pglite-dialect.ts';
import type { EventEnvelope } from '../packages/cleave/src/events/event-envelope.ts';
import { startEventRuntime } from '../packages/cleave/src/events/event-runtime.ts';
import { EVENT_TABLES_MIGRATION_TABLE, eventTableMigrations } from '../packages/cleave/src/events/event-tables.ts';
import type { EventTransport, InboxSink } from '../packages/cleave/src/events/event-transport.ts';
import { LocalEventTransport } from '../packages/cleave/src/events/transports/local-transport.ts';
import { NatsEventTransport } from '../packages/cleave/src/events/transports/nats-transport.ts';
import { RabbitEventTransport } from '../packages/cleave/src/events/transports/rabbitmq-transport.ts';
import { BullmqEventTransport } from '../packages/cleave/src/events/transports/bullmq-transport.ts';
import { KEY_PREFIX } from '../packages/cleave/src/events/transports/bullmq-queues.ts';
import { CallRouter } from '../packages/cleave/src/runtime/call-router.ts';
import { ModuleRuntime } from '../packages/cleave/src/runtime/module-runtime.ts';
import { createLogger } from '../packages/cleave/src/telemetry/logger.ts';
import { newTraceContext } from '../packages/cleave/src/telemetry/trace-context.ts';
import { disabledTracer } from '../packages/cleave/src/telemetry/tracer.ts';
import { count, isMain } from './lib/load.ts';
import { rawBullmq } from './lib/raw-bullmq.ts';
import { latencySummary, paced } from './lib/raw-floor.ts';
import { rawJetStream } from './lib/raw-jetstream.ts';
import { rawRabbitMq } from './lib/raw-rabbitmq.ts';
import { environment, formatTable, writeJson } from './lib/measure.ts';
import { cpuSnapshot, cpuUse, StageSet, timeStatements } from './lib/stage-profile.ts';
import { WindowProfile } from './lib/window-profile.ts';
import type { CpuUse, StageSummary } from './lib/stage-profile.ts';

export interface EventsBenchOptions {
  readonly natsUrl: string;
  readonly databaseUrl: string | undefined;
  readonly rawN: number;
  readonly cleaveN: number;
  readonly publishers: number;
  readonly warmup: number;
  /** Messages per pipelined publish batch in the raw floor (the relay's default batch). */
  readonly rawBatch: number;
  /** Messages per pull in the raw floor (the NATS transport's default fetch). */
  readonly fetchBatch: number;
  /** After the throughput run: this many events at `pacedRate`/s, for latency under light load. */
  readonly pacedCount: number;
  readonly pacedRate: number;
  /** RabbitMQ: when set, a raw amqplib floor and Cleave over RabbitEventTransport are measured in the same run. */
  readonly rabbitmqUrl?: string | undefined;
  /** Redis: when set, a raw BullMQ floor and Cleave over BullmqEventTransport are measured in the same run. */
  readonly redisUrl?: string | undefined;
  /** Events per publishing transaction in the extra row (b'); 1 or less: no such row (BENCH_EVENTS_BATCHED, default 10). */
  readonly batchedPerTransaction: number;
  /** The inbox worker's lanes (BENCH_EVENTS_LANES); undefined: the framework's default. */
  readonly lanes?: number | undefined;
  /** When set, a CPU profile of each Cleave scenario's timed window is written there (BENCH_EVENTS_PROFILE). */
  readonly profileDir?: string | undefined;
}

export const targets = {
  /** Cleave's end-to-end events/s with full guarantees, as a share of raw JetStream's. */
  cleaveVsRaw: 1 / 3,
  /** A lone event on NATS at light load, publish commit → handler: p50 and p99 at most (ms). */
  pacedP50Ms: 10,
  pacedP99Ms: 50,
} as const;

// ---------------------------------------------------------------------------------------
// The payload and the two modules

const Payload = z.object({
  i: z.number().int(),
  sentAt: z.number(),
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  plan: z.string(),
  note: z.string(),
});
type Payload = z.infer<typeof Payload>;

const USERS = 1_000;
const NOTE = 'x'.repeat(Math.max(0, 200 - JSON.stringify(payloadFor(10_000, 123_456.789, '')).length));

/** ~200 bytes of JSON; `i` numbers the event (negative: warm-up), `sentAt` is performance.now(). */
function payloadFor(i: number, sentAt: number, note = NOTE): Payload {
  const u = ((i % USERS) + USERS) % USERS;
  return { i, sentAt, userId: `u_${String(u).padStart(6, '0')}`, email: `user${u}@example.com`, name: 'Ada Lovelace', plan: 'pro', note };
}

const PUBLISHER = 'bench_publisher';
const SUBSCRIBER = 'bench_subscriber';
const EVENT_NAME = 'user.updated.v1';

const publisherContract = defineContract(PUBLISHER, {
  operations: {},
  // Per-user order, as an app would ask for: 1,000 users, so the worker's per-aggregate heads are plentiful.
  events: { [EVENT_NAME]: event(Payload, { aggregateKey: (p) => p.userId }) },
});
const userUpdated = publisherContract.$events[EVENT_NAME];
const subscriberContract = defineContract(SUBSCRIBER, { operations: {} });
const publisherModule = defineModule(publisherContract, { handlers: {} });

interface SubscriberTables {
  effects: { event_id: string; i: number; handled_at: Generated<Date> };
}

const effectMigrations: Migrations = {
  '0001_effects': {
    async up(db) {
      await db.schema
        .createTable('effects')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('i', 'integer', (c) => c.notNull())
        .addColumn('handled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
        .execute();
    },
  },
};

/** The subscriber: its handler writes one effect row in the transaction that marks the event handled. */
function subscriberModule(trace: EventTrace) {
  return defineModule<typeof subscriberContract, SubscriberTables>(subscriberContract, {
    dependsOn: [publisherContract],
    handlers: {},
    migrations: effectMigrations,
    subscriptions: (on) => [
      on(userUpdated, async (payload, ctx) => {
        await ctx.db.insertInto('effects').values({ event_id: ctx.event.id, i: payload.i }).execute();
        trace.handle(payload.i);
      }),
    ],
  });
}

// ---------------------------------------------------------------------------------------
// Per-event timestamps and counters

const now = () => performance.now();

/** When each timed event (i >= 0) passed each point of the pipeline, in performance.now() ms. */
class EventTrace {
  readonly committedAt: Float64Array;
  readonly relayedAt: Float64Array;
  readonly inboxAt: Float64Array;
  readonly handledAt: Float64Array;
  handlerCalls = 0;
  committed = 0;
  relayed = 0;
  inbox = 0;
  handled = 0;
  constructor(readonly n: number) {
    this.committedAt = new Float64Array(n).fill(NaN);
    this.relayedAt = new Float64Array(n).fill(NaN);
    this.inboxAt = new Float64Array(n).fill(NaN);
    this.handledAt = new Float64Array(n).fill(NaN);
  }
  #mark(at: Float64Array, i: number, t: number): boolean {
    if (i < 0 || i >= this.n) return false;
    const first = Number.isNaN(at[i]!);
    if (first) at[i] = t;
    return first;
  }
  commit(i: number): void {
    if (this.#mark(this.committedAt, i, now())) this.committed++;
  }
  relay(events: readonly EventEnvelope[], t: number): void {
    for (const e of events) if (this.#mark(this.relayedAt, (e.payload as Payload).i, t)) this.relayed++;
  }
  accept(events: readonly EventEnvelope[], t: number): void {
    for (const e of events) if (this.#mark(this.inboxAt, (e.payload as Payload).i, t)) this.inbox++;
  }
  handle(i: number): void {
    this.handlerCalls++;
    if (this.#mark(this.handledAt, i, now())) this.handled++;
  }
}

/** Percentiles of `to[i] - from[i]` over the events in [start, end) that reached both points. */
function hop(from: Float64Array, to: Float64Array, start = 0, end = from.length) {
  const ms: number[] = [];
  for (let i = start; i < end; i++) {
    const d = to[i]! - from[i]!;
    if (!Number.isNaN(d)) ms.push(d);
  }
  return latencySummary(ms);
}


// ---------------------------------------------------------------------------------------
// Databases: each module its own, set up as openModuleDatabase does, plus a statement timer

type DbKind = 'postgres' | 'pglite';
const DB_PREFIX = 'cleave_bench_';

interface BenchDatabase {
  readonly db: Kysely<unknown>;
  /** Runs a read outside the module's pool (PostgreSQL) so polling doesn't take its connections. */
  count(query: string): Promise<number>;
  close(): Promise<void>;
}

/** Which framework statement a SQL text is (Kysely's compiled text, or BEGIN/COMMIT). */
function statementLabel(text: string): string {
  const s = text.trimStart().slice(0, 40).toLowerCase();
  if (s.startsWith('begin')) return 'begin';
  if (s.startsWith('commit')) return 'commit';
  if (s.startsWith('rollback')) return 'rollback';
  if (s.startsWith('insert into "outbox"')) return 'insert outbox';
  if (s.startsWith('select * from "outbox"')) return 'select unpublished';
  if (s.startsWith('update "outbox"')) return 'update published_at';
  if (s.startsWith('insert into "inbox"')) return 'insert inbox';
  if (text.includes('distinct on')) return 'select heads';
  if (s.startsWith('select "status"') || s.startsWith('select "event_id", "status"')) return 'lock inbox rows';
  if (s.startsWith('savepoint')) return 'savepoint';
  if (s.startsWith('insert into "effects"')) return 'insert effect';
  if (s.startsWith('update "inbox"')) return 'update inbox done';
  if (s.startsWith('insert into "inbox_cursors"')) return 'upsert stream position';
  if (s.startsWith('select "position" from "inbox_cursors"')) return 'read stream position';
  return 'other';
}

async function createDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${DB_PREFIX}${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

async function openDatabase(schema: string, kind: DbKind, url: string | undefined, stages: StageSet, prefix: string): Promise<BenchDatabase> {
  if (kind === 'pglite') {
    const pglite = await PGlite.create({});
    const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    await sql`set search_path to ${sql.id(schema)}`.execute(db);
    timeStatements(pglite, stages, prefix, statementLabel);
    return {
      db,
      count: async (query) => Number((await sql<{ c: number }>`${sql.raw(query)}`.execute(db)).rows[0]?.c ?? 0),
      close: () => db.destroy(),
    };
  }
  // As openModuleDatabase: one pool of 5 per module, search_path = the module's schema.
  let closing = false;
  // pool.end() resolves before idle sockets are closed, so dropping the database right after
  // can terminate a backend that is still closing: that error is expected then, not before.
  const onError = (err: Error) => {
    if (!closing) console.error(`${schema}: database connection error:`, err.message);
  };
  const pool = new pg.Pool({ connectionString: url, max: 5, options: `-c search_path=${schema}` });
  pool.on('error', onError);
  pool.on('connect', (client) => timeStatements(client, stages, prefix, statementLabel));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const poller = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  poller.on('error', onError);
  await poller.connect();
  return {
    db,
    count: async (query) => Number((await poller.query<{ c: number }>(query)).rows[0]?.c ?? 0),
    close: async () => {
      closing = true;
      await Promise.allSettled([poller.end(), db.destroy()]);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Instrumented transport: times the relay's publish and the consumer's accept

/** The relay's publish, by transport kind (the rows of the stage table). */
const PUBLISH_STAGE: Readonly<Record<string, string>> = {
  nats: 'relay: transport.publish (JetStream, PubAcks awaited)',
  local: 'relay: transport.publish (local: into the inbox)',
  rabbitmq: 'relay: transport.publish (RabbitMQ, confirms awaited)',
  bullmq: 'relay: transport.publish (BullMQ, job adds awaited)',
};
const CONSUMER_ACCEPT = 'consumer: accept batch (inbox tx, wake worker)';
const CONSUMER_GAP = 'consumer: between batches (fetch: up to 256 events or 1 s)';

class ProfiledTransport implements EventTransport {
  readonly kind: string;
  #lastAcceptEnd: number | undefined;
  constructor(
    private readonly inner: EventTransport,
    private readonly stages: StageSet,
    private readonly trace: EventTrace,
  ) {
    this.kind = inner.kind;
  }

  async publish(publisher: string, events: readonly EventEnvelope[]): Promise<void> {
    const start = now();
    await this.inner.publish(publisher, events);
    const end = now();
    this.stages.record(PUBLISH_STAGE[this.kind] ?? `relay: transport.publish (${this.kind})`, end - start, events.length);
    this.trace.relay(events, end);
  }

  subscribe(module: string, names: readonly string[], inbox: InboxSink): Promise<void> {
    return this.inner.subscribe(module, names, {
      accept: async (events, cursor) => {
        const start = now();
        if (this.kind === 'nats' && this.#lastAcceptEnd !== undefined) this.stages.record(CONSUMER_GAP, start - this.#lastAcceptEnd);
        await inbox.accept(events, cursor);
        const end = now();
        this.#lastAcceptEnd = end;
        this.stages.record(CONSUMER_ACCEPT, end - start, events.length);
        this.trace.accept(events, end);
      },
      position: (source) => inbox.position(source),
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

// ---------------------------------------------------------------------------------------
// Results

export interface ScenarioResult {
  readonly id: string;
  readonly label: string;
  readonly n: number;
  readonly warmup: number;
  /** Events/s from the first publish until the last one is consumed (raw) or its effect committed (Cleave). */
  readonly eventsPerSec: number;
  readonly seconds: number;
  /** Events/s of the publishing side alone (first publish until the last is acked / committed). */
  readonly publishPerSec: number;
  readonly publishSeconds: number;
  /** Publish (raw: before send; Cleave: after commit) → consumed (raw) / handler ran, in the effect's transaction (Cleave). */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** The same latency for the paced events (light load: `pacedCount` at `pacedRate`/s after the throughput run). */
  readonly pacedLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number };
  readonly verified: Readonly<Record<string, number | boolean>>;
  readonly cpu: CpuUse;
  readonly notes: readonly string[];
}

export interface CleaveResult extends ScenarioResult {
  readonly database: DbKind;
  readonly publishers: number;
  readonly stages: readonly StageSummary[];
  readonly hopsMs: Readonly<Record<string, { p50: number; p99: number; max: number; mean: number }>>;
  readonly pacedHopsMs: Readonly<Record<string, { p50: number; p99: number; max: number; mean: number }>>;
  /** Events per busy second of each serial loop (a lower bound for the relay, whose passes shrink to what arrived). */
  readonly capacity: Readonly<Record<string, number>>;
  /** Events waiting in front of each stage: the largest backlog seen, and the backlog when the last publish committed. */
  readonly queues: Readonly<Record<string, { readonly max: number; readonly atPublishEnd: number }>>;
  /** The stage with the largest backlog, or the publishers when no queue builds up. */
  readonly bottleneck: string;
  readonly timeline: readonly { readonly t: number; readonly committed: number; readonly relayed: number; readonly inbox: number; readonly handled: number }[];
}

async function waitFor(what: string, progress: () => number | Promise<number>, target: number, pollMs: number, stallMs = 30_000): Promise<number> {
  let last = -1;
  let lastChange = now();
  for (;;) {
    const value = await progress();
    if (value >= target) return now();
    if (value !== last) {
      last = value;
      lastChange = now();
    } else if (now() - lastChange > stallMs) {
      throw new Error(`${what}: stuck at ${value}/${target} for ${stallMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

// ---------------------------------------------------------------------------------------
// (b) and (c): Cleave, outbox → transport → inbox → handler

/** `perTransaction` > 1: the publishers write that many events per transaction (a labelled extra row, not how (b) publishes). */
async function cleavePipeline(o: EventsBenchOptions, transportKind: 'nats' | 'local' | 'rabbitmq' | 'bullmq', perTransaction = 1): Promise<CleaveResult> {
  const dbKind: DbKind = o.databaseUrl ? 'postgres' : 'pglite';
  const n = o.cleaveN;
  const stages = new StageSet();
  const trace = new EventTrace(n + o.pacedCount);
  const logger = createLogger({ service: 'bench-events', level: 'warn', destination: process.stderr });
  const namespace = `bench_${randomBytes(4).toString('hex')}`;
  const cleanup: (() => Promise<unknown>)[] = [];
  const runCleanup = async () => {
    for (const step of cleanup.reverse()) await step().catch((err: unknown) => console.error('cleanup:', err));
  };
  try {
    const open = async (schema: string, prefix: string) => {
      let url: string | undefined;
      if (dbKind === 'postgres') {
        const created = await createDatabase(o.databaseUrl!);
        cleanup.push(created.drop);
        url = created.url;
      }
      const database = await openDatabase(schema, dbKind, url, stages, prefix);
      cleanup.push(() => database.close());
      await migrateModule(database.db, schema, eventTableMigrations, EVENT_TABLES_MIGRATION_TABLE);
      return database;
    };
    const pubDb = await open(PUBLISHER, 'publisher db: ');
    const subDb = await open(SUBSCRIBER, 'subscriber db: ');
    const subscriber = subscriberModule(trace);
    await migrateModule(subDb.db, SUBSCRIBER, subscriber.migrations);

    const router = new CallRouter();
    const pubRuntime = new ModuleRuntime(publisherModule, pubDb.db, logger, disabledTracer, router);
    const subRuntime = new ModuleRuntime(subscriber, subDb.db, logger, disabledTracer, router);

    let inner: EventTransport;
    if (transportKind === 'nats') {
      const nats = new NatsEventTransport({ url: o.natsUrl, app: namespace, publisherOf: (name) => (name === EVENT_NAME ? PUBLISHER : undefined), logger });
      cleanup.push(() => deleteStream(o.natsUrl, `cleave_${namespace}`));
      await nats.connect();
      inner = nats;
    } else if (transportKind === 'rabbitmq') {
      const rabbit = new RabbitEventTransport({ url: o.rabbitmqUrl!, app: namespace, subscribers: new Map([[EVENT_NAME, [SUBSCRIBER]]]), logger });
      cleanup.push(() => deleteRabbitNamespace(o.rabbitmqUrl!, rabbit.topology.exchange, rabbit.topology.queueOf(SUBSCRIBER)));
      await rabbit.connect();
      inner = rabbit;
    } else if (transportKind === 'bullmq') {
      const bullmq = new BullmqEventTransport({ url: o.redisUrl!, app: namespace, subscribers: new Map([[EVENT_NAME, [SUBSCRIBER]]]), logger });
      cleanup.push(() => obliterateQueue(o.redisUrl!, bullmq.queues.queueOf(SUBSCRIBER)));
      await bullmq.connect();
      inner = bullmq;
    } else {
      inner = new LocalEventTransport();
    }
    const runtime = await startEventRuntime(
      [
        { runtime: pubRuntime, subscriptions: [] },
        { runtime: subRuntime, subscriptions: subscriber.subscriptions },
      ],
      new ProfiledTransport(inner, stages, trace),
      logger,
      o.lanes === undefined ? {} : { lanes: o.lanes },
    );
    let stopped = false;
    const stop = async () => {
      if (!stopped) await runtime.stop();
      stopped = true;
    };
    cleanup.push(stop);

    // The relay and worker loops call these methods by name on each pass: wrap the instances to time passes.
    // Only the publisher's relay: the subscriber has one too, idle (it publishes nothing).
    for (const relay of [runtime.relays.get(PUBLISHER)!]) {
      const relayOnce = relay.relayOnce.bind(relay);
      relay.relayOnce = async () => {
        const start = now();
        const rows = await relayOnce();
        stages.record(rows > 0 ? 'relay: pass with events' : 'relay: empty pass', now() - start, rows);
        return rows;
      };
    }
    for (const worker of runtime.workers.values()) {
      const workOnce = worker.workOnce.bind(worker);
      worker.workOnce = async () => {
        const start = now();
        const calls = trace.handlerCalls;
        const result = await workOnce();
        const handled = trace.handlerCalls - calls;
        stages.record(handled > 0 ? 'worker: pass with events' : 'worker: empty pass', now() - start, handled);
        return result;
      };
    }

    const effects = () => subDb.count('select count(*)::int as c from effects');
    const publishStage = perTransaction === 1 ? 'publish: one ModuleRuntime.transaction + tx.publish' : `publish: one ModuleRuntime.transaction + ${perTransaction} × tx.publish`;
    const publishRange = async (from: number, to: number) => {
      let next = from;
      const publisher = async () => {
        while (next < to) {
          const first = next;
          next = Math.min(to, next + perTransaction);
          const end = next;
          const start = now();
          await pubRuntime.transaction(newTraceContext(), async (tx) => {
            for (let i = first; i < end; i++) await tx.publish(userUpdated, payloadFor(i, start));
          });
          for (let i = first; i < end; i++) trace.commit(i);
          stages.record(publishStage, now() - start, end - first);
        }
      };
      await Promise.all(Array.from({ length: o.publishers }, publisher));
    };

    await publishRange(-o.warmup, 0);
    await waitFor(`${transportKind} warm-up`, effects, o.warmup, 20);

    const profile = await WindowProfile.start(o.profileDir, `cleave-${transportKind}${perTransaction > 1 ? `-${perTransaction}-per-transaction` : ''}`);
    const before = cpuSnapshot(DB_PREFIX);
    const t0 = now();
    stages.enabled = true;
    const timeline: CleaveResult['timeline'][number][] = [];
    const sampler = setInterval(() => timeline.push({ t: Math.round(now() - t0), committed: trace.committed, relayed: trace.relayed, inbox: trace.inbox, handled: trace.handled }), 250);
    await publishRange(0, n);
    const tPublished = now();
    const tDone = await waitFor(`${transportKind} effects`, effects, o.warmup + n, 20);
    stages.enabled = false;
    clearInterval(sampler);
    timeline.push({ t: Math.round(tDone - t0), committed: trace.committed, relayed: trace.relayed, inbox: trace.inbox, handled: trace.handled });
    const after = cpuSnapshot(DB_PREFIX);
    if (profile) console.error(`CPU profile of the timed window: ${await profile.stop()}`);

    // Light load: events one by one on a schedule, for latency without a backlog.
    await paced(o.pacedCount, o.pacedRate, async (k) => {
      await pubRuntime.transaction(newTraceContext(), (tx) => tx.publish(userUpdated, payloadFor(n + k, now())));
      trace.commit(n + k);
    });
    await waitFor(`${transportKind} paced effects`, effects, o.warmup + n + o.pacedCount, 20);
    await stop();

    // Exactly-once: one effect per event id (primary key), each published event once, nothing left over.
    const effectsTotal = await subDb.count('select count(*)::int as c from effects');
    const effectsTimed = await subDb.count('select count(*)::int as c from effects where i >= 0');
    const distinctTimed = await subDb.count('select count(distinct i)::int as c from effects where i >= 0');
    const distinctIds = await subDb.count('select count(distinct event_id)::int as c from effects');
    const inboxDone = await subDb.count(`select count(*)::int as c from inbox where status = 'done'`);
    const inboxOther = await subDb.count(`select count(*)::int as c from inbox where status <> 'done'`);
    const outboxPending = await pubDb.count('select count(*)::int as c from outbox where published_at is null');
    const all = n + o.pacedCount;
    const ok = effectsTimed === all && distinctTimed === all && effectsTotal === all + o.warmup && distinctIds === effectsTotal && inboxDone === effectsTotal && inboxOther === 0;

    const wallMs = tDone - t0;
    const summaries = stages.names().map((name) => stages.stage(name).summary(wallMs));
    const busy = (name: string) => (stages.has(name) ? stages.stage(name).totalMs : 0);
    const items = (name: string) => (stages.has(name) ? stages.stage(name).items : 0);
    const relayBusy = busy('relay: pass with events') + busy('relay: empty pass');
    const workerBusy = busy('worker: pass with events') + busy('worker: empty pass');
    const acceptBusy = busy(CONSUMER_ACCEPT);
    const publishers = perTransaction === 1 ? 'publishers (one transaction per event)' : `publishers (${perTransaction} events per transaction)`;
    const capacity: Record<string, number> = {
      [`${publishers.replace('publishers (', 'publishers (measured, ')}`]: n / ((tPublished - t0) / 1000),
      'relay loop (lower bound)': (1000 * items('relay: pass with events')) / relayBusy,
      'consumer accept': (1000 * items(CONSUMER_ACCEPT)) / acceptBusy,
      'worker loop': (1000 * items('worker: pass with events')) / workerBusy,
    };
    if (transportKind === 'local') delete capacity['consumer accept']; // inside the relay's publish
    const hops = (start: number, end: number): Record<string, ReturnType<typeof hop>> =>
      transportKind !== 'local'
        ? {
            'commit → broker acked (relay)': hop(trace.committedAt, trace.relayedAt, start, end),
            'broker → inbox committed (consumer)': hop(trace.relayedAt, trace.inboxAt, start, end),
            'inbox → handler ran (worker)': hop(trace.inboxAt, trace.handledAt, start, end),
          }
        : {
            'commit → inbox committed (relay + local hand-over)': hop(trace.committedAt, trace.inboxAt, start, end),
            'inbox → handler ran (worker)': hop(trace.inboxAt, trace.handledAt, start, end),
          };
    const queueDefs: [string, (p: CleaveResult['timeline'][number]) => number][] =
      transportKind !== 'local'
        ? [
            ['relay (committed, not yet acked by the broker)', (p) => p.committed - p.relayed],
            ['consumer (in the broker, not yet in the inbox)', (p) => p.relayed - p.inbox],
            ['worker (in the inbox, not yet handled)', (p) => p.inbox - p.handled],
          ]
        : [
            ['relay (committed, not yet in the inbox)', (p) => p.committed - p.inbox],
            ['worker (in the inbox, not yet handled)', (p) => p.inbox - p.handled],
          ];
    const publishEnd = timeline.find((p) => p.committed >= n) ?? timeline[timeline.length - 1]!;
    const queues = Object.fromEntries(queueDefs.map(([name, f]) => [name, { max: Math.max(0, ...timeline.map(f)), atPublishEnd: f(publishEnd) }]));
    const [worst] = Object.entries(queues).sort((a, b) => b[1].max - a[1].max);
    // A queue of a few batches is only the pipeline's depth; a real bottleneck backs up a good share of N.
    const bottleneck = worst && worst[1].max > Math.max(600, 0.1 * n) ? worst[0].replace(/ \(.*/, '') : publishers;
    const seconds = wallMs / 1000;
    const dbLabel = dbKind === 'postgres' ? 'PostgreSQL 2 databases' : 'PGlite in-memory x2';
    const batchedLabel = `(b') Cleave outbox → NATS → inbox, exactly-once, ${perTransaction} events per publishing transaction (${dbLabel})`;
    return {
      id: perTransaction === 1 ? `cleave-${transportKind}` : `cleave-${transportKind}-${perTransaction}-per-transaction`,
      label: perTransaction > 1 && transportKind === 'nats' ? batchedLabel : {
        nats: `(b) Cleave outbox → NATS → inbox, exactly-once (${dbLabel})`,
        local: `(c) Cleave outbox → local → inbox, exactly-once (${dbLabel})`,
        rabbitmq: `(e) Cleave outbox → RabbitMQ → inbox, exactly-once (${dbLabel})`,
        bullmq: `(g) Cleave outbox → BullMQ → inbox, exactly-once (${dbLabel})`,
      }[transportKind],
      database: dbKind,
      publishers: o.publishers,
      n,
      warmup: o.warmup,
      eventsPerSec: n / seconds,
      seconds,
      publishPerSec: n / ((tPublished - t0) / 1000),
      publishSeconds: (tPublished - t0) / 1000,
      latencyMs: hop(trace.committedAt, trace.handledAt, 0, n),
      pacedLatencyMs: hop(trace.committedAt, trace.handledAt, n, n + o.pacedCount),
      verified: { effects: effectsTimed, paced: o.pacedCount, distinctEvents: distinctTimed, effectsWithWarmup: effectsTotal, distinctEventIds: distinctIds, handlerCalls: trace.handlerCalls, inboxDone, inboxNotDone: inboxOther, outboxUnpublished: outboxPending, ok },
      cpu: cpuUse(before, after),
      stages: summaries,
      hopsMs: hops(0, n),
      pacedHopsMs: hops(n, n + o.pacedCount),
      capacity,
      queues,
      bottleneck,
      timeline,
      notes: [
        perTransaction === 1
          ? `publish: ${o.publishers} publishers in flight, each one ModuleRuntime.transaction with one tx.publish (no other state change); pools of 5 connections per module (the framework default)`
          : `(b'): as (b), but each publishing transaction publishes ${perTransaction} events (an app that publishes several per change, or batches its writes): what the relay, broker, consumer and inbox worker carry when the publishers are not the bound; the target is measured on (b)`,
        'end: effect count (polled every 20 ms) reaches N; latency: publish transaction committed → handler ran, inside the effect transaction (its commit follows: see the worker rows)',
      ],
    };
  } finally {
    await runCleanup();
  }
}

async function deleteRabbitNamespace(url: string, exchange: string, queue: string): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteExchange(exchange);
  await connection.close();
}

async function obliterateQueue(url: string, name: string): Promise<void> {
  const queue = new Queue(name, { connection: { url }, prefix: KEY_PREFIX, skipMetasUpdate: true });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

async function deleteStream(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
  } finally {
    await nc.close();
  }
}

// ---------------------------------------------------------------------------------------
// Report

const ms = (v: number) => (Number.isNaN(v) ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(0)}%`);

/** Stage rows in pipeline order, sub-stages indented under the loop they belong to. */
const STAGE_ORDER: readonly (readonly [string, string])[] = [
  ['publish: one ModuleRuntime.transaction + tx.publish', ''],
  ['publisher db: begin', '  '],
  ['publisher db: insert outbox', '  '],
  ['publisher db: commit', '  '],
  ['relay: pass with events', ''],
  ['publisher db: select unpublished', '  '],
  ['relay: transport.publish (JetStream, PubAcks awaited)', '  '],
  ['relay: transport.publish (local: into the inbox)', '  '],
  ['relay: transport.publish (RabbitMQ, confirms awaited)', '  '],
  ['relay: transport.publish (BullMQ, job adds awaited)', '  '],
  ['publisher db: update published_at', '  '],
  ['relay: empty pass', ''],
  [CONSUMER_ACCEPT, ''],
  ['subscriber db: insert inbox', '  '],
  ['subscriber db: upsert stream position', '  '],
  [CONSUMER_GAP, ''],
  ['worker: pass with events', ''],
  ['subscriber db: select heads', '  '],
  ['subscriber db: begin', '  '],
  ['subscriber db: lock inbox rows', '  '],
  ['subscriber db: savepoint', '  '],
  ['subscriber db: insert effect', '  '],
  ['subscriber db: update inbox done', '  '],
  ['subscriber db: commit', '  '],
  ['worker: empty pass', ''],
  ['subscriber db: select unpublished', ''], // the subscriber's own relay, idle
];

function stageTable(result: CleaveResult): string {
  const byName = new Map(result.stages.map((s) => [s.stage, s]));
  const known = new Set(STAGE_ORDER.map(([name]) => name));
  const order = [...STAGE_ORDER, ...result.stages.filter((s) => !known.has(s.stage)).map((s) => [s.stage, '  '] as const)];
  const rows = order
    .filter(([name]) => byName.has(name))
    .map(([name, indent]) => {
      const s = byName.get(name)!;
      return [indent + s.stage, count(s.calls), s.calls ? (s.items / s.calls).toFixed(1) : '-', ms(s.meanMs), ms(s.p99Ms), (s.totalMs / 1000).toFixed(2), pct(s.pctOfWall)];
    });
  return formatTable(['stage (timed window only)', 'calls', 'items/call', 'mean ms', 'p99 ms', 'busy s', 'of wall'], rows);
}

/**
 * The worker's statements per event handled (each statement's total time over the events),
 * and the worker's busy time per event: with several lanes the statements of different
 * lanes overlap, so their sum may exceed the busy time. BEGIN and COMMIT are left out: the
 * consumer's inbox transactions run them on the same database.
 */
function workerBreakdown(result: CleaveResult): { busyPerEventMs: number; statementsPerEventMs: Record<string, number> } | undefined {
  const byName = new Map(result.stages.map((s) => [s.stage, s]));
  const pass = byName.get('worker: pass with events');
  if (!pass || pass.items === 0) return undefined;
  const statementsPerEventMs: Record<string, number> = {};
  for (const name of ['select heads', 'lock inbox rows', 'savepoint', 'insert effect', 'update inbox done']) {
    statementsPerEventMs[name] = (byName.get(`subscriber db: ${name}`)?.totalMs ?? 0) / pass.items;
  }
  return { busyPerEventMs: pass.totalMs / pass.items, statementsPerEventMs };
}

/** CPU time this scenario's own processes spent per event: node, nats-server and the bench's databases. */
export function cpuPerEventUs(r: ScenarioResult): number {
  const ours = r.cpu.nodePct + Object.entries(r.cpu.serversPct).reduce((sum, [name, v]) => (name.includes('other') ? sum : sum + v), 0);
  return ((ours / 100) * 1e6) / r.eventsPerSec;
}

function cpuLine(r: ScenarioResult): string {
  const { cpu } = r;
  const servers = Object.entries(cpu.serversPct).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(', ');
  return (
    `CPU (% of one core): node ${cpu.nodePct.toFixed(0)}% (event loop busy ${cpu.eventLoopPct.toFixed(0)}% of wall)${servers ? `, ${servers}` : ''}` +
    `, everything else ${pct(cpu.othersPct)}; machine ${pct(cpu.machinePct)} of all ${cpus().length} cores; ` +
    `${count(cpuPerEventUs(r))} µs of CPU per event (node + nats-server + bench databases)`
  );
}

export function report(raw: ScenarioResult, nats: CleaveResult, local: CleaveResult, o: EventsBenchOptions, batched?: CleaveResult) {
  const scenarios: ScenarioResult[] = [raw, nats, ...(batched ? [batched] : []), local];
  const table = formatTable(
    ['scenario', 'N', 'events/s', 'publish/s', 'p50 ms', 'p99 ms', `p50 @${o.pacedRate}/s`, `p99 @${o.pacedRate}/s`, 'seconds', 'verified'],
    scenarios.map((s) => [
      s.label, count(s.n), count(s.eventsPerSec), count(s.publishPerSec), ms(s.latencyMs.p50), ms(s.latencyMs.p99),
      ms(s.pacedLatencyMs.p50), ms(s.pacedLatencyMs.p99), s.seconds.toFixed(2), s.verified.ok ? 'ok' : 'FAILED',
    ]),
  );
  const ratio = nats.eventsPerSec / raw.eventsPerSec;
  const verdicts = [
    {
      target: `Cleave full guarantees (b) at least ${(targets.cleaveVsRaw * 100).toFixed(0)}% (a third) of raw JetStream's events/s (a)`,
      value: ratio,
      pass: ratio >= targets.cleaveVsRaw,
    },
  ];
  const paced = [
    { target: `Cleave on NATS, lone event at ${o.pacedRate}/s: publish commit → handler p50 <= ${targets.pacedP50Ms} ms`, value: nats.pacedLatencyMs.p50, pass: nats.pacedLatencyMs.p50 <= targets.pacedP50Ms },
    { target: `Cleave on NATS, lone event at ${o.pacedRate}/s: publish commit → handler p99 <= ${targets.pacedP99Ms} ms`, value: nats.pacedLatencyMs.p99, pass: nats.pacedLatencyMs.p99 <= targets.pacedP99Ms },
  ];

  const analysis: string[] = [];
  for (const r of [nats, ...(batched ? [batched] : []), local]) {
    analysis.push(`${r.label}: ${count(r.n)} events in ${r.seconds.toFixed(2)} s`, '', stageTable(r), '');
    analysis.push('queues in front of each stage (events; largest seen / when the last publish committed):');
    for (const [stage, q] of Object.entries(r.queues)) analysis.push(`  ${stage.padEnd(50)} ${count(q.max).padStart(7)} / ${count(q.atPublishEnd)}`);
    analysis.push(`  → bottleneck: ${r.bottleneck}`);
    analysis.push('events per busy second of each stage (the rate it could sustain if busy all the time):');
    for (const [stage, v] of Object.entries(r.capacity)) analysis.push(`  ${stage.padEnd(50)} ${count(v).padStart(7)}`);
    const w = workerBreakdown(r);
    if (w) {
      analysis.push(`worker, per event: busy ${ms(w.busyPerEventMs)} ms; statements (summed over lanes) ${Object.entries(w.statementsPerEventMs).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
    }
    analysis.push(`latency hops at full speed (p50 / p99 ms): ${Object.entries(r.hopsMs).map(([k, v]) => `${k} ${ms(v.p50)} / ${ms(v.p99)}`).join('; ')}`);
    analysis.push(`latency hops at ${o.pacedRate}/s (p50 / p99 ms): ${Object.entries(r.pacedHopsMs).map(([k, v]) => `${k} ${ms(v.p50)} / ${ms(v.p99)}`).join('; ')}`);
    const published = r.timeline.find((p) => p.committed >= r.n);
    if (published) analysis.push(`when the last publish committed (t=${(published.t / 1000).toFixed(2)} s of ${r.seconds.toFixed(2)}): relayed ${count(published.relayed)}, in inbox ${count(published.inbox)}, handled ${count(published.handled)} of ${count(r.n)}`);
    analysis.push(cpuLine(r), '');
  }
  analysis.push(`(a) raw floor: ${count(Number(raw.verified.fetches))} fetches; ${cpuLine(raw)}`);

  const notes = [
    `N: ${count(o.rawN)} raw messages, ${count(o.cleaveN)} events per Cleave scenario (each after ${o.warmup} untimed warm-up events); chosen so each scenario runs several seconds`,
    `p50/p99: during the throughput run, so mostly queueing behind the slowest stage; "@${o.pacedRate}/s": ${o.pacedCount} more events published one at a time at ${o.pacedRate}/s after it (light load)`,
    `payload: ${JSON.stringify(payloadFor(12_345, 123_456.789)).length} bytes of JSON; Cleave wraps it in its envelope (id, publisher, name, seq, traceparent, createdAt), so its messages are larger`,
    ...raw.notes,
    ...nats.notes,
    `(c) runs the same modules over LocalEventTransport: the relay's publish inserts into the subscriber's inbox directly`,
    'all in one Node process (publishers, relay, consumer, worker), sharing the machine with nats-server and PostgreSQL',
  ];

  const json = {
    benchmark: 'events-throughput',
    ...environment(),
    options: { rawN: o.rawN, cleaveN: o.cleaveN, publishers: o.publishers, batchedPerTransaction: o.batchedPerTransaction, lanes: o.lanes ?? 'default', warmup: o.warmup, rawBatch: o.rawBatch, fetchBatch: o.fetchBatch, pacedCount: o.pacedCount, pacedRate: o.pacedRate, database: nats.database },
    rows: scenarios,
    ratios: {
      cleaveNatsVsRaw: ratio,
      cleaveLocalVsRaw: local.eventsPerSec / raw.eventsPerSec,
      cleaveNatsVsLocal: nats.eventsPerSec / local.eventsPerSec,
      ...(batched ? { cleaveNatsBatchedPublishersVsRaw: batched.eventsPerSec / raw.eventsPerSec } : {}),
    },
    cpuPerEventUs: Object.fromEntries(scenarios.map((r) => [r.id, cpuPerEventUs(r)])),
    workerPerEventMs: { nats: workerBreakdown(nats), local: workerBreakdown(local) },
    targets: [...verdicts, ...paced],
    notes,
  };
  const text = [
    table,
    '',
    `(b)/(a) throughput: ${ratio.toFixed(3)}   (c)/(a): ${(local.eventsPerSec / raw.eventsPerSec).toFixed(3)}` +
      (batched ? `   (b')/(a): ${(batched.eventsPerSec / raw.eventsPerSec).toFixed(3)} (${o.batchedPerTransaction} events per publishing transaction; not the target's row)` : ''),
    ...verdicts.map((v) => `${v.pass ? 'PASS' : 'MISS'}  ${v.target}: ${(v.value * 100).toFixed(1)}%`),
    ...paced.map((v) => `${v.pass ? 'PASS' : 'MISS'}  ${v.target}: ${ms(v.value)} ms`),
    '',
    ...analysis,
    '',
    ...notes,
  ].join('\n');
  return { text, json };
}

export async function eventsThroughput(o: EventsBenchOptions) {
  const payload = (i: number) => JSON.stringify(payloadFor(i, now()));
  const raw = await rawJetStream({ url: o.natsUrl, n: o.rawN, warmup: o.warmup, batch: o.rawBatch, fetchBatch: o.fetchBatch, paced: { count: o.pacedCount, rate: o.pacedRate }, payload });
  const nats = await cleavePipeline(o, 'nats');
  const batched = o.batchedPerTransaction > 1 ? await cleavePipeline(o, 'nats', o.batchedPerTransaction) : undefined;
  const local = await cleavePipeline(o, 'local');
  for (const r of [raw, nats, ...(batched ? [batched] : []), local]) assert.ok(r.verified.ok, `${r.id}: verification failed: ${JSON.stringify(r.verified)}`);
  const result = report(raw, nats, local, o, batched);
  // Every other broker against its own raw client, in the same run.
  const pairs: { readonly kind: string; readonly raw: ScenarioResult; readonly cleave: CleaveResult }[] = [];
  if (o.rabbitmqUrl) {
    const rawRabbit = await rawRabbitMq({ url: o.rabbitmqUrl, n: o.rawN, warmup: o.warmup, batch: o.rawBatch, prefetch: o.fetchBatch, payload });
    pairs.push({ kind: 'rabbitmq', raw: rawRabbit, cleave: await cleavePipeline(o, 'rabbitmq') });
  }
  if (o.redisUrl) {
    const rawRedis = await rawBullmq({ url: o.redisUrl, n: o.rawN, warmup: o.warmup, batch: o.rawBatch, payload });
    pairs.push({ kind: 'bullmq', raw: rawRedis, cleave: await cleavePipeline(o, 'bullmq') });
  }
  if (pairs.length > 0) {
    for (const { raw: r, cleave: c } of pairs) for (const s of [r, c]) assert.ok(s.verified.ok, `${s.id}: verification failed: ${JSON.stringify(s.verified)}`);
    const rows = [raw, nats, ...pairs.flatMap((p) => [p.raw, p.cleave])];
    const letter = (s: ScenarioResult) => /^\((\w)\)/.exec(s.label)?.[1] ?? '?';
    const ratios = pairs.map((p) => `(${letter(p.cleave)})/(${letter(p.raw)}) throughput: ${(p.cleave.eventsPerSec / p.raw.eventsPerSec).toFixed(3)}`);
    result.text += `\n\nper broker, each against its raw client in this run:\n${formatTable(
      ['scenario', 'N', 'events/s', 'publish/s', 'p50 ms', 'p99 ms', `p50 @${o.pacedRate}/s`, `p99 @${o.pacedRate}/s`, 'verified'],
      rows.map((s) => [s.label, count(s.n), count(s.eventsPerSec), count(s.publishPerSec), ms(s.latencyMs.p50), ms(s.latencyMs.p99), ms(s.pacedLatencyMs.p50), ms(s.pacedLatencyMs.p99), s.verified.ok ? 'ok' : 'FAILED']),
    )}\n${[...ratios, `(b)/(a): ${(nats.eventsPerSec / raw.eventsPerSec).toFixed(3)}`].join('   ')}\n${pairs.flatMap((p) => p.raw.notes).join('\n')}` +
      pairs.map((p) => `\n\n${p.cleave.label}\n${stageTable(p.cleave)}\n  → bottleneck: ${p.cleave.bottleneck}`).join('');
    for (const p of pairs) Object.assign(result.json, { [p.kind]: { rows: [p.raw, p.cleave], ratios: { cleaveVsRaw: p.cleave.eventsPerSec / p.raw.eventsPerSec } } });
  }
  return result;
}

export async function run(): Promise<void> {
  const natsUrl = process.env.NATS_URL;
  if (!natsUrl) {
    console.log('events-throughput skipped: set NATS_URL (e.g. NATS_URL=nats://127.0.0.1:4222), and DATABASE_URL for the PostgreSQL variant');
    return;
  }
  const options: EventsBenchOptions = {
    natsUrl,
    databaseUrl: process.env.DATABASE_URL || undefined,
    rawN: Number(process.env.BENCH_EVENTS_RAW_N ?? 100_000),
    cleaveN: Number(process.env.BENCH_EVENTS_N ?? 10_000),
    publishers: Number(process.env.BENCH_EVENTS_PUBLISHERS ?? 8),
    warmup: Number(process.env.BENCH_EVENTS_WARMUP ?? 500),
    rawBatch: 500,
    fetchBatch: 256,
    pacedCount: 300,
    pacedRate: 100,
    rabbitmqUrl: process.env.RABBITMQ_URL || undefined,
    redisUrl: process.env.REDIS_URL || undefined,
    profileDir: process.env.BENCH_EVENTS_PROFILE || undefined,
    batchedPerTransaction: Number(process.env.BENCH_EVENTS_BATCHED ?? 10),
    lanes: process.env.BENCH_EVENTS_LANES ? Number(process.env.BENCH_EVENTS_LANES) : undefined,
  };
  const loadBefore = loadavg();
  const { text, json } = await eventsThroughput(options);
  Object.assign(json, { loadAverageBefore: loadBefore.map((v) => Number(v.toFixed(2))) });
  const file = join(import.meta.dirname, 'results', 'events-throughput.json');
  writeJson(file, json);
  console.log(
    `events throughput: end-to-end events/s and publish → consume latency, ${options.databaseUrl ? 'PostgreSQL' : 'PGlite in-memory (set DATABASE_URL for PostgreSQL)'}, ` +
      `${json.cpus} cores shared by node, nats-server and the database (node ${json.node})\n`,
  );
  console.log(text);
  console.log(`\n${JSON.stringify(json, null, 2)}`);
  console.log(`\nwritten to ${file}`);
}

if (isMain(import.meta.url)) await run();
