import type { Kysely } from 'kysely';
import type { ModuleHost } from '../module/module-host.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { EventTables } from './event-tables.ts';
import type { EventTransport } from './event-transport.ts';
import { InboxWorker } from './inbox-worker.ts';
import type { InboxWorkerOptions } from './inbox-worker.ts';
import { acceptIntoInbox, storedPosition } from './inbox-writer.ts';
import { OutboxRelay } from './outbox-relay.ts';
import type { Subscription } from './subscription.ts';

export interface HostedEventModule {
  /** The hosted module (named `runtime` since it is one, a `ModuleRuntime`, at boot). */
  readonly runtime: ModuleHost;
  readonly subscriptions: readonly Subscription[];
}

export interface EventRuntime {
  /** The transport's kind: local, http, nats, rabbitmq or bullmq. */
  readonly transport: string;
  readonly relays: ReadonlyMap<string, OutboxRelay>;
  readonly workers: ReadonlyMap<string, InboxWorker>;
  stop(): Promise<void>;
}

/**
 * Starts event delivery for the modules hosted in this process: an outbox relay per
 * module (nudged after each commit that published), and for each subscribing module an
 * inbox worker fed by the transport. It owns `transport` from this call on: `stop()`
 * closes it, and so does a start that fails.
 */
export async function startEventRuntime(modules: readonly HostedEventModule[], transport: EventTransport, logger: Logger, workerOptions: InboxWorkerOptions = {}): Promise<EventRuntime> {
  const relays = new Map<string, OutboxRelay>();
  const workers = new Map<string, InboxWorker>();
  const unsubscribes: (() => void)[] = [];
  const stop = async () => {
    for (const unsubscribe of unsubscribes) unsubscribe();
    await Promise.all([...relays.values()].map((r) => r.stop()));
    await Promise.all([...workers.values()].map((w) => w.stop()));
    await transport.close();
  };
  try {
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
      unsubscribes.push(runtime.onCommitted((effects) => {
        if (effects.published.length > 0) relay.wake();
      }));
      relay.start();
    }
  } catch (err) {
    // A start that fails part-way (a broker refusing a subscription) leaves nothing running.
    await stop().catch(() => {});
    throw err;
  }
  return { transport: transport.kind, relays, workers, stop };
}
