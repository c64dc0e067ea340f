import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { CleaveError } from '../errors/cleave-error.ts';
import type { ModuleTransaction } from '../module/module-transaction.ts';
import type { SagaTables } from './saga-tables.ts';

interface StoredError {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail?: string | undefined;
  readonly details?: Record<string, unknown> | undefined;
}

/**
 * Runs an operation once per idempotency key: the first outcome is stored with the
 * operation's own writes (same transaction) and returned again for the same key. A
 * typed refusal (status < 500, e.g. a declined card) is stored too, so a retried call
 * gets the same answer; a failure (≥ 500) is not stored, so a retry runs again.
 */
export async function runOnce<T>(
  db: Kysely<unknown>,
  operation: string,
  key: string,
  transaction: <R>(fn: (tx: ModuleTransaction<unknown>) => Promise<R>) => Promise<R>,
  fn: (tx: ModuleTransaction<unknown>) => Promise<T>,
): Promise<T> {
  const keys = db as Kysely<SagaTables>;
  const stored = await keys.selectFrom('idempotency_keys').selectAll().where('operation', '=', operation).where('key', '=', key).executeTakeFirst();
  if (stored) return replay<T>(stored.outcome, stored.result);
  const outcome = await transaction(async (tx) => {
    const db = tx.db as unknown as Kysely<SagaTables>;
    // Taken first: a concurrent call with the same key waits on this row, then replays.
    const claimed = await db
      .insertInto('idempotency_keys')
      .values({ key, operation, outcome: 'ok', result: 'null', created_at: new Date() })
      .onConflict((oc) => oc.doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) return { replay: true as const };
    // A refusal must undo the body's writes but keep the claim, in this same transaction:
    // stored after a rollback, a concurrent call could slip in and run the body again.
    await sql`savepoint cleave_once`.execute(db);
    try {
      const result = await fn(tx);
      await db.updateTable('idempotency_keys').set({ result: JSON.stringify(result ?? null) }).where('operation', '=', operation).where('key', '=', key).execute();
      return { result: result as unknown };
    } catch (err) {
      if (!(err instanceof CleaveError) || err.status >= 500) throw err; // not stored: a retry runs again
      await sql`rollback to savepoint cleave_once`.execute(db);
      const refusal: StoredError = { code: err.code, status: err.status, title: err.title, detail: err.detail, details: err.details as Record<string, unknown> | undefined };
      await db.updateTable('idempotency_keys').set({ outcome: 'error', result: JSON.stringify(refusal) }).where('operation', '=', operation).where('key', '=', key).execute();
      return { refused: err };
    }
  });
  if ('refused' in outcome) throw outcome.refused;
  if ('result' in outcome) return outcome.result as T;
  const row = await keys.selectFrom('idempotency_keys').selectAll().where('operation', '=', operation).where('key', '=', key).executeTakeFirstOrThrow();
  return replay<T>(row.outcome, row.result);
}

function replay<T>(outcome: 'ok' | 'error', result: unknown): T {
  if (outcome === 'error') throw new CleaveError(result as StoredError);
  return result as T;
}

