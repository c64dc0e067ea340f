import type { Kysely, Transaction } from 'kysely';
import type { Logger } from '../telemetry/logger.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import type { AnyOperation } from './contract.ts';
import type { ModuleContext } from './module-context.ts';
import type { ModuleTransaction, TransactionEffects } from './module-transaction.ts';
import type { RequestContext } from './request-context.ts';

/** Told after each commit of a module's transaction what it did (the relay and the saga runner wake on it). */
export type CommitListener = (effects: TransactionEffects) => void;

/**
 * One hosted module as the background machinery sees it: the event runtime, the inbox
 * worker and the saga runner depend on this port, never on the runtime that implements
 * it (`ModuleRuntime`), so `events/` and `saga/` sit below `runtime/`.
 */
export interface ModuleHost {
  readonly name: string;
  readonly db: Kysely<unknown>;
  readonly logger: Logger;
  readonly tracer: Tracer;
  /** What a handler may do inside transaction `trx`; `effects` records what needs a nudge after commit. */
  scope(trx: Transaction<unknown>, trace: TraceContext, effects: TransactionEffects): ModuleTransaction<unknown>;
  /** Tells every commit listener what a committed transaction did. */
  afterCommit(effects: TransactionEffects): void;
  /** Adds a listener (all of them run, in order); returns its removal. */
  onCommitted(listener: CommitListener): () => void;
  /** Whether this module declares `module` in its `dependsOn`. */
  dependsOn(module: string): boolean;
  /** A handler's context for background work of this module (a job run): `call`, `transaction`, `idempotent`, keyed by `label`. */
  context(request: RequestContext, label: string): ModuleContext<unknown>;
  /** Calls an operation of another module on this module's behalf (a saga step). */
  dispatch(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown>;
}
