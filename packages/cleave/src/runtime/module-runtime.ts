import type { Kysely, Transaction } from 'kysely';
import { publisherFor } from '../events/publish.ts';
import type { AnySaga } from '../saga/define-saga.ts';
import { runOnce } from '../saga/idempotency.ts';
import { insertSaga } from '../saga/start-saga.ts';
import type { ModuleTransaction } from '../events/subscription.ts';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { validationFailed } from '../errors/validation.ts';
import type { AnyOperation, OperationInput, OperationOutput } from '../module/contract.ts';
import type { AnyModule } from '../module/define-module.ts';
import type { ModuleContext } from '../module/module-context.ts';
import type { AuthenticatedUser, CallOptions, RequestContext } from '../module/request-context.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';
import type { SpanAttributes, Tracer } from '../telemetry/tracer.ts';
import { rpcServerAttributes } from '../telemetry/semantic-attributes.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import type { OperationHost } from '../transport/call-transport.ts';
import type { CallRouter } from './call-router.ts';

/** What a transaction did that needs a nudge after it commits. */
export interface TransactionEffects {
  readonly published: string[];
  sagas: number;
}

type AnyHandler = (input: unknown, ctx: ModuleContext<unknown>) => Promise<unknown>;

/**
 * One module wired into a service: its handlers, its database and its view of the
 * other modules. `handle` is the callee side of every call, whatever the transport:
 * deadline check, input validation, a server span, the handler, output validation.
 */
export class ModuleRuntime implements OperationHost {
  readonly name: string;
  readonly db: Kysely<unknown>;
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly router: CallRouter;
  readonly #dependsOn: ReadonlySet<string>;
  readonly #operations: Readonly<Record<string, AnyOperation>>;
  readonly #handlers: Readonly<Record<string, AnyHandler>>;

  constructor(definition: AnyModule, db: Kysely<unknown>, logger: Logger, tracer: Tracer, router: CallRouter) {
    this.name = definition.name;
    this.db = db;
    this.logger = logger.child({ module: definition.name });
    this.tracer = tracer;
    this.router = router;
    this.#dependsOn = new Set(definition.dependsOn);
    this.#operations = definition.contract.$operations;
    this.#handlers = definition.handlers as unknown as Record<string, AnyHandler>;
    this.#sagas = new Map(definition.sagas.map((saga) => [saga.name, saga]));
    this.onPublished = undefined;
    this.onSagaStarted = undefined;
  }

  /** Called after a transaction that published events commits (the relay's nudge). */
  onPublished: (() => void) | undefined;
  /** Called after a transaction that started a saga commits (the saga runner's nudge). */
  onSagaStarted: (() => void) | undefined;
  readonly #sagas: ReadonlyMap<string, AnySaga>;

  /** A transaction of this module's database in which events can be published (outbox) and sagas started. */
  async transaction<T>(trace: TraceContext, fn: (tx: ModuleTransaction<unknown>) => Promise<T>): Promise<T> {
    const effects: TransactionEffects = { published: [], sagas: 0 };
    const result = await this.db.transaction().execute((trx) => fn(this.scope(trx, trace, effects)));
    this.afterCommit(effects);
    return result;
  }

  /** What a handler may do inside one transaction `trx`; `effects` records what needs a nudge after commit. */
  scope(trx: Transaction<unknown>, trace: TraceContext, effects: TransactionEffects): ModuleTransaction<unknown> {
    return {
      db: trx,
      publish: publisherFor(this.name, trx, trace, effects.published),
      startSaga: async (saga, input, options) => {
        if (this.#sagas.get(saga.name) !== saga) throw new Error(`module "${this.name}" does not declare saga "${saga.name}" in its sagas`);
        effects.sagas++;
        return insertSaga(trx, saga, input, options?.id);
      },
    };
  }

  afterCommit(effects: TransactionEffects): void {
    if (effects.published.length > 0) this.onPublished?.();
    if (effects.sagas > 0) this.onSagaStarted?.();
  }

  dependsOn(module: string): boolean {
    return this.#dependsOn.has(module);
  }

  // Per operation and caller, made once: spans share them (a span copies before it changes one).
  readonly #attributes = new Map<string, Map<string, SpanAttributes>>();
  #spanAttributes(operation: string, caller: string): SpanAttributes {
    let byCaller = this.#attributes.get(operation);
    if (byCaller === undefined) this.#attributes.set(operation, (byCaller = new Map()));
    let attributes = byCaller.get(caller);
    if (attributes === undefined) byCaller.set(caller, (attributes = Object.freeze(rpcServerAttributes(this.name, operation, caller))));
    return attributes;
  }

