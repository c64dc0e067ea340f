/**
 * An event as it travels between modules, whatever the transport. `seq` is the
 * publisher's outbox sequence: events of one aggregate are handled in `seq` order.
 */
export interface EventEnvelope {
  readonly id: string;
  /** The publishing module. */
  readonly publisher: string;
  /** Versioned event name, e.g. `user.updated.v1`. */
  readonly name: string;
  readonly aggregateKey: string;
  readonly seq: string;
  readonly payload: unknown;
  /** W3C traceparent of the publishing operation: the consumer's span joins its trace. */
  readonly traceparent: string | null;
  readonly createdAt: string;
}
