import type { Kysely } from 'kysely';
import type { ModuleRuntime } from '../runtime/module-runtime.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { EventTables } from './event-tables.ts';
import type { EventTransport } from './event-transport.ts';
import { InboxWorker } from './inbox-worker.ts';
import type { InboxWorkerOptions } from './inbox-worker.ts';
import { acceptIntoInbox, storedPosition } from './inbox-writer.ts';
import { OutboxRelay } from './outbox-relay.ts';
import type { Subscription } from './subscription.ts';

export interface HostedEventModule {
  readonly runtime: ModuleRuntime;
  readonly subscriptions: readonly Subscription[];
}

export interface EventRuntime {
  /** The transport's kind: local, http, nats or rabbitmq. */
  readonly transport: string;
  readonly relays: ReadonlyMap<string, OutboxRelay>;
  readonly workers: ReadonlyMap<string, InboxWorker>;
  stop(): Promise<void>;
}

/**
 * Starts event delivery for the modules hosted in this process: an outbox relay per
 * module (nudged after each commit that published), and for each subscribing module an
 * inbox worker fed by the transport.
 */
export async function startEventRuntime(modules: readonly HostedEventModule[], transport: EventTransport, logger: Logger, workerOptions: InboxWorkerOptions = {}): Promise<EventRuntime> {
  const relays = new Map<string, OutboxRelay>();
  const workers = new Map<string, InboxWorker>();
  for (const { runtime, subscriptions } of modules) {
    if (subscriptions.length === 0) continue;
    const worker = new InboxWorker(runtime, subscriptions, workerOptions);
    workers.set(runtime.name, worker);
    const db = runtime.db as Kysely<EventTables>;
    await transport.subscribe(runtime.name, subscriptions.map((s) => s.event.name), {
      accept: async (events, cursor) => {
        await acceptIntoInbox(db, events, cursor);
        worker.wake();
      },
      position: (source) => storedPosition(db, source),
    });
    worker.start();
  }
  for (const { runtime } of modules) {
    const relay = new OutboxRelay(runtime.name, runtime.db as Kysely<EventTables>, transport, logger);
    relays.set(runtime.name, relay);
    runtime.onPublished = () => relay.wake();
    relay.start();
  }
  return {
    transport: transport.kind,
    relays,
    workers,
    async stop() {
      await Promise.all([...relays.values()].map((r) => r.stop()));
      await Promise.all([...workers.values()].map((w) => w.stop()));
      await transport.close();
    },
  };
}
