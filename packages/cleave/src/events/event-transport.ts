import type { EventEnvelope } from './event-envelope.ts';

/** Takes a batch of delivered events into a subscribing module's inbox (durably). */
export type AcceptEvents = (events: readonly EventEnvelope[]) => Promise<void>;

/**
 * How events travel from a publisher's outbox to subscribers' inboxes. Every transport
 * gives at-least-once delivery in publish order per publisher; the inbox turns that
 * into exactly-once effects. One interface, one conformance suite for all of them.
 */
export interface EventTransport {
  readonly kind: string;
  /** Resolves once every event is accepted for every subscriber (local, HTTP) or stored by the broker (NATS). */
  publish(publisher: string, events: readonly EventEnvelope[]): Promise<void>;
  /** Starts delivering events with these names to a module hosted in this process. */
  subscribe(module: string, names: readonly string[], accept: AcceptEvents): Promise<void>;
  close(): Promise<void>;
}
