
import type { Kysely, Selectable, Transaction } from 'kysely';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { WakeableLoop } from '../events/wakeable-loop.ts';
import type { PassResult } from '../events/wakeable-loop.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { ModuleRuntime, TransactionEffects } from '../runtime/module-runtime.ts';
import { withDeadline } from '../runtime/with-deadline.ts';
import { newTraceContext } from '../telemetry/trace-context.ts';
import type { AnySaga, SagaStep, SagaStepContext } from './define-saga.ts';
import type { SagaTables } from './saga-tables.ts';

type SagaRow = Selectable<SagaTables['sagas']>;

export interface SagaRunnerOptions {
  readonly idleMs?: number;
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long a runner owns a saga while it works on it (a crashed runner's lease runs out). */
  readonly leaseMs?: number;
}

const DEFAULT_STEP_TIMEOUT_MS = 10_000;

/**
 * Drives a module's sagas: each running saga forward step by step, each failed one back
 * through its compensations in reverse order. Every transition is persisted before the
 * next call, so after a crash the saga resumes where it was; a step that may have run
 * before the crash is called again with the same idempotency key, and the callee
 * returns its first result. Sagas are leased, so several replicas can share the work.
 */
export class SagaRunner extends WakeableLoop {
  readonly #db: Kysely<SagaTables>;
  readonly #sagas: ReadonlyMap<string, AnySaga>;

  constructor(
    private readonly runtime: ModuleRuntime,
    sagas: readonly AnySaga[],
    private readonly options: SagaRunnerOptions = {},
  ) {
    super(options.idleMs ?? 250, (err) => runtime.logger.warn({ err }, 'saga runner: a pass failed; will retry'));
    this.#db = runtime.db as Kysely<SagaTables>;
    this.#sagas = new Map(sagas.map((s) => [s.name, s]));
  }

  protected pass(): Promise<PassResult> {
    return this.runOnce();
  }

  /** Advances every due saga as far as it can go now. */
  async runOnce(): Promise<PassResult> {
    const now = new Date();
    const due = await this.#db
      .selectFrom('sagas')
      .selectAll()
      .where('status', 'in', ['running', 'compensating'])
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(32)
      .execute();
    // Sagas are independent: advance them concurrently (each one's steps stay sequential).
    await Promise.all(due.map((row) => this.#advanceLeased(row)));
    const next = await this.#db
      .selectFrom('sagas')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('status', 'in', ['running', 'compensating'])
      .executeTakeFirst();
    const nextAt = next?.next ? new Date(next.next as unknown as string).getTime() : undefined;
    return { worked: due.length > 0, ...(nextAt === undefined ? {} : { nextInMs: Math.max(0, nextAt - Date.now()) }) };
  }

  async #advanceLeased(row: SagaRow): Promise<void> {
    const leaseUntil = new Date(Date.now() + (this.options.leaseMs ?? 60_000));
    const claimed = await this.#db
      .updateTable('sagas')
      .set({ locked_until: leaseUntil })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', new Date())]))
      .returningAll()
      .executeTakeFirst();
    if (!claimed) return;
    try {
      await this.#advance(claimed);
    } finally {
      await this.#db.updateTable('sagas').set({ locked_until: null }).where('id', '=', row.id).execute();
    }
  }

  async #advance(initial: SagaRow): Promise<void> {
    const saga = this.#sagas.get(initial.name);
    if (saga === undefined) {
      this.runtime.logger.error({ sagaId: initial.id, saga: initial.name }, 'no saga definition with this name; leaving it for a human');
      await this.#db.updateTable('sagas').set({ status: 'stuck', error: `unknown saga "${initial.name}"`, updated_at: new Date() }).where('id', '=', initial.id).execute();
      return;
    }
    let row = initial;
    for (;;) {
      const next = row.status === 'running' ? await this.#forward(saga, row) : await this.#backward(saga, row);
      if (next === undefined) return;
      row = next;
    }
  }

  /** Runs the step at the cursor; returns the updated row, or undefined when the saga waits or ended. */
  async #forward(saga: AnySaga, row: SagaRow): Promise<SagaRow | undefined> {
    const position = row.cursor;
    const step = saga.steps[position];
    if (step === undefined) {
      await this.#finish(saga, row, 'completed');
      return undefined;
    }
    const results = await this.#results(row.id);
    try {
      const result = await step.action(this.#stepContext(row, step, results, false));
      return this.#update(row.id, { cursor: position + 1, attempts: 0, error: null }, { position, status: 'done', attempts: row.attempts + 1, result: JSON.stringify(result ?? null), error: null });
    } catch (err) {
      const message = describe(err);
      const attempts = row.attempts + 1;
      // A refusal (4xx) means the step did not happen: undo the steps before it.
      if (err instanceof CleaveError && err.status < 500) {
        this.runtime.logger.info({ sagaId: row.id, step: step.name, code: err.code }, 'saga step refused; compensating');
        return this.#update(row.id, { status: 'compensating', cursor: position - 1, attempts: 0, error: `${step.name}: ${message}` }, { position, status: 'failed', attempts, error: message });
      }
      if (attempts < (saga.maxStepAttempts ?? 3)) {
        await this.#update(row.id, { attempts, next_attempt_at: this.#backoff(attempts), error: `${step.name}: ${message}` }, { position, status: 'pending', attempts, error: message });
        return undefined;
      }
      // Out of attempts on a failure that may have taken effect (timeout, unavailable):
      // undo this step too; compensations must tolerate "nothing to undo".
      this.runtime.logger.warn({ sagaId: row.id, step: step.name, err }, 'saga step kept failing; compensating');
      return this.#update(row.id, { status: 'compensating', cursor: position, attempts: 0, error: `${step.name}: ${message}` }, { position, status: 'failed', attempts, error: message });
    }
  }

