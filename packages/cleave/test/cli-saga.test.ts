import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOrderSaga } from '../../../examples/saas/modules/orders/lib/create-order-saga.ts';
import { migrateModule } from '../src/data/migrations.ts';
import { openModuleDatabase } from '../src/data/module-database.ts';
import { SAGA_MIGRATION_TABLE, sagaTableMigrations } from '../src/saga/saga-tables.ts';
import type { SagaTables } from '../src/saga/saga-tables.ts';
import { insertSaga } from '../src/saga/start-saga.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
let dataDir: string;
let sagaId: string;

async function cleave(...args: string[]): Promise<string> {
  const env = { ...process.env, CLEAVE_DATA_DIR: dataDir, DATABASE_URL: '' };
  const { stdout } = await run(process.execPath, [join(root, 'packages/cleave/bin/cleave.mjs'), '--config', join(root, 'cleave.config.ts'), ...args], { cwd: root, env });
  return stdout;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cleave-cli-saga-'));
  // A stopped service's orders database with one saga stuck in compensation.
  const database = await openModuleDatabase<SagaTables>('orders', { kind: 'embedded', dataDir });
  try {
    await migrateModule(database.db as Kysely<unknown>, 'orders', sagaTableMigrations, SAGA_MIGRATION_TABLE);
    const trx = database.db as unknown as Kysely<unknown>;
    sagaId = await insertSaga(trx, createOrderSaga, { orderId: 'o1', userId: 'u1', lines: [{ productId: 'prod_mouse', quantity: 1 }], paymentToken: 'tok_visa' });
    await database.db.updateTable('sagas').set({ status: 'stuck', error: 'compensating chargePayment: boom' }).where('id', '=', sagaId).execute();
    await database.db.updateTable('saga_steps').set({ status: 'compensation_failed', attempts: 10, error: 'boom' }).where('saga_id', '=', sagaId).where('position', '=', 1).execute();
  } finally {
    await database.close();
  }
}, 60_000);

afterAll(() => rm(dataDir, { recursive: true, force: true }));

it('lists sagas by status and shows one with its steps', async () => {
  const stuck = JSON.parse(await cleave('saga', 'list', '--status', 'stuck', '--json')) as { id: string; module: string; name: string; error: string }[];
  expect(stuck).toEqual([expect.objectContaining({ id: sagaId, module: 'orders', name: 'createOrder', error: 'compensating chargePayment: boom' })]);
  expect(JSON.parse(await cleave('saga', 'list', '--status', 'completed', '--json'))).toEqual([]);

  const detail = JSON.parse(await cleave('saga', 'show', sagaId, '--json')) as { status: string; steps: { name: string; status: string; attempts: number }[] };
  expect(detail.status).toBe('stuck');
  expect(detail.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
    ['reserveInventory', 'pending', 0],
    ['chargePayment', 'compensation_failed', 10],
    ['confirmOrder', 'pending', 0],
  ]);
  expect(await cleave('saga', 'show', sagaId)).toContain('chargePayment        compensation_failed');
}, 60_000);

it('refuses an unknown status and an unknown id', async () => {
  await expect(cleave('saga', 'list', '--status', 'weird')).rejects.toMatchObject({ stderr: expect.stringContaining('--status must be one of') });
  await expect(cleave('saga', 'show', 'no-such-saga')).rejects.toMatchObject({ stderr: expect.stringContaining('no saga no-such-saga') });
}, 60_000);
