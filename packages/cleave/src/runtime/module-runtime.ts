import type { Kysely, Transaction } from 'kysely';
import { publisherFor } from '../events/publish.ts';
import type { AnyJob } from '../jobs/define-job.ts';
import { enqueuerFor } from '../jobs/enqueue.ts';
import type { AnySaga } from '../saga/define-saga.ts';
import { runOnce } from '../saga/idempotency.ts';
import { insertSaga } from '../saga/start-saga.ts';
import { CleaveError } from '../errors/cleave-error.ts';
import { errors } from '../errors/framework-errors.ts';
import { validationFailed } from '../errors/validation.ts';
import type { AnyOperation, OperationInput, OperationOutput } from '../module/contract.ts';
import type { AnyModule } from '../module/define-module.ts';
import type { ModuleContext } from '../module/module-context.ts';
import type { CommitListener, ModuleHost } from '../module/module-host.ts';
import { noEffects } from '../module/module-transaction.ts';
import type { ModuleTransaction, TransactionEffects } from '../module/module-transaction.ts';
import { isPassthroughSchema } from '../module/passthrough-schema.ts';
import type { AuthenticatedUser, CallOptions, RequestContext } from '../module/request-context.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';
import type { SpanAttributes, Tracer } from '../telemetry/tracer.ts';
import { rpcServerAttributes } from '../telemetry/semantic-attributes.ts';
import { traceLogFields } from '../telemetry/log-fields.ts';
import type { BoundCall, OperationHost } from '../transport/call-transport.ts';
import type { CallRouter } from './call-router.ts';

export type { TransactionEffects } from '../module/module-transaction.ts';

type AnyHandler = (input: unknown, ctx: ModuleContext<unknown>) => Promise<unknown>;

/** An operation this module serves, resolved once at construction. */
interface Entry {
  readonly op: AnyOperation;
  readonly handler: AnyHandler;
  /** Its input (output) schema hands a valid value back unchanged: a trusted call may skip parsing it. */
  readonly inputPassthrough: boolean;
  readonly outputPassthrough: boolean;
  /** The validated output, or OUTPUT_INVALID (logged). */
  readonly checkOutput: (result: unknown) => unknown;
  /** What the caller gets for `err` thrown by the handler. */
  readonly failure: (err: unknown) => CleaveError;
  readonly rethrow: (err: unknown) => never;
}

/**
 * One module wired into a service: its handlers, its database and its view of the
 * other modules. `handle` is the callee side of every call, whatever the transport:
 * deadline check, input validation, a server span, the handler, output validation.
 */
export class ModuleRuntime implements OperationHost, ModuleHost {
  readonly name: string;
  readonly db: Kysely<unknown>;
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly router: CallRouter;
  /** The modules this one declares in `dependsOn`. */
  readonly dependencies: ReadonlySet<string>;
  // A Map: a name like "constructor" from the wire never reaches Object.prototype.
  readonly #entries: ReadonlyMap<string, Entry>;

  constructor(definition: AnyModule, db: Kysely<unknown>, logger: Logger, tracer: Tracer, router: CallRouter) {
    this.name = definition.name;
    this.db = db;
    this.logger = logger.child({ module: definition.name });
    this.tracer = tracer;
    this.router = router;
    this.dependencies = new Set(definition.dependsOn);
    const handlers = definition.handlers as unknown as Record<string, AnyHandler>;
    const entries = new Map<string, Entry>();
    for (const [name, op] of Object.entries(definition.contract.$operations as Record<string, AnyOperation>)) {
      const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (handler !== undefined) entries.set(name, this.#entry(op, handler));
    }
    this.#entries = entries;
    this.#sagas = new Map(definition.sagas.map((saga) => [saga.name, saga]));
    this.#jobs = new Map([...definition.jobs, ...definition.schedules.map((s) => s.job)].map((job) => [job.name, job]));
  }

  readonly #sagas: ReadonlyMap<string, AnySaga>;
  readonly #jobs: ReadonlyMap<string, AnyJob>;
  // A list, not a slot: the relay and the saga runner (and whatever comes next) each listen.
  readonly #commitListeners: CommitListener[] = [];

  /** A transaction of this module's database in which events can be published (outbox) and sagas started. */
  async transaction<T>(trace: TraceContext, fn: (tx: ModuleTransaction<unknown>) => Promise<T>): Promise<T> {
    const effects = noEffects();
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
        const declared = this.#sagas.get(saga.name);
        if (declared !== saga) throw new Error(`module "${this.name}" does not declare saga "${saga.name}" in its sagas`);
        effects.sagas++;
        return insertSaga(trx, declared, input, options?.id);
      },
      enqueue: enqueuerFor(this.name, this.#jobs, trx, trace, effects),
    };
  }

