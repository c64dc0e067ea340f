import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import type { Generated, Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrateModule } from '../data/migrations.ts';
import type { Migrations } from '../data/migrations.ts';
import { openModuleDatabase } from '../data/module-database.ts';
import type { ModuleDatabase } from '../data/module-database.ts';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { defineContract, operation } from '../module/contract.ts';
import { defineModule } from '../module/define-module.ts';
import type { ModuleContext } from '../module/module-context.ts';
import type { RequestContext } from '../module/request-context.ts';
import { CallRouter } from '../runtime/call-router.ts';
import { ModuleRuntime } from '../runtime/module-runtime.ts';
import { createLogger } from '../telemetry/logger.ts';
import { newTraceContext } from '../telemetry/trace-context.ts';
import { disabledTracer } from '../telemetry/tracer.ts';
import { InProcessTransport } from '../transport/in-process.ts';
import { SAGA_MIGRATION_TABLE, sagaTableMigrations } from './saga-tables.ts';
import type { SagaTables } from './saga-tables.ts';

// A callee module `ledger` whose operations are made idempotent with ctx.idempotent:
// each run of the body is counted and writes one row, and behaves as the test's script says.

const Charge = z.object({ amount: z.number().int() });
const Entry = z.object({ entryId: z.number(), amount: z.number(), run: z.number() });

const ledger = defineContract('ledger', {
  operations: {
    charge: operation({ input: Charge, output: Entry }),
    refund: operation({ input: Charge, output: Entry }),
    plain: operation({ input: Charge, output: Entry }),
  },
  errors: { DECLINED: { status: 402, title: 'Card declined' } },
});

interface LedgerDb extends SagaTables {
  entries: { id: Generated<number>; op: string; amount: number };
}

const ledgerMigrations: Migrations = {
  '0001_entries': {
    async up(db) {
      await db.schema
        .createTable('entries')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('op', 'text', (c) => c.notNull())
        .addColumn('amount', 'integer', (c) => c.notNull())
        .execute();
    },
  },
};

type Behavior = 'ok' | 'slow' | 'decline' | 'slowDecline' | 'unavailable' | 'bug';
let script: Behavior[];
let runs: { op: string; key: string | undefined; user: string | undefined }[];

function body(op: 'charge' | 'refund') {
  return (input: z.output<typeof Charge>, ctx: ModuleContext<unknown>) =>
    ctx.idempotent(async (tx) => {
      runs.push({ op, key: ctx.idempotencyKey, user: ctx.user?.id });
      const run = runs.length;
      const behavior = script.shift() ?? 'ok';
      // Written before any failure, so a test can see that the failure rolled it back.
      const { id } = await (tx.db as unknown as Kysely<LedgerDb>).insertInto('entries').values({ op, amount: input.amount }).returning('id').executeTakeFirstOrThrow();
      if (behavior === 'slow' || behavior === 'slowDecline') await sleep(30);
      if (behavior === 'decline' || behavior === 'slowDecline') throw ledger.$errors.DECLINED(`run ${run} declined`, { run });
      if (behavior === 'unavailable') throw errors.DEPENDENCY_UNAVAILABLE(`run ${run}: bank unreachable`);
      if (behavior === 'bug') throw new TypeError(`run ${run}: oops`);
      return { entryId: id, amount: input.amount, run };
    });
}

const ledgerModule = defineModule(ledger, {
  handlers: {
    charge: body('charge'),
    refund: body('refund'),
    // Not idempotent: a plain transaction, for contrast.
    plain: (input, ctx) =>
      ctx.transaction(async () => {
        runs.push({ op: 'plain', key: ctx.idempotencyKey, user: ctx.user?.id });
        return { entryId: 0, amount: input.amount, run: runs.length };
      }),
  },
});

const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
const logger = createLogger({ service: 'idempotency-test', destination: silent });

let database: ModuleDatabase<LedgerDb>;
let db: Kysely<LedgerDb>;
let router: CallRouter;

beforeAll(async () => {
  database = await openModuleDatabase<LedgerDb>('ledger', { kind: 'pglite', dataDir: undefined });
  db = database.db;
  await migrateModule(db as Kysely<unknown>, 'ledger', sagaTableMigrations, SAGA_MIGRATION_TABLE);
  await migrateModule(db as Kysely<unknown>, 'ledger', ledgerMigrations);
  router = new CallRouter();
  router.register('ledger', new InProcessTransport(new ModuleRuntime(ledgerModule, db as Kysely<unknown>, logger, disabledTracer, router)));
});

afterAll(async () => {
  await database.close();
});

beforeEach(async () => {
  script = [];
  runs = [];
  await db.deleteFrom('idempotency_keys').execute();
  await db.deleteFrom('entries').execute();
});

/** `user` null: a call without an end user (internal, or a public route reached anonymously). */
function context(idempotencyKey: string | undefined, user: string | null = 'u1'): RequestContext {
  return { trace: newTraceContext(), user: user === null ? undefined : { id: user }, caller: 'gateway', deadline: Date.now() + 10_000, idempotencyKey };
}

const charge = (key: string | undefined, user: string | null = 'u1', amount = 100) => router.dispatch(ledger.charge, { amount }, context(key, user)) as Promise<z.output<typeof Entry>>;

async function rejection(promise: Promise<unknown>): Promise<CleaveError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CleaveError);
  return err as CleaveError;
}

