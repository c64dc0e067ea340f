import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { EventRuntime } from '../../src/events/event-runtime.ts';
import { BullmqEventTransport } from '../../src/events/transports/bullmq-transport.ts';
import { JOB_NAME, KEY_PREFIX } from '../../src/events/transports/bullmq-queues.ts';
import { subModule, subscriberMap } from './app.ts';
import { conformanceCases } from './conformance.ts';
import { waitFor } from './wait-for.ts';
import { brokerDeployment, effectsOf, publish, startSide, uid, World } from './world.ts';
import type { TransportDriver } from './world.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// A fresh namespace per run: its own queues, removed afterwards.
const namespace = () => `conf_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/** Removes every key of the namespace's queues. */
async function obliterate(queueName: string): Promise<void> {
  const queue = new Queue(queueName, { connection: { url }, prefix: KEY_PREFIX, skipMetasUpdate: true });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

function driver(app: string): TransportDriver & { queue?: Queue } {
  const raw: { queue?: Queue } = {};
  return {
    kind: 'bullmq',
    whileSubscriberDown: 'stored-by-broker',
    async start(world) {
      const transportOf = async (side: World) => {
        const transport = new BullmqEventTransport({ url, app, subscribers: subscriberMap(), logger: side.logs.logger });
        await transport.connect();
        return transport;
      };
      const publisher = await transportOf(world);
      raw.queue = new Queue(publisher.queues.queueOf(subModule.name), { connection: { url }, prefix: KEY_PREFIX });
      // Straight into the queue again, without the job id: the queue holds true duplicates.
      return brokerDeployment(world, publisher, () => transportOf(world), async (batch) => {
        await raw.queue!.add(JOB_NAME, { events: batch });
      });
    },
    async cleanup() {
      const name = raw.queue?.name;
      await raw.queue?.close();
      if (name) await obliterate(name);
    },
  };
}

describe.skipIf(!process.env.REDIS_URL)('event transport conformance: bullmq (needs REDIS_URL)', () => {
  conformanceCases(driver(namespace()));
});

describe.skipIf(!process.env.REDIS_URL)('bullmq transport: jobs that hold no event envelopes (needs REDIS_URL)', () => {
  it('logs and skips them, and delivers the events queued behind them', async () => {
    const world = await World.create();
    const app = namespace();
    const transport = new BullmqEventTransport({ url, app, subscribers: subscriberMap(), logger: world.logs.logger });
    const queueName = transport.queues.queueOf(subModule.name);
    const queue = new Queue(queueName, { connection: { url }, prefix: KEY_PREFIX });
    let events: EventRuntime | undefined;
    try {
      await transport.connect();
      // Ahead of any real event in sub's queue: no events array, and an entry that is no envelope.
      await queue.add(JOB_NAME, { nothing: true } as never);
      await queue.add(JOB_NAME, { events: [{ id: 1, name: 'thing.changed.v1' }] } as never);
      events = await startSide(world, ['pub', 'sub'], transport);
      const id = uid('behind');
      await publish(world, [{ id, n: 1 }, { id, n: 2 }]);
      const effects = await waitFor(async () => {
        const rows = await effectsOf(world, id);
        return rows.length === 2 && rows;
      }, 'the events behind the junk to take effect');
      expect(effects.map((e) => e.n)).toEqual([1, 2]);
      expect(world.logs.lines.filter((l) => l.msg?.startsWith('BullMQ consumer: skipped')).map((l) => l.msg)).toEqual([
        'BullMQ consumer: skipped a job that holds no events',
        'BullMQ consumer: skipped an entry that is not an event envelope',
      ]);
    } finally {
      await events?.stop();
      await queue.close();
      await obliterate(queueName);
      await world.close();
    }
  }, 60_000);
});

/**
 * What BullmqEventTransport's ordering rests on (ADR 0021): with a global concurrency of 1,
 * a job whose worker died stays active and blocks the queue, then goes back to the head.
 */
describe.skipIf(!process.env.REDIS_URL)('bullmq queue with global concurrency 1: the job of a dead worker (needs REDIS_URL)', () => {
  it('is handed out again before any job behind it', async () => {
    const { Worker } = await import('bullmq');
    const name = `cleave_return_order_${randomUUID().slice(0, 8)}`;
    const queue = new Queue(name, { connection: { url }, prefix: KEY_PREFIX });
    const dead = new Redis(url, { maxRetriesPerRequest: null });
    const alive = new Redis(url, { maxRetriesPerRequest: null });
    try {
      await queue.setGlobalConcurrency(1);
      for (let i = 0; i < 5; i++) await queue.add('n', { i });
      // A worker that takes job 0 and dies with it (its connection cut, the lock never renewed).
      const first = new Worker(name, undefined, { connection: dead, prefix: KEY_PREFIX, lockDuration: 1_000 });
      const taken = await first.getNextJob('dead-token');
      expect(taken?.data).toEqual({ i: 0 });
      dead.disconnect();
      const got: number[] = [];
      const second = new Worker(name, async (job) => {
        got.push((job.data as { i: number }).i);
      }, { connection: alive, prefix: KEY_PREFIX, lockDuration: 1_000, stalledInterval: 500, maxStalledCount: 10 });
      await waitFor(() => got.length >= 5, 'every job to be handled', 30_000);
      expect(got).toEqual([0, 1, 2, 3, 4]);
      await second.close();
      await first.close(true).catch(() => {});
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      alive.disconnect();
    }
  }, 60_000);
});
