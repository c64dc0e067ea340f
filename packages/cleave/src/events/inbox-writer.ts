import type { Kysely } from 'kysely';
import type { EventEnvelope } from './event-envelope.ts';
import type { EventTables } from './event-tables.ts';

/**
 * Stores delivered events in a module's inbox, in one transaction per batch. The event
 * id is the key: a redelivered event is ignored here, so it can't take effect twice.
 */
export async function acceptIntoInbox(db: Kysely<EventTables>, events: readonly EventEnvelope[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('inbox')
    .values(
      events.map((e) => ({
        event_id: e.id,
        publisher: e.publisher,
        name: e.name,
        aggregate_key: e.aggregateKey,
        seq: e.seq,
        payload: JSON.stringify(e.payload),
        traceparent: e.traceparent,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: new Date(),
        last_error: null,
        handled_at: null,
      })),
    )
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}
