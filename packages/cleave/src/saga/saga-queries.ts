import type { Kysely } from 'kysely';
import type { SagaStatus, SagaTables } from './saga-tables.ts';

export interface SagaSummary {
  readonly id: string;
  readonly module: string;
  readonly name: string;
  readonly status: SagaStatus;
  readonly attempts: number;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SagaDetail extends SagaSummary {
  readonly input: unknown;
  readonly steps: { name: string; status: string; attempts: number; error: string | null; result: unknown; updatedAt: string }[];
}

const summary = (module: string, r: { id: string; name: string; status: SagaStatus; attempts: number; error: string | null; created_at: Date; updated_at: Date }): SagaSummary => ({
  id: r.id,
  module,
  name: r.name,
  status: r.status,
  attempts: r.attempts,
  error: r.error,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export async function listSagas(module: string, db: Kysely<SagaTables>, status?: SagaStatus, limit = 100): Promise<SagaSummary[]> {
  let query = db.selectFrom('sagas').select(['id', 'name', 'status', 'attempts', 'error', 'created_at', 'updated_at']).orderBy('created_at', 'desc').limit(limit);
  if (status) query = query.where('status', '=', status);
  return (await query.execute()).map((r) => summary(module, r));
}

export async function showSaga(module: string, db: Kysely<SagaTables>, id: string): Promise<SagaDetail | undefined> {
  const row = await db.selectFrom('sagas').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const steps = await db.selectFrom('saga_steps').selectAll().where('saga_id', '=', id).orderBy('position').execute();
  return {
    ...summary(module, row),
    input: row.input,
    steps: steps.map((s) => ({ name: s.step, status: s.status, attempts: s.attempts, error: s.error, result: s.result, updatedAt: new Date(s.updated_at).toISOString() })),
  };
}
