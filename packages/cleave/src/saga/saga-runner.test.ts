import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
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
import { CallRouter } from '../runtime/call-router.ts';
import { ModuleRuntime } from '../runtime/module-runtime.ts';
import { createLogger } from '../telemetry/logger.ts';
import { newTraceContext } from '../telemetry/trace-context.ts';
import { disabledTracer } from '../telemetry/tracer.ts';
import { InProcessTransport } from '../transport/in-process.ts';
import { defineSaga } from './define-saga.ts';
import type { AnySaga, SagaSpec } from './define-saga.ts';
import { listSagas, showSaga } from './saga-queries.ts';
import type { SagaDetail } from './saga-queries.ts';
import { SagaRunner } from './saga-runner.ts';
import type { SagaRunnerOptions } from './saga-runner.ts';
import { SAGA_MIGRATION_TABLE, sagaTableMigrations } from './saga-tables.ts';
import type { SagaTables } from './saga-tables.ts';

// ---------------------------------------------------------------------------------------
// The callee: module `svc`, whose handlers record every call in a journal and behave as
// the test's script says (one behaviour per call, in order; `ok` once the script runs out).
// ---------------------------------------------------------------------------------------

const Ref = z.object({ orderId: z.string(), fromA: z.number().optional() });
const Done = z.object({ op: z.string(), n: z.number() });
type DoneOutput = z.output<typeof Done>;

const svc = defineContract('svc', {
  operations: {
    doA: operation({ input: Ref, output: Done }),
    undoA: operation({ input: Ref, output: Done }),
    doB: operation({ input: Ref, output: Done }),
    undoB: operation({ input: Ref, output: Done }),
    doC: operation({ input: Ref, output: Done }),
  },
  errors: { REFUSED: { status: 409, title: 'Refused' } },
});
type SvcOp = keyof (typeof svc)['$operations'];

/** What one call does: answer, refuse (4xx), fail (5xx), hang until its deadline, or block until released. */
type Behavior = 'ok' | 'refuse' | 'unavailable' | 'hang' | 'forever' | { readonly until: Promise<void> };

interface Call {
  readonly op: SvcOp;
  readonly key: string | undefined;
  readonly input: z.output<typeof Ref>;
  readonly caller: string;
  readonly user: string | undefined;
  readonly startedAt: number;
  readonly deadline: number;
  endedAt: number | undefined;
  outcome: string | undefined;
}

let journal: Call[];
let script: Partial<Record<SvcOp, Behavior[]>>;
const callsOf = (op: SvcOp) => journal.filter((c) => c.op === op);
/** The sequence of operations called, with their idempotency keys. */
const trail = () => journal.map((c) => `${c.op} ${c.key}`);

function handler(op: SvcOp) {
  return async (input: z.output<typeof Ref>, ctx: ModuleContext<unknown>): Promise<DoneOutput> => {
    const call: Call = { op, key: ctx.idempotencyKey, input, caller: ctx.caller, user: ctx.user?.id, startedAt: Date.now(), deadline: ctx.deadline, endedAt: undefined, outcome: undefined };
    journal.push(call);
    const behavior = script[op]?.shift() ?? 'ok';
    try {
      if (behavior === 'refuse') throw svc.$errors.REFUSED(`${op} refused`, { op });
      if (behavior === 'unavailable') throw errors.DEPENDENCY_UNAVAILABLE(`${op}: downstream is down`);
      if (behavior === 'hang') {
        // A callee that honours its deadline (as the HTTP transport does): nothing until then.
        await sleep(Math.max(0, ctx.deadline - Date.now()));
        throw errors.DEADLINE_EXCEEDED(`${op} did not answer in time`);
      }
      if (behavior === 'forever') await new Promise<never>(() => {});
      if (typeof behavior === 'object') await behavior.until;
      const output = { op, n: callsOf(op).length };
      call.outcome = 'ok';
      return output;
    } catch (err) {
      call.outcome = err instanceof CleaveError ? err.code : String(err);
      throw err;
    } finally {
      call.endedAt = Date.now();
    }
  };
}

const svcModule = defineModule(svc, {
  handlers: { doA: handler('doA'), undoA: handler('undoA'), doB: handler('doB'), undoB: handler('undoB'), doC: handler('doC') },
});

// ---------------------------------------------------------------------------------------
// The owner: module `flow`, with a 3-step saga a → b → c and a table its hooks write to.
// ---------------------------------------------------------------------------------------

const flow = defineContract('flow', { operations: {} });

interface FlowDb extends SagaTables {
  outcomes: { order_id: string; kind: string; detail: string };
}

