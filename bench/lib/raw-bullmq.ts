import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { ScenarioResult } from '../events-throughput.ts';
import { Receipts, runRawFloor } from './raw-floor.ts';
import type { RawFloorOptions } from './raw-floor.ts';

/**
 * (f) The BullMQ floor with the same ordering Cleave asks for: one queue with a global
 * concurrency of 1 and a worker of concurrency 1, a job per batch of messages with a custom
 * id, added and awaited one after the other, removed on completion — what
 * BullmqEventTransport does, minus the outbox, the inbox and the handler.
 */
export async function rawBullmq(o: RawFloorOptions): Promise<ScenarioResult> {
  const name = `bench_raw_${randomBytes(4).toString('hex')}`;
  const producer = new Redis(o.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  await producer.connect();
  const workerConnection = new Redis(o.url, { maxRetriesPerRequest: null });
  const queue = new Queue<{ messages: string[] }>(name, { connection: producer, prefix: 'cleave' });
  let worker: Worker<{ messages: string[] }> | undefined;
  try {
    await queue.setGlobalConcurrency(1);
    const receipts = new Receipts(o.n);
    let jobs = 0;
    worker = new Worker<{ messages: string[] }>(name, async (job) => {
      jobs++;
      for (const m of job.data.messages) receipts.record(JSON.parse(m) as { i: number; sentAt: number });
    }, { connection: workerConnection, prefix: 'cleave', concurrency: 1, removeOnComplete: { count: 0 } });
    const send = (b: number, end: number) => {
      const messages: string[] = [];
      for (let i = b; i < end; i++) messages.push(o.payload(i));
      return queue.add('m', { messages }, { jobId: `${name}.${b}`, removeOnComplete: true });
    };
    return await runRawFloor(o, receipts, send, {
      id: 'raw-bullmq',
      label: '(f) raw BullMQ, a job per batch, one active job',
      verified: () => ({ jobs }),
      notes: [`(f): a job of ${o.batch} messages per add, adds awaited one by one; global concurrency 1, worker concurrency 1, jobs removed on completion; no paced run`],
    });
  } finally {
    await worker?.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    workerConnection.disconnect();
    producer.disconnect();
  }
}
