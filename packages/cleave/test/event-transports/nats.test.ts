import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe } from 'vitest';
import { NatsEventTransport } from '../../src/events/transports/nats-transport.ts';
import { pub } from './app.ts';
import { conformanceCases } from './conformance.ts';
import { brokerDeployment } from './world.ts';
import type { TransportDriver, World } from './world.ts';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
// A fresh namespace per run: its own stream and durable consumers, deleted afterwards.
const namespace = `conf_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const publisherOf = (name: string) => (Object.hasOwn(pub.$events, name) ? pub.$name : undefined);

let admin: NatsConnection | undefined;

/** One NatsEventTransport per side; events published while `sub` is down wait in the stream. */
const nats: TransportDriver = {
  kind: 'nats',
  whileSubscriberDown: 'stored-by-broker',
  async start(world) {
    admin = await connect({ servers: url });
    const js = jetstream(admin);
    const transportOf = async (side: World) => {
      const transport = new NatsEventTransport({ url, app: namespace, publisherOf, logger: side.logs.logger });
      await transport.connect();
      return transport;
    };
    const publisher = await transportOf(world);
    // Without a message id the broker stores them again: the consumer sees true duplicates.
    return brokerDeployment(world, publisher, () => transportOf(world), async (batch) => {
      for (const e of batch) await js.publish(publisher.subject(e.publisher, e.name), JSON.stringify(e));
    });
  },
  async cleanup() {
    if (!admin) return;
    const jsm = await jetstreamManager(admin);
    await jsm.streams.delete(`cleave_${namespace}`);
    await admin.drain();
  },
};

describe.skipIf(!process.env.NATS_URL)('event transport conformance: nats (needs NATS_URL)', () => {
  conformanceCases(nats);
});
