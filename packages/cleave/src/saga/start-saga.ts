import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { validationFailed } from '../errors/validation.ts';
import type { AnySaga } from './define-saga.ts';
import type { SagaTables } from './saga-tables.ts';

/**
 * Records a new saga (and one row per step) in the owner's schema, inside the caller's
 * transaction: the saga exists if and only if the owner's own writes commit. The runner
 * picks it up after the commit.
 */
export async function insertSaga(db: Kysely<unknown>, saga: AnySaga, input: unknown, id: string = randomUUID()): Promise<string> {
  const parsed = saga.input.safeParse(input);
  if (!parsed.success) throw validationFailed(parsed.error, `invalid input for saga ${saga.name}`);
  const tables = db as Kysely<SagaTables>;
  const now = new Date();
  // One statement (the saga row in a data-modifying CTE): one round trip fewer per saga.
  await tables
    .with('saga', (db) =>
      db
        .insertInto('sagas')
        .values({ id, name: saga.name, status: 'running', input: JSON.stringify(parsed.data), cursor: 0, attempts: 0, next_attempt_at: now, locked_until: null, lease: null, error: null, created_at: now, updated_at: now })
        .returning('id'),
    )
    .insertInto('saga_steps')
    .values(saga.steps.map((step, position) => ({ saga_id: id, step: step.name, position, status: 'pending' as const, attempts: 0, result: null, error: null, updated_at: now })))
    .execute();
  return id;
}