const flowMigrations: Migrations = {
  '0001_outcomes': {
    async up(db) {
      await db.schema
        .createTable('outcomes')
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

const FlowInput = z.object({ orderId: z.string().min(1) });

interface SagaOptions {
  readonly maxStepAttempts?: number;
  readonly maxCompensationAttempts?: number;
  /** timeoutMs of step b. */
  readonly timeoutB?: number;
  /** maxAttempts of step b (answered failures). */
  readonly maxAttemptsB?: number;
  /** Called at the start of onCompleted, inside its transaction (throw to make it fail). */
  readonly beforeCompleted?: () => void;
}

function makeSaga(options: SagaOptions = {}) {
  const spec: SagaSpec<typeof FlowInput> = {
    input: FlowInput,
    steps: [
      {
        name: 'a',
        action: (s) => s.call(svc.doA, { orderId: s.input.orderId }),
        compensate: (s) => s.call(svc.undoA, { orderId: s.input.orderId }),
      },
      {
        name: 'b',
        // Uses the result of a: results must survive between steps (and across a restart).
        action: (s) => s.call(svc.doB, { orderId: s.input.orderId, fromA: (s.results.a as DoneOutput).n }),
        compensate: (s) => s.call(svc.undoB, { orderId: s.input.orderId }),
        ...(options.timeoutB === undefined ? {} : { timeoutMs: options.timeoutB }),
        ...(options.maxAttemptsB === undefined ? {} : { maxAttempts: options.maxAttemptsB }),
      },
      { name: 'c', action: (s) => s.call(svc.doC, { orderId: s.input.orderId }) },
    ],
    ...(options.maxStepAttempts === undefined ? {} : { maxStepAttempts: options.maxStepAttempts }),
    ...(options.maxCompensationAttempts === undefined ? {} : { maxCompensationAttempts: options.maxCompensationAttempts }),
    async onCompleted(input, results, tx) {
      // Written first, so a failure below shows whether this write was rolled back with it.
      await (tx.db as unknown as Kysely<FlowDb>).insertInto('outcomes').values({ order_id: input.orderId, kind: 'completed', detail: JSON.stringify(results) }).execute();
      options.beforeCompleted?.();
    },
    async onFailed(input, error, tx) {
      await (tx.db as unknown as Kysely<FlowDb>).insertInto('outcomes').values({ order_id: input.orderId, kind: 'failed', detail: error }).execute();
    },
  };
  return defineSaga('threeSteps', spec);
}

// ---------------------------------------------------------------------------------------
// Wiring: one PGlite for the owner (shared by the file, emptied before each test); the
// callee needs no database. Logs are kept so a test can check what was reported.
// ---------------------------------------------------------------------------------------

let logLines: { level: number; msg: string; sagaId?: string }[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as (typeof logLines)[number]);
    done();
  },
});
const logger = createLogger({ service: 'saga-test', destination: logSink, level: 'info' });

let database: ModuleDatabase<FlowDb>;
let db: Kysely<FlowDb>;
let orderSeq = 0;

beforeAll(async () => {
  database = await openModuleDatabase<FlowDb>('flow', { kind: 'pglite', dataDir: undefined });
  db = database.db;
  await migrateModule(db as Kysely<unknown>, 'flow', sagaTableMigrations, SAGA_MIGRATION_TABLE);
  await migrateModule(db as Kysely<unknown>, 'flow', flowMigrations);
});

afterAll(async () => {
  await database.close();
});

beforeEach(async () => {
  journal = [];
  script = {};
  logLines = [];
  await db.deleteFrom('sagas').execute();
  await db.deleteFrom('saga_steps').execute();
  await db.deleteFrom('outcomes').execute();
});

interface App {
  readonly saga: AnySaga;
  readonly runtime: ModuleRuntime;
  runner(options?: SagaRunnerOptions): SagaRunner;
  /** Starts the saga in a transaction of the owner; returns its id and order id. */
  start(orderId?: string): Promise<{ id: string; orderId: string }>;
}

function build(options: SagaOptions = {}): App {
  const saga = makeSaga(options);
  const flowModule = defineModule(flow, { dependsOn: [svc], handlers: {}, sagas: [saga] });
  const router = new CallRouter();
  const runtime = new ModuleRuntime(flowModule, db as Kysely<unknown>, logger, disabledTracer, router);
  const svcRuntime = new ModuleRuntime(svcModule, {} as Kysely<unknown>, logger, disabledTracer, router);
  router.register('flow', new InProcessTransport(runtime));
  router.register('svc', new InProcessTransport(svcRuntime));
  return {
    saga,
    runtime,
    runner: (runnerOptions = {}) => new SagaRunner(runtime, [saga], { backoffMs: 5, idleMs: 20, ...runnerOptions }),
    async start(orderId = `order-${++orderSeq}`) {
      const id = await runtime.transaction(newTraceContext(), (tx) => tx.startSaga(saga, { orderId }));
      return { id, orderId };
    },
  };
}

const ACTIVE = new Set(['running', 'compensating']);

async function detail(id: string): Promise<SagaDetail> {
  const found = await showSaga('flow', db as Kysely<SagaTables>, id);
  if (found === undefined) throw new Error(`no saga ${id}`);
  return found;
}

async function stepsOf(id: string): Promise<Record<string, { status: string; attempts: number; error: string | null }>> {
  const { steps } = await detail(id);
  return Object.fromEntries(steps.map((s) => [s.name, { status: s.status, attempts: s.attempts, error: s.error }]));
}

const outcomes = (orderId: string) => db.selectFrom('outcomes').selectAll().where('order_id', '=', orderId).execute();

