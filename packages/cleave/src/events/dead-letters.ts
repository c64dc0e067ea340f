import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { EventTables } from './event-tables.ts';

export interface DeadLetter {
  readonly eventId: string;
  readonly module: string;
  readonly publisher: string;
  readonly name: string;
  readonly aggregateKey: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly receivedAt: string;
}

/** Dead-lettered events of a module's inbox, oldest first. */
export async function listDeadLetters(module: string, db: Kysely<EventTables>): Promise<DeadLetter[]> {
  const rows = await db.selectFrom('inbox').selectAll().where('status', '=', 'dead').orderBy('seq').execute();
  return rows.map((r) => ({
    eventId: r.event_id,
    module,
    publisher: r.publisher,
    name: r.name,
    aggregateKey: r.aggregate_key,
    attempts: r.attempts,
    lastError: r.last_error,
    receivedAt: new Date(r.received_at).toISOString(),
  }));
}

/**
 * Sends dead letters through the handler again: back to `pending` with a fresh attempt
 * budget. The inbox worker picks them up on its next pass. Returns how many were replayed.
 */
export async function replayDeadLetters(db: Kysely<EventTables>, which: 'all' | readonly string[]): Promise<number> {
  let query = db.updateTable('inbox').set({ status: 'pending', attempts: 0, next_attempt_at: new Date(), last_error: null }).where('status', '=', 'dead');
  if (which !== 'all') {
    if (which.length === 0) return 0;
    query = query.where('event_id', 'in', which);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export type InboxState = 'pending' | 'retrying' | 'done' | 'dead';

/** Inbox rows per subscribed event and state; `retrying` = pending after a failed attempt. */
export async function inboxCounts(db: Kysely<EventTables>): Promise<{ name: string; state: InboxState; count: number }[]> {
  const rows = await sql<{ name: string; status: 'pending' | 'done' | 'dead'; retrying: boolean; count: string }>`
    select name, status, (attempts > 0 and status = 'pending') as retrying, count(*) as count from inbox group by 1, 2, 3 order by 1`.execute(db);
  return rows.rows.map((r) => ({ name: r.name, state: r.retrying ? 'retrying' : r.status, count: Number(r.count) }));
}

export interface EventStats {
  readonly module: string;
  /** Events committed to the outbox and not yet accepted by the transport. */
  readonly outboxLag: number;
  readonly oldestUnpublishedSeconds: number | null;
  /** Per subscribed event name: inbox rows by status. */
  readonly subscriptions: Record<string, { pending: number; done: number; dead: number }>;
}

/** Events committed to the outbox and not yet accepted by the transport, and the age of the oldest. */
export async function outboxLag(db: Kysely<EventTables>): Promise<Pick<EventStats, 'outboxLag' | 'oldestUnpublishedSeconds'>> {
  const lag = await db
    .selectFrom('outbox')
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.min('created_at').as('oldest')])
    .where('published_at', 'is', null)
    .executeTakeFirstOrThrow();
  const oldest = lag.oldest ? new Date(lag.oldest as unknown as string).getTime() : undefined;
  return { outboxLag: Number(lag.count), oldestUnpublishedSeconds: oldest === undefined ? null : Math.round((Date.now() - oldest) / 1000) };
}

export async function eventStats(module: string, db: Kysely<EventTables>): Promise<EventStats> {
  const lag = await outboxLag(db);
  const counts = await sql<{ name: string; status: 'pending' | 'done' | 'dead'; count: string }>`
    select name, status, count(*) as count from inbox group by name, status order by name`.execute(db);
  const subscriptions: EventStats['subscriptions'] = {};
  for (const row of counts.rows) {
    const entry = (subscriptions[row.name] ??= { pending: 0, done: 0, dead: 0 });
    entry[row.status] = Number(row.count);
  }
  return { module, ...lag, subscriptions };
}
