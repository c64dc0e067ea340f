import type { EventEnvelope } from './event-envelope.ts';

/** A position in a broker's stream, stored atomically with the inbox rows it delivered. */
export interface StreamCursor {
  readonly source: string;
  readonly position: string;
}

/** Takes a batch of delivered events into a subscribing module's inbox (durably). */
export type AcceptEvents = (events: readonly EventEnvelope[], cursor?: StreamCursor) => Promise<void>;

/** A subscribing module's inbox, as a transport sees it. */
export interface InboxSink {
  readonly accept: AcceptEvents;
  /** The stored position for a source, so a broker transport resumes exactly after it. */
  position(source: string): Promise<string | undefined>;
}

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
  subscribe(module: string, names: readonly string[], inbox: InboxSink): Promise<void>;
  close(): Promise<void>;
}
