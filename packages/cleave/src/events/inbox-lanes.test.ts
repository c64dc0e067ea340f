import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Generated, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrateModule } from '../data/migrations.ts';
import type { Migrations } from '../data/migrations.ts';
import { openModuleDatabase } from '../data/module-database.ts';
import type { ModuleDatabase } from '../data/module-database.ts';
import { defineContract, event } from '../module/contract.ts';
import { defineModule } from '../module/define-module.ts';
import type { AnyModule } from '../module/define-module.ts';
import { CallRouter } from '../runtime/call-router.ts';
import { ModuleRuntime } from '../runtime/module-runtime.ts';
import { createLogger } from '../telemetry/logger.ts';
import { disabledTracer } from '../telemetry/tracer.ts';
import { createTestDatabase } from '../testing/test-database.ts';
import type { EventEnvelope } from './event-envelope.ts';
import { EVENT_TABLES_MIGRATION_TABLE, eventTableMigrations } from './event-tables.ts';
import type { EventTables } from './event-tables.ts';
import { splitIntoLanes } from './inbox-lanes.ts';
import { acceptIntoInbox } from './inbox-writer.ts';
import { InboxWorker } from './inbox-worker.ts';
import type { InboxWorkerOptions } from './inbox-worker.ts';

describe('splitIntoLanes', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);

  it('keeps the order, splits evenly, and opens a lane per `perLane` items up to `lanes`', () => {
    expect(splitIntoLanes(items, 3, 48)).toEqual([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(splitIntoLanes(items, 3, 48, 16)).toEqual([items]);
    expect(splitIntoLanes(items, 3, 48, 4)).toEqual([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(splitIntoLanes(items, 3, 48, 5)).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    expect(splitIntoLanes([], 3, 48)).toEqual([]);
  });

  it('never puts more than `max` in a batch, even past one batch per lane', () => {
    expect(splitIntoLanes(items, 2, 3).map((b) => b.length)).toEqual([3, 3, 2, 2]);
    expect(splitIntoLanes(items, 1, 48)).toEqual([items]);
  });
});

// A module whose handler checks, inside the event's transaction, that every earlier event
// of its aggregate has committed, and records what ran concurrently.

const Step = z.object({ id: z.string(), n: z.number().int() });
const source = defineContract('lanes_pub', { operations: {}, events: { 'step.done.v1': event(Step, { aggregateKey: (p) => p.id }) } });

interface EffectTables {
  effects: { id: Generated<number>; aggregate: string; n: number; seen: number; event_id: string };
}

const effectMigrations: Migrations = {
  '0001_effects': {
    async up(db) {
      await db.schema
        .createTable('effects')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('aggregate', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('seen', 'integer', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

const probe = {
  /** Handlers running now, per aggregate and in all. */
  running: new Map<string, number>(),
  concurrent: 0,
  maxConcurrent: 0,
  maxPerAggregate: 0,
  /** Every handler call, `aggregate:n`, in call order. */
  calls: [] as string[],
  /** `aggregate:n` → failures still to throw ('always': every attempt). */
  fail: new Map<string, number | 'always'>(),
  /** When set, each handler waits for it (after its effect), so handlers overlap if the worker lets them. */
  hold: undefined as Promise<void> | undefined,
};

const subscriberContract = defineContract('lanes_sub', { operations: {} });

const subscriber = defineModule<typeof subscriberContract, EffectTables>(subscriberContract, {
  dependsOn: [source],
  migrations: effectMigrations,
  handlers: {},
  subscriptions: (on) => [
    on(
      source.$events['step.done.v1'],
      async (p, ctx) => {
        const key = `${p.id}:${p.n}`;
        probe.calls.push(key);
        const running = (probe.running.get(p.id) ?? 0) + 1;
        probe.running.set(p.id, running);
        probe.maxPerAggregate = Math.max(probe.maxPerAggregate, running);
        probe.maxConcurrent = Math.max(probe.maxConcurrent, ++probe.concurrent);
        try {
          // Read committed: the effects of this aggregate that committed before this handler ran.
          const seen = await ctx.db.selectFrom('effects').select((eb) => eb.fn.countAll<string>().as('c')).where('aggregate', '=', p.id).executeTakeFirstOrThrow();
          await ctx.db.insertInto('effects').values({ aggregate: p.id, n: p.n, seen: Number(seen.c), event_id: ctx.event.id }).execute();
          if (probe.hold) await probe.hold;
          else await sleep(Math.random() * 2); // shuffles which lane finishes first
          const rule = probe.fail.get(key);
          if (rule === 'always') throw new Error(`told to fail ${key}`);
          if (rule !== undefined && rule > 0) {
            probe.fail.set(key, rule - 1);
            throw new Error(`told to fail ${key} once`);
          }
        } finally {
          probe.running.set(p.id, probe.running.get(p.id)! - 1);
          probe.concurrent--;
        }
      },
      { maxAttempts: 3 },
    ),
  ],
});

const quiet = createLogger({ service: 'inbox-lanes-test', level: 'fatal', destination: new Writable({ write: (_c, _e, done) => done() }) });

let seq = 0;
function envelopes(steps: readonly { id: string; n: number }[]): EventEnvelope[] {
  return steps.map((s) => ({
    id: randomUUID(),
    publisher: source.$name,
    name: 'step.done.v1',
    aggregateKey: s.id,
    seq: String(++seq),
    payload: s,
    traceparent: null,
    createdAt: new Date().toISOString(),
  }));
}

async function until(what: string, done: () => Promise<boolean>, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!process.env.DATABASE_URL)('inbox worker lanes on PostgreSQL (needs DATABASE_URL)', () => {
  let drop: (() => Promise<void>) | undefined;
  let url: string;
  const opened: ModuleDatabase<unknown>[] = [];

  /** The subscriber's database as one more process would open it: its own pool, and a worker on it. */
  async function replica(options: InboxWorkerOptions): Promise<{ worker: InboxWorker; db: Kysely<EventTables & EffectTables> }> {
    const database = await openModuleDatabase<unknown>(subscriber.name, { kind: 'postgres', url });
    opened.push(database);
    const runtime = new ModuleRuntime(subscriber as unknown as AnyModule, database.db, quiet, disabledTracer, new CallRouter());
    const worker = new InboxWorker(runtime, (subscriber as unknown as AnyModule).subscriptions, { backoffMs: 5, maxBackoffMs: 20, idleMs: 50, ...options });
    return { worker, db: database.db as Kysely<EventTables & EffectTables> };
  }

  beforeAll(async () => {
    const created = await createTestDatabase(process.env.DATABASE_URL!, 'cleave_lanes');
    drop = created.drop;
    url = created.url;
    const database = await openModuleDatabase<unknown>(subscriber.name, { kind: 'postgres', url });
    await migrateModule(database.db, subscriber.name, effectMigrations);
    await migrateModule(database.db, subscriber.name, eventTableMigrations, EVENT_TABLES_MIGRATION_TABLE);
    await database.close();
  });

  afterAll(async () => {
    await Promise.allSettled(opened.map((d) => d.close()));
    await drop?.();
  });

  it("runs a pass's lanes at once, each on its own connection", async () => {
    const { worker, db } = await replica({ lanes: 3, eventsPerLane: 1 });
    let release!: () => void;
    probe.hold = new Promise<void>((resolve) => (release = resolve));
    probe.maxConcurrent = 0;
    const ids = ['c1', 'c2', 'c3'].map((tag) => `${tag}-${randomUUID().slice(0, 6)}`);
    await acceptIntoInbox(db, envelopes(ids.map((id) => ({ id, n: 1 }))));
    worker.start();
    try {
      // A worker that handled one event at a time would never have the three in flight: released after a while, it fails below.
      const deadline = Date.now() + 20_000;
      while (probe.concurrent < 3 && Date.now() < deadline) await sleep(10);
      expect(probe.maxConcurrent).toBe(3);
    } finally {
      release();
      probe.hold = undefined;
    }
    await until('the three events to be done', async () => (await db.selectFrom('inbox').select('event_id').where('status', '=', 'done').execute()).length === 3);
    await worker.stop();
  });

  it('with two replicas of three lanes: every event once, in order per aggregate, one at a time per aggregate, retries and dead letters as with one', async () => {
    const aggregates = Array.from({ length: 30 }, (_, a) => `agg${a}-${randomUUID().slice(0, 6)}`);
    const perAggregate = 20;
    const failsOnce = (a: number, n: number) => (n * 7 + a) % 11 === 3;
    const dead = { a: 4, n: 5 };
    aggregates.forEach((id, a) => {
      for (let n = 1; n <= perAggregate; n++) if (failsOnce(a, n)) probe.fail.set(`${id}:${n}`, 1);
    });
    probe.fail.set(`${aggregates[dead.a]}:${dead.n}`, 'always');
    probe.maxConcurrent = 0;
    probe.maxPerAggregate = 0;
    probe.calls.length = 0;

    const replicas = [await replica({ lanes: 3, eventsPerLane: 1 }), await replica({ lanes: 3, eventsPerLane: 1 })];
    const db = replicas[0]!.db;
    const total = aggregates.length * perAggregate;
    for (const r of replicas) r.worker.start();
    // Interleaved across aggregates, in several deliveries, while the workers run.
    for (let n = 1; n <= perAggregate; n += 5) {
      const steps = [];
      for (let k = n; k < n + 5; k++) for (const id of aggregates) steps.push({ id, n: k });
      await acceptIntoInbox(db, envelopes(steps));
      for (const r of replicas) r.worker.wake();
    }
    const settled = async () => Number((await sql<{ c: string }>`select count(*) as c from inbox where status <> 'pending' and aggregate_key like 'agg%'`.execute(db)).rows[0]?.c) === total;
    await until('every event to be done or dead', settled);
    await Promise.all(replicas.map((r) => r.worker.stop()));

    expect(probe.maxPerAggregate).toBe(1);
    expect(probe.maxConcurrent).toBeGreaterThan(1);
    const effects = await db.selectFrom('effects').selectAll().where('aggregate', 'like', 'agg%').orderBy('id').execute();
    const inbox = await db.selectFrom('inbox').select(['event_id', 'aggregate_key', 'status', 'attempts', 'payload']).where('aggregate_key', 'like', 'agg%').execute();
    // Exactly once: one effect per event handled, none for the dead letter, none twice.
    expect(new Set(effects.map((e) => e.event_id)).size).toBe(effects.length);
    expect(effects.length).toBe(total - 1);
    aggregates.forEach((id, a) => {
      const expected = Array.from({ length: perAggregate }, (_, i) => i + 1).filter((n) => !(a === dead.a && n === dead.n));
      const mine = effects.filter((e) => e.aggregate === id);
      // In publish order, and each handler saw every earlier effect of its aggregate committed.
      expect(mine.map((e) => e.n)).toEqual(expected);
      expect(mine.map((e) => e.seen)).toEqual(expected.map((_, i) => i));
      // Every attempt counted once: a failed head is retried after its backoff, not run again by the other replica or lane meanwhile.
      const calls = probe.calls.filter((k) => k.startsWith(`${id}:`)).map((k) => Number(k.slice(id.length + 1)));
      const attempts = (n: number) => (a === dead.a && n === dead.n ? 3 : failsOnce(a, n) ? 2 : 1);
      expect(calls).toEqual(Array.from({ length: perAggregate }, (_, i) => i + 1).flatMap((n) => Array.from({ length: attempts(n) }, () => n)));
      const rows = inbox.filter((r) => r.aggregate_key === id).sort((x, y) => (x.payload as { n: number }).n - (y.payload as { n: number }).n);
      expect(rows.map((r) => [r.status, r.attempts])).toEqual(Array.from({ length: perAggregate }, (_, i) => [a === dead.a && i + 1 === dead.n ? 'dead' : 'done', attempts(i + 1)]));
    });
  });
});
