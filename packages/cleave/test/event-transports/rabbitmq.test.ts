import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import { describe } from 'vitest';
import { RabbitEventTransport } from '../../src/events/transports/rabbitmq-transport.ts';
import { subModule, subscriberMap } from './app.ts';
import { conformanceCases } from './conformance.ts';
import { brokerDeployment } from './world.ts';
import type { TransportDriver, World } from './world.ts';

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
