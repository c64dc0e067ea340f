import type { EventEnvelope } from '../event-envelope.ts';
import type { EventTransport, InboxSink } from '../event-transport.ts';
import { LocalSubscribers } from './local-subscribers.ts';

/**
 * Events within one process: the relay hands each batch straight to the inboxes of the
 * subscribing modules. Durable because the outbox row stays unpublished until every
 * inbox has the event, so a crash in between only repeats the hand-over.
 */
export class LocalEventTransport implements EventTransport {
  readonly kind = 'local';
  readonly #subscribers = new LocalSubscribers();

  publish(_publisher: string, events: readonly EventEnvelope[]): Promise<void> {
    return this.#subscribers.deliver(events);
  }

  async subscribe(module: string, names: readonly string[], inbox: InboxSink): Promise<void> {
    this.#subscribers.add(module, names, inbox.accept);
  }

  async close(): Promise<void> {
    this.#subscribers.clear();
  }
}