/**
 * Drives the runner deterministically: one pass at a time until the saga ends, waiting
 * between passes only for the next retry to fall due (the backoff, a few ms here).
 */
async function drive(runner: SagaRunner, id: string, maxPasses = 500): Promise<SagaDetail> {
  for (let pass = 0; pass < maxPasses; pass++) {
    const current = await detail(id);
    if (!ACTIVE.has(current.status)) return current;
    const { worked, nextInMs } = await runner.runOnce();
    if (!worked) await sleep(Math.min(Math.max(nextInMs ?? 5, 1), 50));
  }
  throw new Error(`saga ${id} still ${(await detail(id)).status} after ${maxPasses} passes`);
}

// ---------------------------------------------------------------------------------------

describe('SagaRunner: the happy path', () => {
  it('runs a, b and c in order with keys <sagaId>:<step>, marks every step done and completes', async () => {
    const app = build();
    const { id, orderId } = await app.start();
    const ended = await drive(app.runner(), id);

    expect(ended.status).toBe('completed');
    expect(ended.error).toBeNull();
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doC ${id}:c`]);
    expect(journal.every((c) => c.caller === 'flow' && c.user === undefined)).toBe(true);
    expect(await stepsOf(id)).toEqual({
      a: { status: 'done', attempts: 1, error: null },
      b: { status: 'done', attempts: 1, error: null },
      c: { status: 'done', attempts: 1, error: null },
    });
    // The result of a reached b, and every result reached onCompleted.
    expect(callsOf('doB')[0]?.input.fromA).toBe(1);
    const rows = await outcomes(orderId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.kind).toBe('completed');
    expect(JSON.parse(rows[0]?.detail ?? '{}')).toEqual({ a: { op: 'doA', n: 1 }, b: { op: 'doB', n: 1 }, c: { op: 'doC', n: 1 } });
    expect(ended.steps.map((s) => s.result)).toEqual([{ op: 'doA', n: 1 }, { op: 'doB', n: 1 }, { op: 'doC', n: 1 }]);
  });

  it('gives each step its time budget as the callee deadline (default 10 s, or the step timeoutMs)', async () => {
    const app = build({ timeoutB: 1_234 });
    const { id } = await app.start();
    await drive(app.runner(), id);
    const [a, b] = [callsOf('doA')[0]!, callsOf('doB')[0]!];
    expect(a.deadline - a.startedAt).toBeGreaterThan(9_900);
    expect(a.deadline - a.startedAt).toBeLessThanOrEqual(10_000);
    expect(b.deadline - b.startedAt).toBeGreaterThan(1_134);
    expect(b.deadline - b.startedAt).toBeLessThanOrEqual(1_234);
  });

  it('runs onCompleted in the transaction that completes the saga: if it fails, its writes roll back, the saga stays running and is retried', async () => {
    let failures = 1;
    const app = build({
      beforeCompleted: () => {
        if (failures-- > 0) throw new Error('onCompleted failed');
      },
    });
    const { id, orderId } = await app.start();
    const runner = app.runner();

    // The pass that reaches the end of the steps fails in onCompleted.
    let failedPasses = 0;
    for (let pass = 0; pass < 20 && failedPasses === 0; pass++) {
      await runner.runOnce().catch((err: unknown) => {
        expect(String(err)).toContain('onCompleted failed');
        failedPasses++;
      });
    }
    expect(failedPasses).toBe(1);
    const between = await detail(id);
    expect(between.status).toBe('running');
    expect(between.steps.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    expect(await outcomes(orderId)).toEqual([]); // the hook's own write was rolled back with it
    expect(await (db as Kysely<SagaTables>).selectFrom('sagas').select('locked_until').where('id', '=', id).executeTakeFirst()).toEqual({ locked_until: null });

    // Retried: completes, the hook's write is there once, and no step ran again.
    const ended = await drive(runner, id);
    expect(ended.status).toBe('completed');
    expect((await outcomes(orderId)).map((r) => r.kind)).toEqual(['completed']);
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doC ${id}:c`]);
  });

  it('runs in the background with start()/stop(), nudged by onCommitted after the commit', async () => {
    const app = build();
    const runner = app.runner({ idleMs: 60_000 }); // only the nudge can wake it quickly
    app.runtime.onCommitted(() => runner.wake());
    runner.start();
    try {
      await sleep(20); // let the first (empty) pass go to sleep
      const { id } = await app.start();
      await vi.waitFor(async () => expect((await detail(id)).status).toBe('completed'), { timeout: 5_000, interval: 10 });
      expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doC ${id}:c`]);
    } finally {
      await runner.stop();
    }
  });

  it('advances several sagas in one pass, each with its own keys', async () => {
    const app = build();
    const first = await app.start();
    const second = await app.start();
    const runner = app.runner();
    await drive(runner, first.id);
    await drive(runner, second.id);
    expect((await detail(first.id)).status).toBe('completed');
    expect((await detail(second.id)).status).toBe('completed');
    expect(journal.filter((c) => c.key?.startsWith(first.id)).map((c) => c.key)).toEqual([`${first.id}:a`, `${first.id}:b`, `${first.id}:c`]);
    expect(journal.filter((c) => c.key?.startsWith(second.id)).map((c) => c.key)).toEqual([`${second.id}:a`, `${second.id}:b`, `${second.id}:c`]);
  });
});

describe('SagaRunner: a step refused (4xx) — it did not happen; undo the steps before it', () => {
  it('a refused: failed at once, nothing to compensate, onFailed ran', async () => {
    script.doA = ['refuse'];
    const app = build();
    const { id, orderId } = await app.start();
    const ended = await drive(app.runner(), id);

    expect(ended.status).toBe('failed');
    expect(ended.error).toBe('a: svc.REFUSED: doA refused');
    expect(trail()).toEqual([`doA ${id}:a`]); // no retry of a refusal, no compensation
    expect(await stepsOf(id)).toEqual({
      a: { status: 'failed', attempts: 1, error: 'svc.REFUSED: doA refused' },
      b: { status: 'pending', attempts: 0, error: null },
      c: { status: 'pending', attempts: 0, error: null },
    });
    expect(await outcomes(orderId)).toEqual([{ order_id: orderId, kind: 'failed', detail: 'a: svc.REFUSED: doA refused' }]);
  });

  it('b refused: undoA once with key <sagaId>:a:compensate; a compensated, b failed, c pending', async () => {
    script.doB = ['refuse'];
    const app = build();
    const { id, orderId } = await app.start();
    const ended = await drive(app.runner(), id);

    expect(ended.status).toBe('failed');
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `undoA ${id}:a:compensate`]);
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'compensated' }, b: { status: 'failed', attempts: 1 }, c: { status: 'pending', attempts: 0 } });
    expect(callsOf('doC')).toHaveLength(0);
    expect(callsOf('undoB')).toHaveLength(0);
    expect((await outcomes(orderId)).map((r) => [r.kind, r.detail])).toEqual([['failed', 'b: svc.REFUSED: doB refused']]);
  });

  it('c refused: undoB then undoA, in reverse order, each with its compensate key', async () => {
    script.doC = ['refuse'];
    const app = build();
    const { id } = await app.start();
    const ended = await drive(app.runner(), id);

    expect(ended.status).toBe('failed');
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doC ${id}:c`, `undoB ${id}:b:compensate`, `undoA ${id}:a:compensate`]);
    expect((await stepsOf(id))).toMatchObject({ a: { status: 'compensated' }, b: { status: 'compensated' }, c: { status: 'failed' } });
    expect(ended.error).toBe('c: svc.REFUSED: doC refused');
  });

  it('a step that is refused by the framework (input invalid, 400) is a refusal too', async () => {
    // b sends fromA from a's result; make a's result unusable for b's input schema.
    const app = build();
    const saga = defineSaga('badInput', {
      input: FlowInput,
      steps: [
        { name: 'a', action: (s) => s.call(svc.doA, { orderId: s.input.orderId }), compensate: (s) => s.call(svc.undoA, { orderId: s.input.orderId }) },
        { name: 'b', action: (s) => s.call(svc.doB, { orderId: 42 } as unknown as { orderId: string }) },
      ],
    });
    const flowModule = defineModule(flow, { dependsOn: [svc], handlers: {}, sagas: [saga] });
    const runtime = new ModuleRuntime(flowModule, db as Kysely<unknown>, logger, disabledTracer, app.runtime.router);
    const id = await runtime.transaction(newTraceContext(), (tx) => tx.startSaga(saga, { orderId: 'o-bad' }));
    const ended = await drive(new SagaRunner(runtime, [saga], { backoffMs: 5 }), id);
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/^b: cleave\.VALIDATION_FAILED/);
    expect(trail()).toEqual([`doA ${id}:a`, `undoA ${id}:a:compensate`]);
  });
});

