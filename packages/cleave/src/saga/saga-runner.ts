
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { IDLE_POLL_MAX_MS, IDLE_POLL_MS, WakeableLoop } from '../util/wakeable-loop.ts';
import type { PassResult } from '../util/wakeable-loop.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { ModuleHost } from '../module/module-host.ts';
import type { Logger } from '../telemetry/logger.ts';
import { noEffects } from '../module/module-transaction.ts';
import { withDeadline } from '../util/with-deadline.ts';
import { sagaStepAttributes } from '../telemetry/semantic-attributes.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import { newTraceContext, sagaTraceContext } from '../telemetry/trace-context.ts';
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
    private readonly runtime: ModuleHost,
    sagas: readonly AnySaga[],
    private readonly options: SagaRunnerOptions = {},
  ) {
    super(options.idleMs ?? IDLE_POLL_MS, (err) => runtime.logger.warn({ err }, 'saga runner: a pass failed; will retry'), options.idleMs ?? IDLE_POLL_MAX_MS);
    this.#db = runtime.db as Kysely<SagaTables>;
    this.#sagas = new Map(sagas.map((s) => [s.name, s]));
  }

  readonly #inFlight = new Map<string, Promise<void>>();

  /**
   * The background loop's pass: starts every due saga that is not already in flight and
   * returns without waiting, so one slow step never holds back other sagas.
   */
  protected async pass(): Promise<PassResult> {
    const claimed = await this.#claimDue(this.#inFlight.keys());
    let started = 0;
    for (const row of claimed) {
      started++;
      const run = this.#advanceLeased(row)
        .catch((err: unknown) => this.runtime.logger.warn({ err, sagaId: row.id }, 'saga runner: advancing a saga failed; will retry'))
        .finally(() => {
          this.#inFlight.delete(row.id);
          this.wake();
        });
      this.#inFlight.set(row.id, run);
    }
    // A pass that found work is followed by another at once (WakeableLoop): when the next
    // saga is due matters only to a pass that found none.
    return started > 0 ? { worked: true } : { worked: false, ...(await this.#nextDue()) };
  }

  override async stop(): Promise<void> {
    await super.stop();
    await Promise.allSettled(this.#inFlight.values());
  }

  /** Advances every due saga as far as it can go now, and waits for them (tests, tools). */
  async runOnce(): Promise<PassResult> {
    const due = await this.#claimDue(this.#inFlight.keys());
    await Promise.all(due.map((row) => this.#advanceLeased(row)));
    // As in pass(): a caller that got work done calls again before it waits.
    return due.length > 0 ? { worked: true } : { worked: false, ...(await this.#nextDue()) };
  }

  /**
   * Leases the due sagas (at most 32, oldest due first, none this runner has in flight) in
   * one statement: finding them and claiming them is one round trip, and of several runners
   * each claims other sagas (`skip locked`; the lease is checked again as the row is updated).
   * All claimed in one pass share a token: every later write names its saga and the token.
   */
  #claimDue(inFlight: Iterable<string>): Promise<SagaRow[]> {
    const now = new Date();
    const skip = [...inFlight];
    // Each saga's own lease (its longest step); an unknown saga (no definition here) the
    // shortest: it is only marked stuck.
    const leases = [...this.#sagas.values()].map((saga) => sql`when ${saga.name} then ${this.#leaseUntil(saga)}::timestamptz`);
    const leaseUntil = sql<Date>`case ${sql.ref('name')} ${sql.join(leases, sql` `)} else ${this.#leaseUntil(undefined)}::timestamptz end`;
    const notLeased = (eb: ExpressionBuilder<SagaTables, 'sagas'>) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]);
    return this.#db
      .updateTable('sagas')
      .set({ locked_until: leases.length > 0 ? leaseUntil : this.#leaseUntil(undefined), lease: randomUUID() })
      .where('id', 'in', (eb) => {
        let due = eb
          .selectFrom('sagas')
          .select('id')
          .where('status', 'in', ['running', 'compensating'])
          .where('next_attempt_at', '<=', now)
          .where(notLeased);
        // One array parameter, not one per saga: a single statement text, however many are in flight.
        if (skip.length > 0) due = due.where(sql<boolean>`${sql.ref('id')} <> all(${skip})`);
        return due.orderBy('next_attempt_at').limit(32).forUpdate().skipLocked();
      })
      .where(notLeased)
      .returningAll()
      .execute();
  }

  async #nextDue(): Promise<{ nextInMs?: number }> {
    const next = await this.#db
      .selectFrom('sagas')
      // A leased saga is not due before its lease ends: counting it would spin the loop.
      .select(sql<Date>`min(greatest(next_attempt_at, coalesce(locked_until, next_attempt_at)))`.as('next'))
      .where('status', 'in', ['running', 'compensating'])
      .executeTakeFirst();
    const nextAt = next?.next ? new Date(next.next as unknown as string).getTime() : undefined;
    return nextAt === undefined ? {} : { nextInMs: Math.max(0, nextAt - Date.now()) };
  }

  /**
   * By default a lease outlives the longest step twice over (plus a second), so a healthy
   * runner never loses its saga mid-step; an explicit `leaseMs` wins (and a runner that loses its
   * lease anyway stops at its next transition, see #update).
   */
  #leaseUntil(saga: AnySaga | undefined): Date {
    const longestStep = Math.max(0, ...(saga?.steps ?? []).map((s) => s.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS));
    // Renewed at every transition, so it only has to cover one step: short, so that the
    // sagas of a crashed runner are picked up again soon.
    return new Date(Date.now() + (this.options.leaseMs ?? 2 * longestStep + 1_000));
  }

  /** Advances a saga this runner has just leased (#claimDue), and gives the lease up unless the saga ended. */
  async #advanceLeased(row: SagaRow): Promise<void> {
    const token = row.lease;
    let ended = false;
    try {
      ended = await this.#advance(row);
    } catch (err) {
      if (!(err instanceof LostLease)) throw err;
      this.runtime.logger.warn({ sagaId: row.id }, 'saga runner: lost the lease on a saga; another runner has it');
    } finally {
      // An ended saga gave its lease up in the transaction that ended it.
      if (!ended) await this.#db.updateTable('sagas').set({ locked_until: null, lease: null }).where('id', '=', row.id).where('lease', '=', token).execute();
    }
  }

  /** Moves the saga as far as it can go now; true when it ended (completed or failed, lease given up). */
  async #advance(initial: SagaRow): Promise<boolean> {
    const saga = this.#sagas.get(initial.name);
    if (saga === undefined) {
      this.runtime.logger.error({ sagaId: initial.id, saga: initial.name }, 'no saga definition with this name; leaving it for a human');
      await this.#update(initial, { status: 'stuck', error: `unknown saga "${initial.name}"` });
      return false;
    }
    // Read once per lease, then kept up to date here: only this runner writes the saga's
    // steps while it holds the lease (a runner that lost it fails its next #update). A saga
    // still running at its first step has no results yet (a step's result is stored with the
    // cursor moving past it, and a compensating saga never runs forward again): no read.
    const fresh = initial.status === 'running' && initial.cursor === 0;
    const results = fresh ? {} : await this.#results(initial.id);
    let row = initial;
    while (row.status === 'running' || row.status === 'compensating') {
      const next = row.status === 'running' ? await this.#forward(saga, row, results) : await this.#backward(saga, row, results);
      if (next === 'ended') return true;
      if (next === undefined) return false;
      row = next;
    }
    return false;
  }

  /** Runs the step at the cursor; returns the updated row, undefined when the saga waits, 'ended' when it ended. */
  async #forward(saga: AnySaga, row: SagaRow, results: Record<string, unknown>): Promise<SagaRow | 'ended' | undefined> {
    const position = row.cursor;
    const step = saga.steps[position];
    if (step === undefined) {
      await this.#finish(saga, row, 'completed', results);
      return 'ended';
    }
    try {
      const result = await step.action(this.#stepContext(row, step, { ...results }, false));
      const stored = JSON.stringify(result ?? null);
      const updated = await this.#update(row, { cursor: position + 1, attempts: 0, error: null }, { position, status: 'done', attempts: row.attempts + 1, result: stored, error: null });
      // As a later read would return it: the JSON round trip of what was stored.
      results[step.name] = JSON.parse(stored);
      return updated;
    } catch (err) {
      if (err instanceof LostLease) throw err;
      const message = describe(err);
      const attempts = row.attempts + 1;
      // A refusal (4xx) means this attempt did not happen: undo the steps before it — and
      // this one too when an earlier attempt failed ambiguously (it may have taken effect);
      // compensations tolerate "nothing to undo".
      if (err instanceof CleaveError && err.status < 500) {
        this.runtime.logger.info({ sagaId: row.id, step: step.name, code: err.code }, 'saga step refused; compensating');
        const undoFrom = row.attempts > 0 ? position : position - 1;
        return this.#update(row, { status: 'compensating', cursor: undoFrom, attempts: 0, error: `${step.name}: ${message}` }, { position, status: 'failed', attempts, error: message });
      }
      // A callee that could not be reached (restarting) gets the saga's patience; one that
      // answered with a failure (a provider that hangs on this input) the step's own bound.
      // Each kind of failure is counted against its own bound: a callee that restarted three
      // times must not use up the attempts a hanging provider is given, nor the reverse.
      const unreachable = err instanceof CleaveError && err.code === errors.DEPENDENCY_UNAVAILABLE.code;
      const unreachableAttempts = row.unreachable_attempts + (unreachable ? 1 : 0);
      const retry = unreachable ? unreachableAttempts < (saga.maxStepAttempts ?? 3) : attempts - unreachableAttempts < (step.maxAttempts ?? saga.maxStepAttempts ?? 3);
      if (retry) {
        await this.#update(
          row,
          { attempts, unreachable_attempts: unreachableAttempts, next_attempt_at: this.#backoff(attempts), error: `${step.name}: ${message}` },
          { position, status: 'pending', attempts, error: message },
        );
        return undefined;
      }
      // Out of attempts on a failure that may have taken effect (timeout, unavailable):
      // undo this step too; compensations must tolerate "nothing to undo".
      this.runtime.logger.warn({ sagaId: row.id, step: step.name, err }, 'saga step kept failing; compensating');
      return this.#update(row, { status: 'compensating', cursor: position, attempts: 0, error: `${step.name}: ${message}` }, { position, status: 'failed', attempts, error: message });
    }
  }

  async #backward(saga: AnySaga, row: SagaRow, results: Record<string, unknown>): Promise<SagaRow | 'ended' | undefined> {
    const position = row.cursor;
    const step = saga.steps[position];
    if (step === undefined) {
      await this.#finish(saga, row, 'failed', results);
      return 'ended';
    }
    if (step.compensate === undefined) {
      return this.#update(row, { cursor: position - 1, attempts: 0 }, { position, status: 'compensated', attempts: 0, error: null });
    }
    try {
      await step.compensate(this.#stepContext(row, step, { ...results }, true));
      return this.#update(row, { cursor: position - 1, attempts: 0 }, { position, status: 'compensated', attempts: row.attempts + 1, error: null });
    } catch (err) {
      if (err instanceof LostLease) throw err;
      const attempts = row.attempts + 1;
      const message = describe(err);
      if (attempts >= (saga.maxCompensationAttempts ?? 10)) {
        this.runtime.logger.error({ sagaId: row.id, step: step.name, err }, 'compensation keeps failing: saga is stuck and needs a human');
        await this.#update(row, { status: 'stuck', attempts, error: `compensating ${step.name}: ${message}` }, { position, status: 'compensation_failed', attempts, error: message });
        return undefined;
      }
      await this.#update(row, { attempts, next_attempt_at: this.#backoff(attempts) }, { position, status: 'compensation_failed', attempts, error: message });
      return undefined;
    }
  }

  #stepContext(row: SagaRow, step: SagaStep<unknown>, results: Record<string, unknown>, compensating: boolean): SagaStepContext<unknown> {
    const runtime = this.runtime;
    const key = `${row.id}:${step.name}${compensating ? ':compensate' : ''}`;
    // Every step of one saga, across retries and restarts, in one trace: its id comes from the saga's.
    const trace = sagaTraceContext(row.id);
    let log: Logger | undefined;
    return {
      sagaId: row.id,
      input: row.input,
      results,
      // A child logger costs more than the rest of the context: made only when a step logs.
      get log() {
        log ??= runtime.logger.child({ sagaId: row.id, step: step.name, ...traceLogFields(trace) });
        return log;
      },
      call: async (op: AnyOperation, input: unknown) => {
        if (!runtime.dependsOn(op.module)) {
          throw errors.UNDECLARED_DEPENDENCY(`saga step ${step.name} of module "${runtime.name}" called ${op.id} without declaring "${op.module}"`);
        }
        const span = runtime.tracer.startSpan(`saga ${row.name}.${step.name}${compensating ? ' (compensate)' : ''}`, trace, 'internal', sagaStepAttributes(row.id, row.name, step.name, compensating));
        try {
          const deadline = Date.now() + (step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS);
          const call = runtime.dispatch(op, input, { trace: span.trace, user: undefined, caller: runtime.name, deadline, idempotencyKey: key });
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

  /**
   * Persists a transition of the saga (and of one of its steps) — only if this runner
   * still holds the saga as it last saw it. A runner whose lease ran out mid-step finds
   * the row changed, stops, and leaves the saga to the runner that took it over.
   */
  async #update(
    row: SagaRow,
    saga: Partial<Pick<SagaRow, 'status' | 'cursor' | 'attempts' | 'unreachable_attempts' | 'next_attempt_at' | 'error'>>,
    step?: { position: number; status: Selectable<SagaTables['saga_steps']>['status']; attempts: number; error: string | null; result?: string },
  ): Promise<SagaRow> {
    const now = new Date();
    // A fresh count of attempts (next step, or compensating) starts both counts afresh.
    const changes = { ...(saga.attempts === 0 ? { unreachable_attempts: 0 } : {}), ...saga, updated_at: now, locked_until: this.#leaseUntil(this.#sagas.get(row.name)) };
    const sagaUpdate = (db: Kysely<SagaTables>) =>
      db
        .updateTable('sagas')
        .set(changes)
        .where('id', '=', row.id)
        .where('lease', '=', row.lease)
        .where('status', '=', row.status)
        .where('cursor', '=', row.cursor)
        // Only whether it matched: the new row is the old one with these changes, built here
        // (returning it would have the database encode and this side decode the saga's input).
        .returning('id');
    let owned: { id: string } | undefined;
    if (step === undefined) {
      owned = await sagaUpdate(this.#db).executeTakeFirst();
    } else {
      // One statement, so one round trip and atomic without a transaction: the step's row
      // changes only if the saga's did (this runner still owned it as it last saw it).
      const { position, result, ...stepChanges } = step;
      owned = await this.#db
        .with('saga', (db) => sagaUpdate(db as unknown as Kysely<SagaTables>))
        .with('step', (db) =>
          db
            .updateTable('saga_steps')
            .set({ ...stepChanges, ...(result === undefined ? {} : { result }), updated_at: now })
            .where('saga_id', '=', row.id)
            .where('position', '=', position)
            .where((eb) => eb.exists(eb.selectFrom('saga').select('saga.id')))
            .returning('saga_steps.saga_id'),
        )
        .selectFrom('saga')
        .select('saga.id')
        .executeTakeFirst();
    }
    if (!owned) throw new LostLease();
    return { ...row, ...changes };
  }

  async #finish(saga: AnySaga, row: SagaRow, status: 'completed' | 'failed', results: Record<string, unknown>): Promise<void> {
    const effects = noEffects();
    await this.#db.transaction().execute(async (trx) => {
      // Claimed first, conditionally: a runner that lost the saga must not run the hooks.
      // The lease goes with it: nothing is left to do.
      const owned = await trx
        .updateTable('sagas')
        .set({ status, updated_at: new Date(), locked_until: null, lease: null })
        .where('id', '=', row.id)
        .where('lease', '=', row.lease)
        .where('status', '=', row.status)
        .where('cursor', '=', row.cursor)
        .executeTakeFirst();
      if (Number(owned.numUpdatedRows) === 0) throw new LostLease();
      const tx = this.runtime.scope(trx as unknown as Transaction<unknown>, newTraceContext(), effects);
      if (status === 'completed') await saga.onCompleted?.(row.input, { ...results }, tx);
      else await saga.onFailed?.(row.input, row.error ?? 'failed', tx);
    });
    this.runtime.afterCommit(effects);
    this.runtime.logger.info({ sagaId: row.id, saga: saga.name, status }, `saga ${status}`);
  }

  #backoff(attempts: number): Date {
    const ms = Math.min((this.options.backoffMs ?? 200) * 2 ** (attempts - 1), this.options.maxBackoffMs ?? 10_000);
    return new Date(Date.now() + ms);
  }
}

/** This runner no longer owns the saga (its lease ran out and another runner took it). */
class LostLease extends Error {}

function describe(err: unknown): string {
  if (err instanceof CleaveError) return `${err.code}: ${err.detail ?? err.title}`;
  return err instanceof Error ? err.message : String(err);
}

