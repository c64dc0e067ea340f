import { describe } from 'vitest';
import type { EventRuntime } from '../../src/events/event-runtime.ts';
import { LocalEventTransport } from '../../src/events/transports/local-transport.ts';
import { conformanceCases } from './conformance.ts';
import { startSide, stopWorkers } from './world.ts';
import type { TransportDriver } from './world.ts';

/** One process hosts both modules: a crash of the subscriber is a crash of the publisher too. */
const local: TransportDriver = {
  kind: 'local',
  whileSubscriberDown: 'publisher-down-too',
  async start(world) {
    let transport = new LocalEventTransport();
    let events: EventRuntime = await startSide(world, ['pub', 'sub'], transport);
    return {
      async stopSubscriber() {
        await stopWorkers(events);
        await events.stop();
      },
      async startSubscriber() {
        world.restartSub();
        transport = new LocalEventTransport();
        events = await startSide(world, ['pub', 'sub'], transport);
      },
      redeliver: (batch) => transport.publish('pub', batch),
      stop: () => events.stop(),
    };
  },
};

describe('event transport conformance: local', () => {
  conformanceCases(local);
});
