import type { z } from 'zod';
import type { ModuleTransaction } from '../module/module-transaction.ts';
import type { AnyOperation, OperationInput, OperationOutput } from '../module/contract.ts';
import type { Logger } from '../telemetry/logger.ts';
import { configErrors } from '../errors/boot-errors.ts';

/** What a step's action or compensation gets: the saga's input, earlier results, and calls. */
export interface SagaStepContext<I> {
  readonly sagaId: string;
  readonly input: I;
  /** Results of the steps done so far, by step name. */
  readonly results: Readonly<Record<string, unknown>>;
  readonly log: Logger;
  /**
   * Calls an operation with this step's idempotency key (`<sagaId>:<step>`, or
   * `<sagaId>:<step>:compensate`), so a retried step never takes effect twice.
   */
  call<Op extends AnyOperation>(op: Op, input: OperationInput<Op>): Promise<OperationOutput<Op>>;
}

export interface SagaStep<I> {
  readonly name: string;
  readonly action: (ctx: SagaStepContext<I>) => Promise<unknown>;
  /** Undoes the action; retried until it succeeds (or the saga is marked stuck). */
  readonly compensate?: (ctx: SagaStepContext<I>) => Promise<unknown>;
  /** Time budget of one attempt, in ms. Default 10 s. */
  readonly timeoutMs?: number;
  /**
   * Attempts of this step when the callee answered with a failure (5xx, timeout); overrides
   * the saga's `maxStepAttempts`, which still applies while the callee cannot be reached.
   */
  readonly maxAttempts?: number;
}

export interface SagaSpec<S extends z.ZodType> {
  /** The saga's input, validated when it starts and stored with it. */
  readonly input: S;
  readonly steps: readonly SagaStep<z.output<S>>[];
  /** Attempts of a step whose failure may be transient, before compensating. Default 3. */
  readonly maxStepAttempts?: number;
  /** Attempts of a compensation before the saga is marked `stuck` for a human. Default 10. */
  readonly maxCompensationAttempts?: number;
  /** Runs in the transaction that marks the saga completed (update the owner's rows, publish). */
  readonly onCompleted?: (input: z.output<S>, results: Readonly<Record<string, unknown>>, tx: ModuleTransaction<unknown>) => Promise<void>;
  /** Runs in the transaction that marks the saga failed, after every compensation. */
  readonly onFailed?: (input: z.output<S>, error: string, tx: ModuleTransaction<unknown>) => Promise<void>;
}

export interface SagaDefinition<S extends z.ZodType = z.ZodType> extends SagaSpec<S> {
  readonly name: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registries hold sagas of any input.
export type AnySaga = SagaDefinition<any>;

/**
 * A multi-step workflow across modules, owned by one module: each step calls another
 * module and names how to undo it. State is persisted in the owner's schema, started in
 * the same transaction as the owner's own writes (`tx.startSaga`), and resumed after a
 * crash: forward, or compensating in reverse order.
 *
 * @example
 * export const createOrder = defineSaga('createOrder', {
 *   input: OrderSagaInput,
 *   steps: [
 *     { name: 'reserve', action: (s) => s.call(inventory.reserve, {...}), compensate: (s) => s.call(inventory.release, {...}) },
 *     { name: 'charge', action: (s) => s.call(payments.charge, {...}), compensate: (s) => s.call(payments.refund, {...}) },
 *   ],
 * });
 */
export function defineSaga<S extends z.ZodType>(name: string, spec: SagaSpec<S>): SagaDefinition<S> {
  const names = spec.steps.map((s) => s.name);
  if (names.length === 0) throw configErrors.SAGA_NO_STEPS(`saga "${name}" has no steps`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw configErrors.SAGA_STEP_TWICE(`saga "${name}" has two steps named "${twice}"`);
  return Object.freeze({ ...spec, name });
}