describe('SagaRunner: a step failing transiently (5xx, timeout) — it may have happened', () => {
  it('b unavailable twice then ok: retried with backoff and the same key, completes', async () => {
    script.doB = ['unavailable', 'unavailable', 'ok'];
    const app = build();
    const { id } = await app.start();
    const runner = app.runner();

    // First pass: a done, b failed once and waits for its backoff.
    const first = await runner.runOnce();
    expect(first.worked).toBe(true);
    const waiting = await detail(id);
    expect(waiting.status).toBe('running');
    expect(waiting.error).toBe('b: cleave.DEPENDENCY_UNAVAILABLE: doB: downstream is down');
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'done' }, b: { status: 'pending', attempts: 1, error: 'cleave.DEPENDENCY_UNAVAILABLE: doB: downstream is down' } });

    const ended = await drive(runner, id);
    expect(ended.status).toBe('completed');
    expect(ended.error).toBeNull();
    expect(callsOf('doB').map((c) => c.key)).toEqual([`${id}:b`, `${id}:b`, `${id}:b`]);
    expect(callsOf('doA')).toHaveLength(1);
    expect(await stepsOf(id)).toMatchObject({ b: { status: 'done', attempts: 3, error: null } });
    // Backoff: each retry waited for next_attempt_at (5 ms, then 10 ms).
    const [b1, b2, b3] = callsOf('doB');
    expect(b2!.startedAt - b1!.endedAt!).toBeGreaterThanOrEqual(4);
    expect(b3!.startedAt - b2!.endedAt!).toBeGreaterThanOrEqual(9);
  });

  it('b unavailable, then refused on the retry: b may have happened the first time, so undoB runs too', async () => {
    script.doB = ['unavailable', 'refuse'];
    const app = build();
    const { id } = await app.start();
    const ended = await drive(app.runner(), id);

    expect(ended.status).toBe('failed');
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doB ${id}:b`, `undoB ${id}:b:compensate`, `undoA ${id}:a:compensate`]);
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'compensated' }, b: { status: 'compensated' }, c: { status: 'pending' } });
  });

  it('b unavailable beyond maxStepAttempts: compensation includes b (undoB, then undoA)', async () => {
    script.doB = ['unavailable', 'unavailable', 'unavailable', 'ok'];
    const app = build({ maxStepAttempts: 3 });
    const { id, orderId } = await app.start();
    const ended = await drive(app.runner(), id);

    expect(ended.status).toBe('failed');
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doB ${id}:b`, `doB ${id}:b`, `undoB ${id}:b:compensate`, `undoA ${id}:a:compensate`]);
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'compensated' }, b: { status: 'compensated' }, c: { status: 'pending' } });
    expect(ended.error).toBe('b: cleave.DEPENDENCY_UNAVAILABLE: doB: downstream is down');
    expect((await outcomes(orderId)).map((r) => [r.kind, r.detail])).toEqual([['failed', 'b: cleave.DEPENDENCY_UNAVAILABLE: doB: downstream is down']]);
  });

  it('a callee unreachable while it restarts does not use up the attempts its answered failures get (step maxAttempts)', async () => {
    // Three refused connections, then two answers that time out, then an answer: with the
    // step's 3 answered attempts and the saga's 8 for an unreachable callee, it completes.
    script.doB = ['unavailable', 'unavailable', 'unavailable', 'hang', 'hang', 'ok'];
    const app = build({ maxStepAttempts: 8, maxAttemptsB: 3, timeoutB: 30 });
    const { id } = await app.start();
    const ended = await drive(app.runner(), id);
    expect(ended.status).toBe('completed');
    expect(callsOf('doB').map((c) => c.outcome)).toEqual([...Array(3).fill('cleave.DEPENDENCY_UNAVAILABLE'), 'cleave.DEADLINE_EXCEEDED', 'cleave.DEADLINE_EXCEEDED', 'ok']);
  });

  it('answered failures still end at the step bound after unreachable attempts, and the bound counts from the step', async () => {
    script.doB = ['unavailable', 'hang', 'unavailable', 'hang', 'ok'];
    const app = build({ maxStepAttempts: 8, maxAttemptsB: 2, timeoutB: 30 });
    const { id } = await app.start();
    const ended = await drive(app.runner(), id);
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/^b: cleave\.DEADLINE_EXCEEDED/);
    expect(callsOf('doB')).toHaveLength(4);
    expect(trail().slice(-2)).toEqual([`undoB ${id}:b:compensate`, `undoA ${id}:a:compensate`]);
  });

  it('an error that is not a CleaveError (a bug in the step) is retried as transient, then compensated', async () => {
    const app = build();
    let thrown = 0;
    const saga = defineSaga('buggy', {
      input: FlowInput,
      maxStepAttempts: 2,
      steps: [
        { name: 'a', action: (s) => s.call(svc.doA, { orderId: s.input.orderId }), compensate: (s) => s.call(svc.undoA, { orderId: s.input.orderId }) },
        {
          name: 'b',
          action: async () => {
            thrown++;
            throw new TypeError('x is undefined');
          },
        },
      ],
    });
    const flowModule = defineModule(flow, { dependsOn: [svc], handlers: {}, sagas: [saga] });
    const runtime = new ModuleRuntime(flowModule, db as Kysely<unknown>, logger, disabledTracer, app.runtime.router);
    const id = await runtime.transaction(newTraceContext(), (tx) => tx.startSaga(saga, { orderId: 'o-bug' }));
    const ended = await drive(new SagaRunner(runtime, [saga], { backoffMs: 5 }), id);
    expect(thrown).toBe(2);
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe('b: x is undefined');
    expect(trail()).toEqual([`doA ${id}:a`, `undoA ${id}:a:compensate`]);
  });

  it('b times out (callee hangs until its deadline): DEADLINE_EXCEEDED is transient, each attempt bounded by the step timeoutMs', async () => {
    const timeoutMs = 80;
    script.doB = ['hang', 'hang', 'ok'];
    const app = build({ timeoutB: timeoutMs });
    const { id } = await app.start();
    const runner = app.runner();

    const started = Date.now();
    await runner.runOnce();
    expect(Date.now() - started).toBeLessThan(timeoutMs + 500);
    expect(await stepsOf(id)).toMatchObject({ b: { status: 'pending', attempts: 1, error: expect.stringMatching(/^cleave\.DEADLINE_EXCEEDED: /) } });
    expect((await detail(id)).status).toBe('running');

    const ended = await drive(runner, id);
    expect(ended.status).toBe('completed');
    const attempts = callsOf('doB');
    expect(attempts.map((c) => c.key)).toEqual([`${id}:b`, `${id}:b`, `${id}:b`]);
    for (const hung of attempts.slice(0, 2)) {
      expect(hung.outcome).toBe('cleave.DEADLINE_EXCEEDED');
      expect(hung.endedAt! - hung.startedAt).toBeGreaterThanOrEqual(timeoutMs - 5);
      expect(hung.endedAt! - hung.startedAt).toBeLessThan(timeoutMs + 250);
    }
  });

  it('b times out on every attempt: compensates b and a, and the saga fails with the timeout as reason', async () => {
    script.doB = ['hang', 'hang'];
    const app = build({ timeoutB: 30, maxStepAttempts: 2 });
    const { id } = await app.start();
    const ended = await drive(app.runner(), id);
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/^b: cleave\.DEADLINE_EXCEEDED: /);
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doB ${id}:b`, `undoB ${id}:b:compensate`, `undoA ${id}:a:compensate`]);
  });

  // The runner itself bounds each attempt (withDeadline): in process, ModuleRuntime.handle
  // checks the deadline only before the handler starts, so a callee that does not watch
  // ctx.deadline would otherwise hold the step, the pass and runner.stop() indefinitely.
  it('a callee that ignores its deadline still cannot hold a step longer than timeoutMs (in process)', async () => {
    let release!: () => void;
    script.doB = [{ until: new Promise<void>((resolve) => (release = resolve)) }];
    const app = build({ timeoutB: 50 });
    const { id } = await app.start();
    const runner = app.runner();
    const watchdog = setTimeout(() => release(), 1_500);
    try {
      const started = Date.now();
      await runner.runOnce();
      expect(Date.now() - started).toBeLessThan(50 + 400);
      expect(await stepsOf(id)).toMatchObject({ b: { status: 'pending', attempts: 1, error: expect.stringContaining('cleave.DEADLINE_EXCEEDED') } });
    } finally {
      clearTimeout(watchdog);
      release();
    }
  });

  // Regression: the background pass starts due sagas without waiting for them, so a slow step holds back no other saga.
  it('a saga waiting on a slow step does not hold back a saga started meanwhile', async () => {
    script.doB = ['hang']; // the first saga's b: answers only at its deadline (1 s)
    const app = build({ timeoutB: 1_000 });
    const runner = app.runner({ idleMs: 20 });
    app.runtime.onCommitted(() => runner.wake());
    const slow = await app.start();
    runner.start();
    try {
      await vi.waitFor(() => expect(callsOf('doB')).toHaveLength(1), { timeout: 2_000, interval: 5 });
      const quick = await app.start();
      const started = Date.now();
      await vi.waitFor(async () => expect((await detail(quick.id)).status).toBe('completed'), { timeout: 3_000, interval: 10 });
      expect(Date.now() - started).toBeLessThan(500);
      expect((await detail(slow.id)).status).toBe('running');
    } finally {
      await runner.stop();
    }
  });
});

describe('SagaRunner: compensations failing', () => {
  it('a compensation failing transiently, then succeeding: retried with the same key, the saga ends failed, attempts recorded', async () => {
    script.doC = ['refuse'];
    script.undoA = ['unavailable', 'unavailable', 'ok'];
    const app = build({ maxCompensationAttempts: 5 });
    const { id, orderId } = await app.start();
    const runner = app.runner();

    // Watch it pass through compensation_failed on the way.
    let sawRetry = false;
    for (let pass = 0; pass < 100; pass++) {
      const current = await detail(id);
      if (!ACTIVE.has(current.status)) break;
      const stepA = current.steps[0]!;
      if (current.status === 'compensating' && stepA.status === 'compensation_failed') {
        sawRetry = true;
        expect(stepA.error).toBe('cleave.DEPENDENCY_UNAVAILABLE: undoA: downstream is down');
      }
      const { worked, nextInMs } = await runner.runOnce();
      if (!worked) await sleep(Math.min(Math.max(nextInMs ?? 5, 1), 50));
    }
    expect(sawRetry).toBe(true);

    const ended = await detail(id);
    expect(ended.status).toBe('failed');
    expect(callsOf('undoA').map((c) => c.key)).toEqual([`${id}:a:compensate`, `${id}:a:compensate`, `${id}:a:compensate`]);
    expect(callsOf('undoB')).toHaveLength(1);
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'compensated', attempts: 3, error: null }, b: { status: 'compensated', attempts: 1 }, c: { status: 'failed' } });
    // The reason is still the refusal, not the compensation's hiccups.
    expect(ended.error).toBe('c: svc.REFUSED: doC refused');
    expect((await outcomes(orderId)).map((r) => r.kind)).toEqual(['failed']);
  });

  it('a compensation failing beyond maxCompensationAttempts: the saga is stuck, with its error, listed, logged, and left alone', async () => {
    script.doB = ['refuse'];
    script.undoA = Array.from({ length: 10 }, () => 'unavailable' as const);
    const app = build({ maxCompensationAttempts: 3 });
    const { id, orderId } = await app.start();
    const runner = app.runner();
    const ended = await drive(runner, id);

    expect(ended.status).toBe('stuck');
    expect(ended.error).toBe('compensating a: cleave.DEPENDENCY_UNAVAILABLE: undoA: downstream is down');
    expect(callsOf('undoA').map((c) => c.key)).toEqual([`${id}:a:compensate`, `${id}:a:compensate`, `${id}:a:compensate`]);
    expect(await stepsOf(id)).toMatchObject({
      a: { status: 'compensation_failed', attempts: 3, error: 'cleave.DEPENDENCY_UNAVAILABLE: undoA: downstream is down' },
      b: { status: 'failed' },
      c: { status: 'pending' },
    });
    // Not silently dropped: listed as stuck, reported at error level, onFailed did not claim it failed cleanly.
    const stuck = await listSagas('flow', db as Kysely<SagaTables>, 'stuck');
    expect(stuck.map((s) => s.id)).toEqual([id]);
    expect(stuck[0]).toMatchObject({ module: 'flow', name: 'threeSteps', status: 'stuck', attempts: 3 });
    expect(logLines.some((l) => l.level >= 50 && l.sagaId === id && /stuck/.test(l.msg))).toBe(true);
    expect(await outcomes(orderId)).toEqual([]);

    // The runner leaves it alone afterwards.
    const after = await runner.runOnce();
    expect(after.worked).toBe(false);
    expect(after.nextInMs).toBeUndefined();
    expect(callsOf('undoA')).toHaveLength(3);
  });

  it('a compensation of the failed step itself can get stuck too (b timed out, undoB keeps failing)', async () => {
    script.doB = ['unavailable', 'unavailable'];
    script.undoB = ['unavailable', 'unavailable'];
    const app = build({ maxStepAttempts: 2, maxCompensationAttempts: 2 });
    const { id } = await app.start();
    const ended = await drive(app.runner(), id);
    expect(ended.status).toBe('stuck');
    expect(ended.error).toBe('compensating b: cleave.DEPENDENCY_UNAVAILABLE: undoB: downstream is down');
    expect(callsOf('undoA')).toHaveLength(0); // a is not undone before b is
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'done' }, b: { status: 'compensation_failed', attempts: 2 } });
  });

  it('a saga whose definition the runner does not know is marked stuck, not dropped', async () => {
    const app = build();
    const { id } = await app.start();
    const other = defineSaga('other', { input: FlowInput, steps: [{ name: 'x', action: async () => null }] });
    const runner = new SagaRunner(app.runtime, [other], { backoffMs: 5 });
    const ended = await drive(runner, id);
    expect(ended.status).toBe('stuck');
    expect(ended.error).toBe('unknown saga "threeSteps"');
    expect(journal).toEqual([]);
  });
});

describe('SagaRunner: crash and resume', () => {
  it('a new runner resumes from the persisted cursor once the crashed one’s lease runs out: a not called again, b called again with the same key', async () => {
    script.doB = ['forever']; // the first runner's process "dies" while doB is in flight
    const app = build();
    const { id, orderId } = await app.start();
    const leaseMs = 80;
    const crashed = app.runner({ leaseMs });
    void crashed.runOnce(); // never settles: that process is gone
    await vi.waitFor(() => expect(callsOf('doB')).toHaveLength(1), { timeout: 2_000, interval: 5 });
    const leasedAt = Date.now();

    // What the crashed runner left in the database: a done, the cursor on b, a lease.
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'done' }, b: { status: 'pending', attempts: 0 }, c: { status: 'pending' } });

    // While the lease holds, another runner leaves the saga alone.
    const successor = app.runner({ leaseMs });
    const early = await successor.runOnce();
    if (Date.now() - leasedAt < leaseMs - 10) {
      expect(early.worked).toBe(false);
      expect(callsOf('doB')).toHaveLength(1);
    }

    const ended = await drive(successor, id);
    expect(ended.status).toBe('completed');
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(leaseMs - 5);
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doB ${id}:b`, `doC ${id}:c`]);
    // b got a's result from the database, as the first runner would have given it.
    expect(callsOf('doB')[1]?.input.fromA).toBe(1);
    expect((await outcomes(orderId)).map((r) => r.kind)).toEqual(['completed']);
  });

  it('a runner stopped while a saga waits for a retry leaves it to a new runner, which finishes it', async () => {
    script.doB = ['unavailable'];
    const app = build();
    const { id } = await app.start();
    const first = app.runner({ backoffMs: 200 });
    first.start();
    await vi.waitFor(() => expect(callsOf('doB')).toHaveLength(1), { timeout: 2_000, interval: 5 });
    await first.stop();
    expect(await stepsOf(id)).toMatchObject({ a: { status: 'done' }, b: { status: 'pending', attempts: 1 } });
    expect(callsOf('doB')).toHaveLength(1);

    const ended = await drive(app.runner(), id);
    expect(ended.status).toBe('completed');
    expect(trail()).toEqual([`doA ${id}:a`, `doB ${id}:b`, `doB ${id}:b`, `doC ${id}:c`]);
  });

  // Regression: a runner whose lease ran out mid-step finds the saga changed at its next
  // transition (conditional on its claim token, status and cursor) and stops.
  it('a runner whose lease expired mid-step does not overwrite the saga another runner finished', async () => {
    let release!: () => void;
    script.doB = [{ until: new Promise<void>((resolve) => (release = resolve)) }];
    const app = build();
    const { id, orderId } = await app.start();
    const zombie = app.runner({ leaseMs: 50 });
    const zombiePass = zombie.runOnce();
    await vi.waitFor(() => expect(callsOf('doB')).toHaveLength(1), { timeout: 2_000, interval: 5 });

    const successor = app.runner({ leaseMs: 50 });
    expect((await drive(successor, id)).status).toBe('completed');

    release(); // the zombie's doB finally answers
    await zombiePass.catch(() => undefined);

    const after = await detail(id);
    expect(callsOf('undoB')).toHaveLength(0);
    expect(callsOf('undoA')).toHaveLength(0);
    expect((await outcomes(orderId)).map((r) => r.kind)).toEqual(['completed']);
    expect(after.status).toBe('completed');
  });
});

