import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { migrateModule } from '../../src/data/migrations.ts';
import { openModuleDatabase } from '../../src/data/module-database.ts';
import type { ModuleDatabase } from '../../src/data/module-database.ts';
import type { EventEnvelope } from '../../src/events/event-envelope.ts';
import { startEventRuntime } from '../../src/events/event-runtime.ts';
import type { EventRuntime } from '../../src/events/event-runtime.ts';
import { EVENT_TABLES_MIGRATION_TABLE, eventTableMigrations } from '../../src/events/event-tables.ts';
import type { EventTables } from '../../src/events/event-tables.ts';
import type { EventTransport } from '../../src/events/event-transport.ts';
import type { AnyModule } from '../../src/module/define-module.ts';
import { CallRouter } from '../../src/runtime/call-router.ts';
import { ModuleRuntime } from '../../src/runtime/module-runtime.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import type { Logger } from '../../src/telemetry/logger.ts';
import { newTraceContext } from '../../src/telemetry/trace-context.ts';
import type { TraceContext } from '../../src/telemetry/trace-context.ts';
import { SpanStore } from '../../src/telemetry/span-store.ts';
import { createTracer } from '../../src/telemetry/tracer.ts';
import type { Tracer } from '../../src/telemetry/tracer.ts';
import { InProcessTransport } from '../../src/transport/in-process.ts';
import { pub, pubModule, subModule } from './app.ts';
import type { EventName, PubDb, SubDb } from './app.ts';

export const workerOptions = { backoffMs: 20, maxAttempts: 3, idleMs: 50 } as const;

/** Warnings and errors the framework logs (relay and consumer failures), parsed back. */
export class LogCapture {
  readonly lines: { msg?: string; level?: number }[] = [];
  readonly logger: Logger = createLogger({
    service: 'conformance',
    level: 'warn',
    destination: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as { msg?: string });
        done();
      },
    }),
  });

  count(msg: string): number {
    return this.lines.filter((l) => l.msg === msg).length;
  }
}

async function openMigrated(definition: AnyModule): Promise<ModuleDatabase<unknown>> {
  const database = await openModuleDatabase<unknown>(definition.name, { kind: 'pglite', dataDir: undefined });
  await migrateModule(database.db, definition.name, definition.migrations);
  await migrateModule(database.db, definition.name, eventTableMigrations, EVENT_TABLES_MIGRATION_TABLE);
  return database;
}

/**
 * Both modules, each with its own in-memory database, runtime and tracer (as if in two
 * services). The transport under test is wired to them by a driver.
 */
export class World {
  pub!: ModuleRuntime;
  sub!: ModuleRuntime;
  readonly pubTracer: Tracer = createTracer({ service: 'pub-svc', store: new SpanStore('pub-svc') });
  readonly subTracer: Tracer = createTracer({ service: 'sub-svc', store: new SpanStore('sub-svc') });
  readonly logs = new LogCapture();

  private constructor(
    readonly pubDb: ModuleDatabase<unknown>,
    readonly subDb: ModuleDatabase<unknown>,
  ) {}

  static async create(): Promise<World> {
    const [pubDb, subDb] = await Promise.all([openMigrated(pubModule), openMigrated(subModule)]);
    const world = new World(pubDb, subDb);
    world.pub = world.#runtime(pubModule, pubDb, world.pubTracer);
    world.sub = world.#runtime(subModule, subDb, world.subTracer);
    return world;
  }

  /** A new runtime of `sub` on the same database: its process restarted. */
  restartSub(): ModuleRuntime {
    this.sub = this.#runtime(subModule, this.subDb, this.subTracer);
    return this.sub;
  }

  #runtime(definition: AnyModule, database: ModuleDatabase<unknown>, tracer: Tracer): ModuleRuntime {
    const router = new CallRouter();
    const runtime = new ModuleRuntime(definition, database.db, this.logs.logger, tracer, router);
    router.register(definition.name, new InProcessTransport(runtime));
    return runtime;
  }

  get pubTables(): Kysely<EventTables & PubDb> {
    return this.pubDb.db as Kysely<EventTables & PubDb>;
  }

  get subTables(): Kysely<EventTables & SubDb> {
    return this.subDb.db as Kysely<EventTables & SubDb>;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pubDb.close(), this.subDb.close(), this.pubTracer.shutdown(), this.subTracer.shutdown()]);
  }
}