  afterCommit(effects: TransactionEffects): void {
    if (effects.published.length === 0 && effects.sagas === 0 && effects.jobs === 0) return;
    for (const listener of this.#commitListeners) listener(effects);
  }

  onCommitted(listener: CommitListener): () => void {
    this.#commitListeners.push(listener);
    return () => {
      const at = this.#commitListeners.indexOf(listener);
      if (at >= 0) this.#commitListeners.splice(at, 1);
    };
  }

  context(request: RequestContext, label: string): ModuleContext<unknown> {
    return new HandlerContext(this, label, request, request.trace);
  }

  dispatch(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    return this.router.dispatch(op, input, ctx);
  }

  dependsOn(module: string): boolean {
    return this.dependencies.has(module);
  }

  /**
   * Runs one operation: deadline check, input validation, the handler (in a server span
   * when tracing is on), output validation. `trusted` (a typed in-process caller, in an app
   * that trusts such calls) skips parsing the input and output where the schemas could not
   * change them. Errors reach the caller as over HTTP: CleaveErrors as they are, anything
   * else as a 500 that reveals nothing.
   */
  handle(operation: string, input: unknown, ctx: RequestContext, trusted = false): Promise<unknown> {
    const entry = this.#entries.get(operation);
    if (entry === undefined) {
      return Promise.reject(errors.UNKNOWN_OPERATION(`module "${this.name}" has no operation "${operation}"`));
    }
    return this.#run(entry, input, ctx, trusted);
  }

  /** `handle` for one operation, looked up now (the in-process transport binds it once). */
  bind(operation: string): BoundCall | undefined {
    const entry = this.#entries.get(operation);
    return entry === undefined ? undefined : (input, ctx, trusted) => this.#run(entry, input, ctx, trusted);
  }

  #run(entry: Entry, input: unknown, ctx: RequestContext, trusted: boolean): Promise<unknown> {
    const op = entry.op;
    if (Date.now() >= ctx.deadline) {
      return Promise.reject(errors.DEADLINE_EXCEEDED(`${op.id} was called after its deadline`));
    }
    let value = input;
    if (!(trusted && entry.inputPassthrough)) {
      const parsed = op.input.safeParse(input);
      if (!parsed.success) return Promise.reject(validationFailed(parsed.error, `invalid input for ${op.id}`));
      value = parsed.data;
    }
    if (this.tracer.enabled) return this.#traced(entry, value, ctx, trusted);
    // Untraced: promise chaining with per-operation callbacks made once, no async frame and
    // no closure per call (each costs about as much as a plain async call).
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(entry.handler(value, new HandlerContext(this, op.id, ctx, ctx.trace)));
    } catch (err) {
      return Promise.reject(entry.failure(err));
    }
    return trusted && entry.outputPassthrough ? pending.then(undefined, entry.rethrow) : pending.then(entry.checkOutput, entry.rethrow);
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

  async #traced(entry: Entry, value: unknown, ctx: RequestContext, trusted: boolean): Promise<unknown> {
    const span = this.tracer.startSpan(entry.op.id, ctx.trace, 'server', this.#spanAttributes(entry.op.name, ctx.caller));
    try {
      const result = await entry.handler(value, new HandlerContext(this, entry.op.id, ctx, span.trace));
      const output = trusted && entry.outputPassthrough ? result : entry.checkOutput(result);
      span.end();
      return output;
    } catch (err) {
      span.end(err);
      if (!(err instanceof CleaveError)) this.logger.error({ err, operation: entry.op.id, ...traceLogFields(span.trace) }, 'operation failed');
      throw err instanceof CleaveError ? err : errors.INTERNAL(undefined, undefined, err);
    }
  }

  /** The entry of one operation, with its callbacks bound once. */
  #entry(op: AnyOperation, handler: AnyHandler): Entry {
    const failure = (err: unknown): CleaveError => {
      if (err instanceof CleaveError) return err;
      // A bug in the handler: the caller gets what it would get over HTTP, a 500 that reveals nothing.
      this.logger.error({ err, operation: op.id }, 'operation failed');
      return errors.INTERNAL(undefined, undefined, err);
    };
    return {
      op,
      handler,
      inputPassthrough: isPassthroughSchema(op.input),
      outputPassthrough: isPassthroughSchema(op.output),
      checkOutput: (result) => {
        const output = op.output.safeParse(result);
        if (output.success) return output.data;
        // The callee broke its own contract: a bug on this side, not the caller's fault.
        const err = validationFailed(output.error, `output of ${op.id}`);
        this.logger.error({ err, operation: op.id }, 'operation returned a value that breaks its contract');
        throw errors.OUTPUT_INVALID(err.detail, err.details);
      },
      failure,
      rethrow: (err) => {
        throw failure(err);
      },
    };
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
    // The set itself, not dependsOn(): one call frame fewer on every call.
    if (!runtime.dependencies.has(op.module)) {
      return Promise.reject(
        errors.UNDECLARED_DEPENDENCY(`module "${runtime.name}" called ${op.id} but does not declare "${op.module}" in dependsOn`),
      );
    }
    return runtime.router.callFrom(this, runtime.name, op, input, options) as Promise<OperationOutput<Op>>;
  }
}
