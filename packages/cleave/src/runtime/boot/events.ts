import { startEventRuntime } from '../../events/event-runtime.ts';
import type { EventRuntime } from '../../events/event-runtime.ts';
import type { EventTransport } from '../../events/event-transport.ts';
import { chooseEventTransport } from '../event-transport-choice.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import type { RemoteCalls } from './remote-calls.ts';
import type { ServiceBoot } from './service-boot.ts';

export interface WiredEvents {
  readonly events: EventRuntime;
  readonly transport: EventTransport;
}

/** The event transport of this topology, an outbox relay per hosted module and an inbox worker per subscribing one. */
export async function wireEvents(boot: ServiceBoot, modules: ReadonlyMap<string, ModuleRuntime>, remote: RemoteCalls | undefined): Promise<WiredEvents> {
  const { app, topology, name, settings, multiService, logger } = boot;
  const transport = await chooseEventTransport({ app, topology, service: name, settings, multiService, remote, logger });
  // From here the event runtime owns the transport: it closes it on stop, and on a failed start.
  const events = await startEventRuntime(
    boot.hosted.map((definition) => ({ runtime: modules.get(definition.name) as ModuleRuntime, subscriptions: definition.subscriptions })),
    transport,
    logger,
  );
  boot.closers.add('event delivery', () => events.stop());
  return { events, transport };
}
