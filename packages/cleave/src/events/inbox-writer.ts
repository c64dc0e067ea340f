import type { Kysely } from 'kysely';
import type { EventEnvelope } from './event-envelope.ts';
import type { EventTables } from './event-tables.ts';
import type { StreamCursor } from './event-transport.ts';

/**
 * Stores delivered events in a module's inbox, in one transaction per batch. The event
 * id is the key: a redelivered event is ignored here, so it can't take effect twice.
 */
export async function acceptIntoInbox(db: Kysely<EventTables>, events: readonly EventEnvelope[], cursor?: StreamCursor): Promise<void> {
  if (events.length === 0 && cursor === undefined) return;
  if (cursor === undefined) return insertEvents(db, events);
  // The rows and the stream position commit together: after a crash the consumer resumes
  // right after the last batch stored, in stream order, and loses or reorders nothing.
  await db.transaction().execute(async (trx) => {
    await insertEvents(trx, events);
    await trx
      .insertInto('inbox_cursors')
      .values({ source: cursor.source, position: cursor.position })
      .onConflict((oc) => oc.column('source').doUpdateSet({ position: cursor.position }))
      .execute();
  });
}

export async function storedPosition(db: Kysely<EventTables>, source: string): Promise<string | undefined> {
  const row = await db.selectFrom('inbox_cursors').select('position').where('source', '=', source).executeTakeFirst();
  return row === undefined ? undefined : String(row.position);
}

async function insertEvents(db: Kysely<EventTables>, events: readonly EventEnvelope[]): Promise<void> {
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
