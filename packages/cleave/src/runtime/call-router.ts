import { errors } from '../errors/framework-errors.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { CallOptions, RequestContext } from '../module/request-context.ts';
import { withDeadline } from '../util/with-deadline.ts';
import type { BoundCall, CallDispatcher, CallTransport } from '../transport/call-transport.ts';
import { bootErrors } from '../errors/boot-errors.ts';

/**
 * Maps each module to the transport that reaches it from this service: in-process for
 * the modules hosted here, HTTP for the others. The topology fills it at boot; module
 * code never sees which one a call takes.
 */
export interface CallRouterOptions {
  /** Calls made by module code and aggregates skip re-validation in process (`defineApp({ trustInProcessCalls })`). */
  readonly trustInProcessCalls?: boolean | undefined;
}

export class CallRouter implements CallDispatcher {
  readonly #routes = new Map<string, CallTransport>();
  readonly #trustCalls: boolean;

  constructor(options: CallRouterOptions = {}) {
    this.#trustCalls = options.trustInProcessCalls === true;
  }

  register(module: string, transport: CallTransport): void {
    if (this.#routes.has(module)) throw bootErrors.MODULE_ROUTED_TWICE(`module "${module}" is routed twice`);
    this.#routes.set(module, transport);
  }

  has(module: string): boolean {
    return this.#routes.has(module);
  }

  transportFor(module: string): CallTransport | undefined {
    return this.#routes.get(module);
  }

  /**
   * A call made on behalf of `parent` by `caller`: the child context inherits trace, user
   * and deadline (shortened by an explicit `timeoutMs`, which is then kept on every
   * transport), and carries only the idempotency key given for this call. The caller is
   * typed code, so the call is trusted when the app trusts in-process calls.
   */
  callFrom(parent: RequestContext, caller: string, op: AnyOperation, input: unknown, options?: CallOptions): Promise<unknown> {
    const timeout = options?.timeoutMs;
    const deadline = timeout === undefined ? parent.deadline : Math.min(parent.deadline, Date.now() + timeout);
    const call = this.#send(op, input, { trace: parent.trace, user: parent.user, caller, deadline, idempotencyKey: options?.idempotencyKey }, this.#trustCalls);
    return timeout === undefined ? call : withDeadline(call, deadline, op.id);
  }

  /** A call with outside input (a gateway route): never trusted, always validated by the callee. */
  dispatch(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    return this.#send(op, input, ctx, false);
  }

  // Per operation, its transport's invoke bound on first use: a call is one lookup (by the
  // operation object) instead of one by module here and one by name in the callee. Routes
  // are only added (at boot), so a bound call never goes stale; a miss is not cached.
  readonly #bound = new Map<AnyOperation, BoundCall>();

  #send(op: AnyOperation, input: unknown, ctx: RequestContext, trusted: boolean): Promise<unknown> {
    const bound = this.#bound.get(op) ?? this.#bind(op);
    if (bound === undefined) {
      return Promise.reject(errors.UNKNOWN_OPERATION(`no service hosts module "${op.module}" (operation ${op.id})`));
    }
    return bound(input, ctx, trusted);
  }

  #bind(op: AnyOperation): BoundCall | undefined {
    const transport = this.#routes.get(op.module);
    if (transport === undefined) return undefined;
    const bound: BoundCall = transport.bind?.(op) ?? ((input, ctx, trusted) => transport.invoke(op, input, ctx, trusted));
    this.#bound.set(op, bound);
    return bound;
  }

  async close(): Promise<void> {
    const transports = new Set(this.#routes.values());
    await Promise.all([...transports].map((t) => t.close?.()));
  }
}