  async handle(operation: string, input: unknown, ctx: RequestContext): Promise<unknown> {
    // Own properties only: a name like "constructor" from the wire must not reach Object.prototype.
    const op = Object.hasOwn(this.#operations, operation) ? this.#operations[operation] : undefined;
    const handler = Object.hasOwn(this.#handlers, operation) ? this.#handlers[operation] : undefined;
    if (op === undefined || handler === undefined) {
      throw errors.UNKNOWN_OPERATION(`module "${this.name}" has no operation "${operation}"`);
    }
    if (Date.now() >= ctx.deadline) {
      throw errors.DEADLINE_EXCEEDED(`${op.id} was called after its deadline`);
    }
    const parsed = op.input.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, `invalid input for ${op.id}`);

    // One async frame on the untraced path: each extra await layer costs ~35 ns a call.
    const span = this.tracer.enabled ? this.tracer.startSpan(op.id, ctx.trace, 'server', this.#spanAttributes(operation, ctx.caller)) : undefined;
    try {
      const result = await handler(parsed.data, new HandlerContext(this, op.id, ctx, span ? span.trace : ctx.trace));
      const output = op.output.safeParse(result);
      if (!output.success) {
        // The callee broke its own contract: a bug on this side, not the caller's fault.
        const err = validationFailed(output.error, `output of ${op.id}`);
        this.logger.error({ err, operation: op.id, ...traceLogFields(span ? span.trace : ctx.trace) }, 'operation returned a value that breaks its contract');
        throw errors.OUTPUT_INVALID(err.detail, err.details);
      }
      span?.end();
      return output.data;
    } catch (err) {
      span?.end(err);
      if (err instanceof CleaveError) throw err;
      // A bug in the handler: the caller gets what it would get over HTTP, a 500 that reveals nothing.
      this.logger.error({ err, operation: op.id, ...traceLogFields(span ? span.trace : ctx.trace) }, 'operation failed');
      throw errors.INTERNAL(undefined, undefined, err);
    }
  }
}

/** The `ctx` a handler receives; one small object per call, methods on the prototype. */
class HandlerContext implements ModuleContext<unknown> {
  readonly trace: TraceContext;
  readonly user: AuthenticatedUser | undefined;
  readonly caller: string;
  readonly deadline: number;
  readonly idempotencyKey: string | undefined;
  readonly #runtime: ModuleRuntime;
  readonly #operation: string;
  #log: Logger | undefined;

  constructor(runtime: ModuleRuntime, operation: string, request: RequestContext, trace: TraceContext) {
    this.#runtime = runtime;
    this.#operation = operation;
    this.trace = trace;
    this.user = request.user;
    this.caller = request.caller;
    this.deadline = request.deadline;
    this.idempotencyKey = request.idempotencyKey;
  }

  get module(): string {
    return this.#runtime.name;
  }

  get db(): Kysely<unknown> {
    return this.#runtime.db;
  }

  get log(): Logger {
    // A child logger costs more than many calls do: made only when a handler logs.
    this.#log ??= this.#runtime.logger.child(traceLogFields(this.trace));
    return this.#log;
  }

  transaction<T>(fn: (tx: ModuleTransaction<unknown>) => Promise<T>): Promise<T> {
    return this.#runtime.transaction(this.trace, fn);
  }

  idempotent<T>(fn: (tx: ModuleTransaction<unknown>) => Promise<T>): Promise<T> {
    if (this.idempotencyKey === undefined) return this.transaction(fn);
    // Keys are scoped by end user: two users who pick the same key never share an outcome.
    // Prefixed so that no anonymous key can spell a user's scoped key.
    const key = this.user === undefined ? `-:${this.idempotencyKey}` : `u:${this.user.id}:${this.idempotencyKey}`;
    return runOnce(this.#runtime.db, this.#operation, key, (body) => this.transaction(body), fn);
  }

  call<Op extends AnyOperation>(op: Op, input: OperationInput<Op>, options?: CallOptions): Promise<OperationOutput<Op>> {
    const runtime = this.#runtime;
    if (!runtime.dependsOn(op.module)) {
      return Promise.reject(
        errors.UNDECLARED_DEPENDENCY(`module "${runtime.name}" called ${op.id} but does not declare "${op.module}" in dependsOn`),
      );
    }
    return runtime.router.callFrom(this, runtime.name, op, input, options) as Promise<OperationOutput<Op>>;
  }
}
