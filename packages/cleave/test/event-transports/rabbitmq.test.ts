import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { EventRuntime } from '../../src/events/event-runtime.ts';
import { RabbitEventTransport } from '../../src/events/transports/rabbitmq-transport.ts';
import { subModule, subscriberMap } from './app.ts';
import { conformanceCases } from './conformance.ts';
import { waitFor } from './wait-for.ts';
import { brokerDeployment, effectsOf, publish, startSide, uid, World } from './world.ts';
import type { TransportDriver } from './world.ts';

const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
// A fresh namespace per run: its own exchange and queues, deleted afterwards.
const namespace = `conf_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

let admin: ChannelModel | undefined;
let topology: RabbitEventTransport['topology'] | undefined;

/** One RabbitEventTransport per side; events published while `sub` is down wait in its quorum queue. */
const rabbitmq: TransportDriver = {
  kind: 'rabbitmq',
  whileSubscriberDown: 'stored-by-broker',
  async start(world) {
    admin = await amqp.connect(url);
    const raw = await admin.createConfirmChannel();
    const transportOf = async (side: World) => {
      const transport = new RabbitEventTransport({ url, app: namespace, subscribers: subscriberMap(), logger: side.logs.logger });
      await transport.connect();
      return transport;
    };
    const publisher = await transportOf(world);
    topology = publisher.topology;
    // Straight to the exchange again: the queue holds true duplicates.
    return brokerDeployment(world, publisher, () => transportOf(world), async (batch) => {
      for (const e of batch) raw.publish(publisher.topology.exchange, e.name, Buffer.from(JSON.stringify(e)), { persistent: true });
      await raw.waitForConfirms();
    });
  },
  async cleanup() {
    if (!admin || !topology) return;
    const channel = await admin.createChannel();
    await channel.deleteQueue(topology.queueOf(subModule.name));
    await channel.deleteExchange(topology.exchange);
    await admin.close();
  },
};

describe.skipIf(!process.env.RABBITMQ_URL)('event transport conformance: rabbitmq (needs RABBITMQ_URL)', () => {
  conformanceCases(rabbitmq);
});

describe.skipIf(!process.env.RABBITMQ_URL)('rabbitmq transport: messages that are not event envelopes (needs RABBITMQ_URL)', () => {
  it('logs and skips them, and delivers the events queued behind them', async () => {
    const world = await World.create();
    const app = `poison_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const transport = new RabbitEventTransport({ url, app, subscribers: subscriberMap(), logger: world.logs.logger });
    const connection = await amqp.connect(url);
    let events: EventRuntime | undefined;
    try {
      await transport.connect();
      const raw = await connection.createConfirmChannel();
      // Ahead of any real event in sub's queue: not JSON, and JSON that is no envelope.
      raw.publish(transport.topology.exchange, 'thing.changed.v1', Buffer.from('not json'), { messageId: 'junk-1' });
      raw.publish(transport.topology.exchange, 'thing.changed.v1', Buffer.from(JSON.stringify({ id: 1, name: 'thing.changed.v1' })), { messageId: 'junk-2' });
      await raw.waitForConfirms();
      events = await startSide(world, ['pub', 'sub'], transport);
      const id = uid('behind');
      await publish(world, [{ id, n: 1 }, { id, n: 2 }]);
      const effects = await waitFor(async () => {
        const rows = await effectsOf(world, id);
        return rows.length === 2 && rows;
      }, 'the events behind the junk to take effect');
      expect(effects.map((e) => e.n)).toEqual([1, 2]);
      expect(world.logs.lines.filter((l) => l.msg?.startsWith('RabbitMQ consumer: skipped')).map((l) => l.msg)).toEqual([
        'RabbitMQ consumer: skipped a message that is not JSON',
        'RabbitMQ consumer: skipped a message that is not an event envelope',
      ]);
      expect(await world.subTables.selectFrom('inbox').select('event_id').where('aggregate_key', '=', id).execute()).toHaveLength(2);
    } finally {
      await events?.stop();
      const channel = await connection.createChannel();
      await channel.deleteQueue(transport.topology.queueOf(subModule.name));
      await channel.deleteExchange(transport.topology.exchange);
      await connection.close();
      await world.close();
    }
  }, 90_000);
});

/**
 * What RabbitEventTransport's ordering rests on (ADR 0013): a consumer that dies with
 * unacked deliveries gets them back at the head of the quorum queue, in their order.
 */
describe.skipIf(!process.env.RABBITMQ_URL)('rabbitmq quorum queue: unacked deliveries of a dead consumer (needs RABBITMQ_URL)', () => {
  it('come back first and in order', async () => {
    const queue = `cleave_return_order_${randomUUID().slice(0, 8)}`;
    const publisher = await amqp.connect(url);
    const channel = await publisher.createConfirmChannel();
    const consume = async (prefetch: number, count: number) => {
      const connection = await amqp.connect(url);
      const ch = await connection.createChannel();
      await ch.prefetch(prefetch);
      const got: number[] = [];
      await ch.consume(queue, (m) => m && got.push(Number(m.content.toString())));
      await waitFor(() => got.length >= count, `${count} deliveries`);
      return { connection, ch, got };
    };
    try {
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-single-active-consumer': true } });
      for (let i = 0; i < 500; i++) channel.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
      await channel.waitForConfirms();
      const first = await consume(300, 300);
      expect(first.got).toEqual(Array.from({ length: 300 }, (_, i) => i));
      // Acks the first 100, then dies with 200 unacked.
      first.ch.ack({ fields: { deliveryTag: 100 } } as unknown as amqp.Message, true);
      await first.ch.checkQueue(queue); // a round trip: the ack has reached the broker
      await first.connection.close();
      const second = await consume(1000, 400);
      expect(second.got).toEqual(Array.from({ length: 400 }, (_, i) => 100 + i));
      await second.connection.close();
    } finally {
      await channel.deleteQueue(queue);
      await publisher.close();
    }
  }, 60_000);
});
