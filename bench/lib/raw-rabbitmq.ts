import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import type { ScenarioResult } from '../events-throughput.ts';
import { Receipts, runRawFloor } from './raw-floor.ts';
import type { RawFloorOptions } from './raw-floor.ts';

export interface RawRabbitOptions extends RawFloorOptions {
  /** Consumer prefetch (RabbitEventTransport's default). */
  readonly prefetch: number;
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
    const result = await runRawFloor(o, receipts, send, {
      id: 'raw-rabbitmq',
      label: '(d) raw RabbitMQ quorum queue, confirms + batched acks',
      notes: [
        `(d): ${o.batch} persistent publishes per batch on a confirm channel, confirms awaited per batch; consumer prefetch ${o.prefetch}, one multiple-ack per event-loop turn; no paced run`,
      ],
    });
    await pubChannel.deleteQueue(queue);
    return result;
  } finally {
    await connection.close().catch(() => {});
  }
}