/** Starts event delivery for the given sides of the world on `transport`. */
export function startSide(world: World, sides: readonly ('pub' | 'sub')[], transport: EventTransport): Promise<EventRuntime> {
  const hosted = sides.map((side) => (side === 'pub' ? { runtime: world.pub, subscriptions: [] } : { runtime: world.sub, subscriptions: (subModule as AnyModule).subscriptions }));
  return startEventRuntime(hosted, transport, world.logs.logger, workerOptions);
}

/** Asks the inbox workers to stop now (synchronously), so a handler in flight is their last. */
export function stopWorkers(events: EventRuntime): Promise<void> {
  return Promise.all([...events.workers.values()].map((w) => w.stop())).then(() => undefined);
}

/**
 * A broker between the sides: `pub` on `publisher`, `sub` on its own transport instance
 * (a new one after each restart), as two services sharing one broker run.
 */
export async function brokerDeployment(world: World, publisher: EventTransport, subscriberTransport: () => Promise<EventTransport>, redeliver: Deployment['redeliver']): Promise<Deployment> {
  const pubEvents = await startSide(world, ['pub'], publisher);
  let subEvents = await startSide(world, ['sub'], await subscriberTransport());
  return {
    async stopSubscriber() {
      await stopWorkers(subEvents);
      await subEvents.stop();
    },
    async startSubscriber() {
      world.restartSub();
      subEvents = await startSide(world, ['sub'], await subscriberTransport());
    },
    redeliver,
    async stop() {
      await pubEvents.stop();
      await subEvents.stop();
    },
  };
}

/** How a transport is set up; what the shared cases run against. */
export interface TransportDriver {
  readonly kind: 'local' | 'http' | 'nats' | 'rabbitmq' | 'bullmq';
  /**
   * Where events published while `sub` is down wait: in the outbox because the whole
   * process is down (local), in the outbox because pushes fail (http), or in the broker's
   * stream or queue: read from the position `sub` stored (nats), or unacked (rabbitmq) or not
   * yet completed (bullmq).
   */
  readonly whileSubscriberDown: 'publisher-down-too' | 'held-in-outbox' | 'stored-by-broker';
  start(world: World): Promise<Deployment>;
  cleanup?(): Promise<void>;
}

export interface Deployment {
  /** Stops `sub`'s side: its workers at once, then its listener or consumer, then its event runtime. */
  stopSubscriber(): Promise<void>;
  /** Starts `sub`'s side again: a new runtime and new transport instance on the same database. */
  startSubscriber(): Promise<void>;
  /** Hands these envelopes to the transport's delivery again, as a redelivery would. */
  redeliver(events: readonly EventEnvelope[]): Promise<void>;
  stop(): Promise<void>;
}

export const uid = (tag: string): string => `${tag}-${randomUUID().slice(0, 8)}`;
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export interface Published {
  readonly id: string;
  readonly n: number;
  readonly name?: EventName;
}

/** Publishes through the framework path: one transaction of `pub` that also writes its state. */
export async function publish(world: World, events: readonly Published[], trace: TraceContext = newTraceContext()): Promise<void> {
  await world.pub.transaction(trace, async (tx) => {
    const db = tx.db as unknown as Kysely<PubDb>;
    for (const e of events) {
      await db.insertInto('things').values({ id: e.id, n: e.n }).onConflict((oc) => oc.column('id').doUpdateSet({ n: e.n })).execute();
      await tx.publish(pub.$events[e.name ?? 'thing.changed.v1'], { id: e.id, n: e.n });
    }
  });
}

export function effectsOf(world: World, aggregate: string) {
  return world.subTables.selectFrom('effects').select(['n', 'name', 'event_id']).where('aggregate', '=', aggregate).orderBy('id').execute();
}

export async function inboxOf(world: World, aggregate: string) {
  const rows = await world.subTables.selectFrom('inbox').selectAll().where('aggregate_key', '=', aggregate).orderBy('seq').execute();
  return rows.map((r) => ({ ...r, n: (r.payload as { n: unknown }).n }));
}

export function outboxOf(world: World, aggregate: string) {
  return world.pubTables.selectFrom('outbox').selectAll().where('aggregate_key', '=', aggregate).orderBy('seq').execute();
}

/** The envelopes the relay made of an aggregate's outbox rows. */
export async function envelopesOf(world: World, aggregate: string): Promise<EventEnvelope[]> {
  return (await outboxOf(world, aggregate)).map((r) => ({
    id: r.id,
    publisher: pub.$name,
    name: r.name,
    aggregateKey: r.aggregate_key,
    seq: String(r.seq),
    payload: r.payload,
    traceparent: r.traceparent,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
