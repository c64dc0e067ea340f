import type { Kysely } from 'kysely';
import { CleaveError } from '../errors/cleave-error.ts';
import type { ModuleTransaction } from '../events/subscription.ts';
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
  transaction: (fn: (tx: ModuleTransaction<unknown>) => Promise<T>) => Promise<T>,
  fn: (tx: ModuleTransaction<unknown>) => Promise<T>,
): Promise<T> {
  const keys = db as Kysely<SagaTables>;
  const stored = await keys.selectFrom('idempotency_keys').selectAll().where('operation', '=', operation).where('key', '=', key).executeTakeFirst();
  if (stored) return replay<T>(stored.outcome, stored.result);
  try {
    return await transaction(async (tx) => {
      // Taken first: a concurrent call with the same key waits on this row, then replays.
      const claimed = await (tx.db as unknown as Kysely<SagaTables>)
        .insertInto('idempotency_keys')
        .values({ key, operation, outcome: 'ok', result: 'null', created_at: new Date() })
        .onConflict((oc) => oc.doNothing())
        .returning('key')
        .executeTakeFirst();
      if (!claimed) throw new AlreadyDone();
      const result = await fn(tx);
      await (tx.db as unknown as Kysely<SagaTables>)
        .updateTable('idempotency_keys')
        .set({ result: JSON.stringify(result ?? null) })
        .where('operation', '=', operation)
        .where('key', '=', key)
        .execute();
      return result;
    });
  } catch (err) {
    if (err instanceof AlreadyDone) {
      const row = await keys.selectFrom('idempotency_keys').selectAll().where('operation', '=', operation).where('key', '=', key).executeTakeFirstOrThrow();
      return replay<T>(row.outcome, row.result);
    }
    if (err instanceof CleaveError && err.status < 500) {
      const refusal: StoredError = { code: err.code, status: err.status, title: err.title, detail: err.detail, details: err.details as Record<string, unknown> | undefined };
      await keys
        .insertInto('idempotency_keys')
        .values({ key, operation, outcome: 'error', result: JSON.stringify(refusal), created_at: new Date() })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    throw err;
  }
}

function replay<T>(outcome: 'ok' | 'error', result: unknown): T {
  if (outcome === 'error') throw new CleaveError(result as StoredError);
  return result as T;
}

class AlreadyDone extends Error {}
