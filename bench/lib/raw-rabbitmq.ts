import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import type { ScenarioResult } from '../events-throughput.ts';
import { percentiles } from './load.ts';
import { cpuSnapshot, cpuUse } from './stage-profile.ts';

export interface RawRabbitOptions {
  readonly url: string;
  readonly n: number;
  readonly warmup: number;
  /** Messages published before their confirms are awaited together (the relay's batch). */
  readonly batch: number;
  /** Consumer prefetch (RabbitEventTransport's default). */
  readonly prefetch: number;
  /** The message body of event `i` (negative: warm-up); JSON with `i` and `sentAt` (performance.now()). */
  readonly payload: (i: number) => string;
}

const summary = (ms: readonly number[]) => {
  const p = percentiles(ms);
  return { p50: p.p50, p99: p.p99, max: p.max, mean: p.mean };
};

/**
 * (d) The RabbitMQ floor with the same durability Cleave asks for: one durable quorum
 * queue, persistent messages on a confirm channel (confirms awaited per batch), a consumer
 * with the same prefetch acking each delivered batch with `multiple` — what
 * RabbitEventTransport does, minus the outbox, the inbox and the handler.
 */
export async function rawRabbitMq(o: RawRabbitOptions): Promise<ScenarioResult> {
  const queue = `bench_raw_${randomBytes(4).toString('hex')}`;
  const connection = await amqp.connect(o.url);
  try {
    const pubChannel = await connection.createConfirmChannel();
    await pubChannel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const subChannel = await connection.createChannel();
    await subChannel.prefetch(o.prefetch);
    const seen = new Uint8Array(o.n);
    const latency = new Float64Array(o.n).fill(NaN);
    let received = 0;
    let duplicates = 0;
    let pending: ConsumeMessage | undefined;
    let ackScheduled = false;
    await subChannel.consume(queue, (m) => {
      if (!m) return;
      const p = JSON.parse(m.content.toString('utf8')) as { i: number; sentAt: number };
      if (p.i >= 0) {
        if (seen[p.i]) duplicates++;
        else latency[p.i] = performance.now() - p.sentAt;
        seen[p.i] = 1;
      }
      received++;
      pending = m;
      // Ack what arrived in this turn of the event loop at once, as the transport acks a batch.
      if (!ackScheduled) {
        ackScheduled = true;
        setImmediate(() => {
          ackScheduled = false;
          if (pending) subChannel.ack(pending, true);
          pending = undefined;
        });
      }
    });
    const publishRange = async (from: number, to: number) => {
      for (let b = from; b < to; b += o.batch) {
        const end = Math.min(to, b + o.batch);
        for (let i = b; i < end; i++) pubChannel.publish('', queue, Buffer.from(o.payload(i)), { persistent: true, messageId: `${queue}-${i}` });
        await pubChannel.waitForConfirms();
      }
    };
    const until = async (target: number) => {
      while (received < target) await new Promise((resolve) => setTimeout(resolve, 2));
      return performance.now();
    };
    await publishRange(-o.warmup, 0);
    await until(o.warmup);
    const before = cpuSnapshot('cleave_bench_');
    const t0 = performance.now();
    await publishRange(0, o.n);
    const tPublished = performance.now();
    const tDone = await until(o.warmup + o.n);
    const after = cpuSnapshot('cleave_bench_');
    let missing = 0;
    for (const s of seen) if (!s) missing++;
    const seconds = (tDone - t0) / 1000;
    await pubChannel.deleteQueue(queue);
    return {
      id: 'raw-rabbitmq',
      label: '(d) raw RabbitMQ quorum queue, confirms + batched acks',
      n: o.n,
      warmup: o.warmup,
      eventsPerSec: o.n / seconds,
      seconds,
      publishPerSec: o.n / ((tPublished - t0) / 1000),
      publishSeconds: (tPublished - t0) / 1000,
      latencyMs: summary(Array.from(latency).filter((v) => !Number.isNaN(v))),
      pacedLatencyMs: summary([]),
      verified: { received: received - o.warmup, missing, duplicates, ok: missing === 0 && duplicates === 0 },
      cpu: cpuUse(before, after),
      notes: [
        `(d): ${o.batch} persistent publishes per batch on a confirm channel, confirms awaited per batch; consumer prefetch ${o.prefetch}, one multiple-ack per event-loop turn; no paced run`,
      ],
    };
  } finally {
    await connection.close().catch(() => {});
  }
}
