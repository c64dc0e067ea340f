import { errors } from '../errors/framework-errors.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { CallOptions, RequestContext } from '../module/request-context.ts';
import { withDeadline } from '../util/with-deadline.ts';
import type { CallDispatcher, CallTransport } from '../transport/call-transport.ts';
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

  #send(op: AnyOperation, input: unknown, ctx: RequestContext, trusted: boolean): Promise<unknown> {
    const transport = this.#routes.get(op.module);
    if (transport === undefined) {
      return Promise.reject(errors.UNKNOWN_OPERATION(`no service hosts module "${op.module}" (operation ${op.id})`));
    }
    return transport.invoke(op, input, ctx, trusted);
  }

  async close(): Promise<void> {
    const transports = new Set(this.#routes.values());
    await Promise.all([...transports].map((t) => t.close?.()));
  }
}