const entries = () => db.selectFrom('entries').selectAll().orderBy('id').execute();
const storedKeys = () => db.selectFrom('idempotency_keys').select(['operation', 'key', 'outcome', 'result']).orderBy('key').execute();

describe('ctx.idempotent', () => {
  it('runs the body once per key: a second call with the same key gets the stored result', async () => {
    const first = await charge('k1');
    const second = await charge('k1');
    expect(runs).toHaveLength(1);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ amount: 100, run: 1 });
    expect(await entries()).toHaveLength(1);
    expect(await storedKeys()).toEqual([{ operation: 'ledger.charge', key: 'u:u1:k1', outcome: 'ok', result: first }]);
  });

  it('replays the first result even when the repeated call sends other input', async () => {
    const first = await charge('k1', 'u1', 100);
    const second = await charge('k1', 'u1', 999);
    expect(runs).toHaveLength(1);
    expect(second).toEqual(first);
  });

  it('concurrent calls with the same key: the body runs once and both get the same result', async () => {
    script = ['slow', 'slow', 'slow'];
    const results = await Promise.all([charge('k1'), charge('k1'), charge('k1')]);
    expect(runs).toHaveLength(1);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(await entries()).toHaveLength(1);
  });

  it('stores a typed refusal (4xx) and replays it without running the body; the refused writes are rolled back', async () => {
    script = ['decline', 'ok'];
    const first = await rejection(charge('k1'));
    expect(first).toMatchObject({ code: 'ledger.DECLINED', status: 402, detail: 'run 1 declined', details: { run: 1 } });
    const second = await rejection(charge('k1'));
    expect(runs).toHaveLength(1);
    expect(second).toMatchObject({ code: 'ledger.DECLINED', status: 402, title: 'Card declined', detail: 'run 1 declined', details: { run: 1 } });
    expect(await entries()).toEqual([]);
    expect(await storedKeys()).toMatchObject([{ operation: 'ledger.charge', key: 'u:u1:k1', outcome: 'error' }]);
  });

  it('does not store a failure (5xx): the next call with the key runs again, and its success is then stored', async () => {
    script = ['unavailable', 'ok'];
    const failure = await rejection(charge('k1'));
    expect(failure.code).toBe('cleave.DEPENDENCY_UNAVAILABLE');
    expect(await storedKeys()).toEqual([]);
    expect(await entries()).toEqual([]); // rolled back with the failure

    const retried = await charge('k1');
    expect(retried.run).toBe(2);
    expect(await charge('k1')).toEqual(retried);
    expect(runs).toHaveLength(2);
    expect(await entries()).toHaveLength(1);
  });

  it('does not store a bug (a plain Error, answered as cleave.INTERNAL): the next call runs again', async () => {
    script = ['bug', 'ok'];
    await expect(charge('k1')).rejects.toThrow();
    expect(await storedKeys()).toEqual([]);
    expect((await charge('k1')).run).toBe(2);
    expect(runs).toHaveLength(2);
  });

  it('scopes keys by end user: the same key from two users runs twice, each replays their own', async () => {
    const ofU1 = await charge('k1', 'u1');
    const ofU2 = await charge('k1', 'u2');
    expect(runs.map((r) => r.user)).toEqual(['u1', 'u2']);
    expect(ofU2).not.toEqual(ofU1);
    expect(await charge('k1', 'u1')).toEqual(ofU1);
    expect(await charge('k1', 'u2')).toEqual(ofU2);
    expect(runs).toHaveLength(2);
  });

  it('scopes keys by operation: the same key on another operation runs', async () => {
    await charge('k1');
    await router.dispatch(ledger.refund, { amount: 100 }, context('k1'));
    expect(runs.map((r) => r.op)).toEqual(['charge', 'refund']);
  });

  it('without a key, runs every time (a plain transaction)', async () => {
    await charge(undefined);
    await charge(undefined);
    expect(runs).toHaveLength(2);
    expect(await storedKeys()).toEqual([]);
    expect(await entries()).toHaveLength(2);
  });

  it('internal calls without a user (a saga step) use the key as sent', async () => {
    await charge('saga-1:a', null);
    await charge('saga-1:a', null);
    expect(runs).toHaveLength(1);
    expect((await storedKeys()).map((k) => k.key)).toEqual(['-:saga-1:a']);
  });

  it('an operation that does not use ctx.idempotent runs again for a repeated key', async () => {
    await router.dispatch(ledger.plain, { amount: 1 }, context('k1'));
    await router.dispatch(ledger.plain, { amount: 1 }, context('k1'));
    expect(runs).toHaveLength(2);
  });

  // Regression: the refusal is written over the claim row in the same transaction (savepoint), so no concurrent call can run the body in between.
  it('concurrent calls with the same key that is refused: the body runs once, both get the refusal', async () => {
    script = ['slowDecline', 'ok', 'ok'];
    const outcomes = await Promise.allSettled([charge('k1'), charge('k1')]);
    expect(runs).toHaveLength(1);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as CleaveError).code : 'ok'))).toEqual(['ledger.DECLINED', 'ledger.DECLINED']);
  });

  // Regression: user and anonymous keys are stored as `u:<id>:<key>` and `-:<key>`, so they can't collide.
  it('a call without a user never replays the outcome a user stored', async () => {
    const ofU1 = await charge('k1', 'u1');
    const anonymous = await charge('u1:k1', null);
    expect(runs).toHaveLength(2);
    expect(anonymous).not.toEqual(ofU1);
  });
});
