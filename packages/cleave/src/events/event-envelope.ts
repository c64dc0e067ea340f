import { z } from 'zod';

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

/** What a broker hands back must look like an envelope before it goes near an inbox. */
export const EventEnvelopeSchema = z.object({
  id: z.string().min(1),
  publisher: z.string().min(1),
  name: z.string().min(1),
  aggregateKey: z.string(),
  seq: z.string().regex(/^\d+$/),
  payload: z.unknown(),
  traceparent: z.string().nullable(),
  createdAt: z.string(),
});
