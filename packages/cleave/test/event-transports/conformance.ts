import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listDeadLetters, replayDeadLetters } from '../../src/events/dead-letters.ts';
import { newTraceContext } from '../../src/telemetry/trace-context.ts';
import { attemptsOf, control, holdHandler, keyOf, pub } from './app.ts';
import type { EventName, PubDb } from './app.ts';
import { waitFor } from './wait-for.ts';
import { effectsOf, envelopesOf, inboxOf, outboxOf, publish, range, uid, World } from './world.ts';
import type { Deployment, TransportDriver } from './world.ts';

export const CASES = {
  delivery: 'delivers every event to its subscriber, handled exactly once',
  rollback: 'publishes nothing from a transaction that rolls back',
  redelivery: 'has no second effect when an event is delivered again',
  crash: 'after the subscriber stops mid-stream and restarts, handles every event exactly once',
  ordering: 'handles the events of each aggregate in publish order; a failed head holds back the rest',
  deadLetter: 'retries a failing handler, dead-letters it after maxAttempts, then moves on',
  replay: 'handles a replayed dead letter once the handler is fixed',
  trace: "joins each consumer span to the publisher's trace",
  validation: 'dead-letters an event whose payload breaks the contract at once, without effect',
  storageOutage: 'loses nothing and keeps the order when the subscriber cannot store events for a while',
} as const;

const RELAY_FAILED = 'outbox relay: publishing failed; will retry';