describe('startSaga', () => {
  it('records the saga with its steps in the owner transaction and nudges the runner after the commit', async () => {
    const app = build();
    const nudges: string[] = [];
    app.runtime.onCommitted((effects) => effects.sagas > 0 && nudges.push('nudged'));
    const id = await app.runtime.transaction(newTraceContext(), async (tx) => {
      const started = await tx.startSaga(app.saga, { orderId: 'o-1' });
      expect(nudges).toEqual([]); // not before the commit
      return started;
    });
    expect(nudges).toEqual(['nudged']);
    const saga = await detail(id);
    expect(saga).toMatchObject({ status: 'running', name: 'threeSteps', input: { orderId: 'o-1' }, attempts: 0, error: null });
    expect(saga.steps.map((s) => [s.name, s.status])).toEqual([
      ['a', 'pending'],
      ['b', 'pending'],
      ['c', 'pending'],
    ]);
  });

  it('takes a caller-chosen id', async () => {
    const app = build();
    const id = await app.runtime.transaction(newTraceContext(), (tx) => tx.startSaga(app.saga, { orderId: 'o-2' }, { id: 'fixed-id' }));
    expect(id).toBe('fixed-id');
    expect((await detail('fixed-id')).status).toBe('running');
  });

  it('rolls back with its transaction: no saga, no steps, no nudge', async () => {
    const app = build();
    const nudges: string[] = [];
    app.runtime.onCommitted((effects) => effects.sagas > 0 && nudges.push('nudged'));
    await expect(
      app.runtime.transaction(newTraceContext(), async (tx) => {
        await tx.startSaga(app.saga, { orderId: 'o-3' });
        throw new Error('owner write failed');
      }),
    ).rejects.toThrow('owner write failed');
    expect(await db.selectFrom('sagas').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('saga_steps').selectAll().execute()).toEqual([]);
    expect(nudges).toEqual([]);
    expect((await app.runner().runOnce()).worked).toBe(false);
    expect(journal).toEqual([]);
  });

  it('refuses a saga the module does not declare (and an impostor with a declared name)', async () => {
    const app = build();
    const undeclared = defineSaga('notDeclared', { input: FlowInput, steps: [{ name: 'x', action: async () => null }] });
    await expect(app.runtime.transaction(newTraceContext(), (tx) => tx.startSaga(undeclared, { orderId: 'o' }))).rejects.toThrow('module "flow" does not declare saga "notDeclared"');
    const impostor = makeSaga(); // same name as the declared one, another object
    await expect(app.runtime.transaction(newTraceContext(), (tx) => tx.startSaga(impostor, { orderId: 'o' }))).rejects.toThrow('does not declare saga "threeSteps"');
    expect(await db.selectFrom('sagas').selectAll().execute()).toEqual([]);
  });

  it('refuses invalid input with cleave.VALIDATION_FAILED and records nothing', async () => {
    const app = build();
    const err = await app.runtime.transaction(newTraceContext(), (tx) => tx.startSaga(app.saga, { orderId: '' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CleaveError);
    expect((err as CleaveError).code).toBe('cleave.VALIDATION_FAILED');
    expect((err as CleaveError).status).toBe(400);
    expect((err as CleaveError).detail).toMatch(/^invalid input for saga threeSteps/);
    expect(await db.selectFrom('sagas').selectAll().execute()).toEqual([]);
  });

  it('stores the parsed input (unknown fields stripped) for the steps', async () => {
    const app = build();
    const { id } = await app.runtime.transaction(newTraceContext(), async (tx) => ({ id: await tx.startSaga(app.saga, { orderId: 'o-4', extra: 'dropped' }) }));
    expect((await detail(id)).input).toEqual({ orderId: 'o-4' });
  });
});
