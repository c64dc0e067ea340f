import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import type { ScenarioResult } from '../events-throughput.ts';
import { latencySummary, publishInBatches, Receipts } from './raw-floor.ts';
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
    const receipts = new Receipts(o.n);
    let pending: ConsumeMessage | undefined;
    let ackScheduled = false;
    await subChannel.consume(queue, (m) => {
      if (!m) return;
      receipts.record(JSON.parse(m.content.toString('utf8')) as { i: number; sentAt: number });
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
    const send = (b: number, end: number) => {
      for (let i = b; i < end; i++) pubChannel.publish('', queue, Buffer.from(o.payload(i)), { persistent: true, messageId: `${queue}-${i}` });
      return pubChannel.waitForConfirms();
    };
    await publishInBatches(-o.warmup, 0, o.batch, send);
    await receipts.until(o.warmup);
    const before = cpuSnapshot('cleave_bench_');
    const t0 = performance.now();
    await publishInBatches(0, o.n, o.batch, send);
    const tPublished = performance.now();
    const tDone = await receipts.until(o.warmup + o.n);
    const after = cpuSnapshot('cleave_bench_');
    const { missing, duplicates, received } = receipts;
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
      latencyMs: receipts.latencyMs(),
      pacedLatencyMs: latencySummary([]),
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