  async #backward(saga: AnySaga, row: SagaRow): Promise<SagaRow | undefined> {
    const position = row.cursor;
    const step = saga.steps[position];
    if (step === undefined) {
      await this.#finish(saga, row, 'failed');
      return undefined;
    }
    if (step.compensate === undefined) {
      return this.#update(row.id, { cursor: position - 1, attempts: 0 }, { position, status: 'compensated', attempts: 0, error: null });
    }
    const results = await this.#results(row.id);
    try {
      await step.compensate(this.#stepContext(row, step, results, true));
      return this.#update(row.id, { cursor: position - 1, attempts: 0 }, { position, status: 'compensated', attempts: row.attempts + 1, error: null });
    } catch (err) {
      const attempts = row.attempts + 1;
      const message = describe(err);
      if (attempts >= (saga.maxCompensationAttempts ?? 10)) {
        this.runtime.logger.error({ sagaId: row.id, step: step.name, err }, 'compensation keeps failing: saga is stuck and needs a human');
        await this.#update(row.id, { status: 'stuck', attempts, error: `compensating ${step.name}: ${message}` }, { position, status: 'compensation_failed', attempts, error: message });
        return undefined;
      }
      await this.#update(row.id, { attempts, next_attempt_at: this.#backoff(attempts) }, { position, status: 'compensation_failed', attempts, error: message });
      return undefined;
    }
  }

  #stepContext(row: SagaRow, step: SagaStep<unknown>, results: Record<string, unknown>, compensating: boolean): SagaStepContext<unknown> {
    const runtime = this.runtime;
    const key = `${row.id}:${step.name}${compensating ? ':compensate' : ''}`;
    const trace = newTraceContext();
    return {
      sagaId: row.id,
      input: row.input,
      results,
      log: runtime.logger.child({ sagaId: row.id, step: step.name, traceId: trace.traceId }),
      call: async (op: AnyOperation, input: unknown) => {
        if (!runtime.dependsOn(op.module)) {
          throw errors.UNDECLARED_DEPENDENCY(`saga step ${step.name} of module "${runtime.name}" called ${op.id} without declaring "${op.module}"`);
        }
        const span = runtime.tracer.startSpan(`saga ${row.name}.${step.name}${compensating ? ' (compensate)' : ''}`, trace, 'internal', { 'cleave.saga_id': row.id });
        try {
          const deadline = Date.now() + (step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS);
          const call = runtime.router.dispatch(op, input, { trace: span.trace, user: undefined, caller: runtime.name, deadline, idempotencyKey: key });
          const output = await withDeadline(call, deadline, `${row.name}.${step.name}`);
          span.end();
          return output;
        } catch (err) {
          span.end(err);
          throw err;
        }
      },
    } as SagaStepContext<unknown>;
  }

  async #results(sagaId: string): Promise<Record<string, unknown>> {
    const steps = await this.#db.selectFrom('saga_steps').select(['step', 'result']).where('saga_id', '=', sagaId).where('status', 'in', ['done', 'compensated', 'compensation_failed']).execute();
    return Object.fromEntries(steps.map((s) => [s.step, s.result]));
  }

  /** Persists a transition of the saga and of one of its steps, together. */
  async #update(
    sagaId: string,
    saga: Partial<Pick<SagaRow, 'status' | 'cursor' | 'attempts' | 'next_attempt_at' | 'error'>>,
    step: { position: number; status: Selectable<SagaTables['saga_steps']>['status']; attempts: number; error: string | null; result?: string },
  ): Promise<SagaRow> {
    return this.#db.transaction().execute(async (trx) => {
      const { position, result, ...stepChanges } = step;
      await trx.updateTable('saga_steps').set({ ...stepChanges, ...(result === undefined ? {} : { result }), updated_at: new Date() }).where('saga_id', '=', sagaId).where('position', '=', position).execute();
      return trx.updateTable('sagas').set({ ...saga, updated_at: new Date() }).where('id', '=', sagaId).returningAll().executeTakeFirstOrThrow();
    });
  }

  async #finish(saga: AnySaga, row: SagaRow, status: 'completed' | 'failed'): Promise<void> {
    const effects: TransactionEffects = { published: [], sagas: 0 };
    const results = status === 'completed' ? await this.#results(row.id) : {};
    await this.#db.transaction().execute(async (trx) => {
      const tx = this.runtime.scope(trx as unknown as Transaction<unknown>, newTraceContext(), effects);
      if (status === 'completed') await saga.onCompleted?.(row.input, results, tx);
      else await saga.onFailed?.(row.input, row.error ?? 'failed', tx);
      await trx.updateTable('sagas').set({ status, updated_at: new Date() }).where('id', '=', row.id).execute();
    });
    this.runtime.afterCommit(effects);
    this.runtime.logger.info({ sagaId: row.id, saga: saga.name, status }, `saga ${status}`);
  }

  #backoff(attempts: number): Date {
    const ms = Math.min((this.options.backoffMs ?? 200) * 2 ** (attempts - 1), this.options.maxBackoffMs ?? 10_000);
    return new Date(Date.now() + ms);
  }
}

function describe(err: unknown): string {
  if (err instanceof CleaveError) return `${err.code}: ${err.detail ?? err.title}`;
  return err instanceof Error ? err.message : String(err);
}