/** The shared cases, registered in the caller's `describe`, against the transport `driver` sets up. */
export function conformanceCases(driver: TransportDriver): void {
  let world!: World;
  let deployment!: Deployment;

  beforeAll(async () => {
    world = await World.create();
    deployment = await driver.start(world);
  });

  afterAll(async () => {
    await deployment?.stop();
    await world?.close();
    await driver.cleanup?.();
  });

  const effectNs = async (id: string) => (await effectsOf(world, id)).map((e) => e.n);
  /** Waits for `count` effects of aggregate `id`; their `n`s in the order they took effect. */
  const effectNsReach = async (id: string, count: number) => {
    const rows = await waitFor(async () => {
      const effects = await effectsOf(world, id);
      return effects.length >= count && effects;
    }, `${count} effects of ${id}`);
    return rows.map((e) => e.n);
  };
  /**
   * A sentinel published now is delivered after everything published before it (each
   * transport keeps a publisher's order): once it took effect, earlier deliveries arrived.
   */
  const settle = async () => {
    const id = uid('sentinel');
    await publish(world, [{ id, n: 1 }]);
    await effectNsReach(id, 1);
  };

  it(CASES.delivery, async () => {
    const ids = [uid('d1'), uid('d2'), uid('d3'), uid('d4')];
    const plan: { n: number; name: EventName }[] = [
      ...range(1, 5).map((n) => ({ n, name: 'thing.changed.v1' as const })),
      { n: 6, name: 'thing.other.v1' },
      { n: 7, name: 'thing.ignored.v1' },
      { n: 8, name: 'thing.changed.v1' },
    ];
    for (const step of plan) await publish(world, ids.map((id) => ({ id, n: step.n, name: step.name })));
    const expected = plan.filter((s) => s.name !== 'thing.ignored.v1');
    for (const id of ids) await effectNsReach(id, expected.length);
    await settle();
    for (const id of ids) {
      const effects = await effectsOf(world, id);
      expect(effects.map((e) => [e.n, e.name])).toEqual(expected.map((s) => [s.n, s.name]));
      const inbox = await inboxOf(world, id);
      expect(inbox.map((r) => [r.n, r.name, r.status, r.attempts])).toEqual(expected.map((s) => [s.n, s.name, 'done', 1]));
      expect(effects.map((e) => e.event_id)).toEqual(inbox.map((r) => r.event_id));
      expect((await outboxOf(world, id)).filter((r) => r.published_at === null)).toEqual([]);
    }
  });

  it(CASES.rollback, async () => {
    const id = uid('rollback');
    const attempt = world.pub.transaction(newTraceContext(), async (tx) => {
      await (tx.db as unknown as Kysely<PubDb>).insertInto('things').values({ id, n: 1 }).execute();
      await tx.publish(pub.$events['thing.changed.v1'], { id, n: 1 });
      throw new Error('changed my mind');
    });
    await expect(attempt).rejects.toThrow('changed my mind');
    expect(await outboxOf(world, id)).toEqual([]);
    expect(await world.pubTables.selectFrom('things').selectAll().where('id', '=', id).execute()).toEqual([]);
    await publish(world, [{ id, n: 2 }]);
    expect(await effectNsReach(id, 1)).toEqual([2]);
    await settle();
    expect(await effectNs(id)).toEqual([2]);
    expect((await inboxOf(world, id)).map((r) => r.n)).toEqual([2]);
    expect(attemptsOf(id)).toEqual([2]);
  });

  it(CASES.redelivery, async () => {
    const id = uid('again');
    await publish(world, range(1, 3).map((n) => ({ id, n })));
    expect(await effectNsReach(id, 3)).toEqual([1, 2, 3]);
    const envelopes = await envelopesOf(world, id);
    await deployment.redeliver(envelopes);
    await deployment.redeliver(envelopes);
    // The relay sends them again too, as after a crash between publishing and marking them published.
    await world.pubTables.updateTable('outbox').set({ published_at: null }).where('aggregate_key', '=', id).execute();
    world.pub.afterCommit({ published: [id], sagas: 0, jobs: 0 });
    await waitFor(async () => (await outboxOf(world, id)).every((r) => r.published_at !== null), 'the relay to publish them again');
    await publish(world, [{ id, n: 4 }]);
    expect(await effectNsReach(id, 4)).toEqual([1, 2, 3, 4]);
    await settle();
    expect(await effectNs(id)).toEqual([1, 2, 3, 4]);
    expect(attemptsOf(id)).toEqual([1, 2, 3, 4]);
    expect((await inboxOf(world, id)).map((r) => [r.n, r.status, r.attempts])).toEqual(range(1, 4).map((n) => [n, 'done', 1]));
  });

  it(CASES.crash, async () => {
    const id = uid('crash');
    const gate = holdHandler(keyOf(id, 4));
    await publish(world, range(1, 10).map((n) => ({ id, n })));
    await waitFor(() => gate.entered, 'the handler of event 4 to be in flight');
    const stopping = deployment.stopSubscriber();
    gate.crash();
    await stopping;
    // The handler in flight took no effect: its transaction rolled back.
    expect(await effectNs(id)).toEqual([1, 2, 3]);

    const failuresBefore = world.logs.count(RELAY_FAILED);
    await publish(world, range(11, 20).map((n) => ({ id, n })));
    const later = async () => (await outboxOf(world, id)).filter((r) => (r.payload as { n: number }).n > 10);
    if (driver.whileSubscriberDown === 'stored-by-broker') {
      await waitFor(async () => (await later()).every((r) => r.published_at !== null), 'the broker to take the events');
      expect((await inboxOf(world, id)).filter((r) => Number(r.n) > 10)).toEqual([]);
    } else {
      if (driver.whileSubscriberDown === 'held-in-outbox') await waitFor(() => world.logs.count(RELAY_FAILED) > failuresBefore, 'a failed push');
      expect((await later()).map((r) => r.published_at)).toEqual(range(11, 20).map(() => null));
    }

    await deployment.startSubscriber();
    expect(await effectNsReach(id, 20)).toEqual(range(1, 20));
    await settle();
    expect(await effectNs(id)).toEqual(range(1, 20));
    const inbox = await inboxOf(world, id);
    expect(inbox.map((r) => r.status)).toEqual(range(1, 20).map(() => 'done'));
    expect(inbox.find((r) => r.n === 4)?.attempts).toBe(2);
  });

  it(CASES.ordering, async () => {
    const [a, b] = [uid('A'), uid('B')];
    const failsOnce = (id: string, n: number) => (id === a ? n % 7 === 3 : n % 9 === 2);
    for (const n of range(1, 50)) for (const id of [a, b]) if (failsOnce(id, n)) control.fail.set(keyOf(id, n), 1);
    for (let start = 1; start <= 50; start += 10) {
      await publish(world, range(start, start + 9).flatMap((n) => [{ id: a, n }, { id: b, n }]));
    }
    for (const id of [a, b]) {
      expect(await effectNsReach(id, 50)).toEqual(range(1, 50));
      // A failed head is retried before the next event of its aggregate is tried at all.
      expect(attemptsOf(id)).toEqual(range(1, 50).flatMap((n) => (failsOnce(id, n) ? [n, n] : [n])));
      const inbox = await inboxOf(world, id);
      expect(inbox.map((r) => [r.n, r.status, r.attempts])).toEqual(range(1, 50).map((n) => [n, 'done', failsOnce(id, n) ? 2 : 1]));
    }
  });

  it(CASES.deadLetter, async () => {
    const id = uid('dead');
    control.fail.set(keyOf(id, 1), 'always');
    control.fail.set(keyOf(id, 3), 2);
    await publish(world, range(1, 4).map((n) => ({ id, n })));
    expect(await effectNsReach(id, 3)).toEqual([2, 3, 4]);
    // 2 waits for 1 to be dead-lettered; 4 waits for 3's retries.
    expect(attemptsOf(id)).toEqual([1, 1, 1, 2, 3, 3, 3, 4]);
    const inbox = await inboxOf(world, id);
    expect(inbox.map((r) => [r.n, r.status, r.attempts])).toEqual([[1, 'dead', 3], [2, 'done', 1], [3, 'done', 3], [4, 'done', 1]]);
    expect(inbox[0]?.last_error).toContain(`told to fail ${keyOf(id, 1)}`);
    expect(inbox[2]?.last_error).toBeNull();
    const dead = (await listDeadLetters('sub', world.subTables)).filter((d) => d.aggregateKey === id);
    expect(dead).toEqual([expect.objectContaining({ eventId: inbox[0]?.event_id, attempts: 3, name: 'thing.changed.v1', publisher: 'pub' })]);
  });

  it(CASES.replay, async () => {
    const id = uid('replay');
    control.fail.set(keyOf(id, 1), 'always');
    await publish(world, [{ id, n: 1 }, { id, n: 2 }]);
    expect(await effectNsReach(id, 1)).toEqual([2]);
    const [dead] = await inboxOf(world, id);
    expect(dead).toMatchObject({ n: 1, status: 'dead', attempts: 3 });
    control.fail.delete(keyOf(id, 1));
    expect(await replayDeadLetters(world.subTables, [dead?.event_id ?? ''])).toBe(1);
    expect(await effectNsReach(id, 2)).toEqual([2, 1]);
    await settle();
    expect(await effectNs(id)).toEqual([2, 1]);
    expect(attemptsOf(id)).toEqual([1, 1, 1, 2, 1]);
    expect((await inboxOf(world, id))[0]).toMatchObject({ status: 'done', attempts: 1, last_error: null });
  });

  it(CASES.trace, async () => {
    const id = uid('trace');
    const trace = newTraceContext();
    control.fail.set(keyOf(id, 2), 1);
    await publish(world, [{ id, n: 1 }, { id, n: 2 }], trace);
    await effectNsReach(id, 2);
    const [first, second] = await inboxOf(world, id);
    const spans = await waitFor(() => {
      const found = world.subTracer.store?.trace(trace.traceId).filter((s) => s.name === 'process thing.changed.v1') ?? [];
      return found.length >= 3 && found;
    }, 'three consumer spans in the publisher trace');
    expect(spans.map((s) => [s.attributes['cleave.event_id'], s.attributes['cleave.attempt'], s.status])).toEqual([
      [first?.event_id, 1, 'ok'],
      [second?.event_id, 1, 'error'],
      [second?.event_id, 2, 'ok'],
    ]);
    for (const span of spans) {
      expect(span).toMatchObject({ traceId: trace.traceId, parentSpanId: trace.spanId, attributes: expect.objectContaining({ 'cleave.module': 'sub', 'cleave.publisher': 'pub' }) });
    }
  });

  it(CASES.validation, async () => {
    const id = uid('invalid');
    // Written behind the contract's back (an old publisher, a hand-made row): `n` is not a number.
    await world.pubTables
      .insertInto('outbox')
      .values({ id: randomUUID(), name: 'thing.changed.v1', aggregate_key: id, payload: JSON.stringify({ id, n: 'seven' }), traceparent: null, created_at: new Date() })
      .execute();
    await publish(world, [{ id, n: 2 }]);
    expect(await effectNsReach(id, 1)).toEqual([2]);
    const inbox = await inboxOf(world, id);
    expect(inbox.map((r) => [r.n, r.status, r.attempts])).toEqual([['seven', 'dead', 1], [2, 'done', 1]]);
    expect(inbox[0]?.last_error).toMatch(/payload of thing\.changed\.v1: n: /);
    expect(attemptsOf(id)).toEqual([2]);
  });

  it(CASES.storageOutage, async () => {
    const [a, b] = [uid('S'), uid('T')];
    // More events than one NATS fetch (256) takes: the backlog after an outage.
    const count = 150;
    await sql`create or replace function refuse_inbox() returns trigger language plpgsql as $$ begin raise exception 'inbox unavailable'; end $$`.execute(world.subDb.db);
    await sql`create trigger refuse_inbox before insert on inbox for each row execute function refuse_inbox()`.execute(world.subDb.db);
    try {
      const logged = world.logs.lines.length;
      await publish(world, range(1, count).flatMap((n) => [{ id: a, n }, { id: b, n }]));
      // The relay (local, http) or the consumer (nats) logs the refused batch; it will retry.
      await waitFor(() => world.logs.lines.slice(logged).some((l) => /fail/i.test(l.msg ?? '')), 'a failed delivery to be logged');
    } finally {
      await sql`drop trigger refuse_inbox on inbox`.execute(world.subDb.db);
    }
    for (const id of [a, b]) expect(await effectNsReach(id, count)).toEqual(range(1, count));
    await settle();
    for (const id of [a, b]) {
      expect(await effectNs(id)).toEqual(range(1, count));
      expect((await inboxOf(world, id)).filter((r) => r.status !== 'done')).toEqual([]);
    }
  });
}
