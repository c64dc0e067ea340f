import type { AnyOperation } from '../module/contract.ts';
import type { RequestContext } from '../module/request-context.ts';
import type { BoundCall, CallTransport, OperationHost } from './call-transport.ts';

/** Same process: the call is a direct invocation of the callee's runtime. */
export class InProcessTransport implements CallTransport {
  readonly kind = 'in-process';
  readonly #host: OperationHost;
  constructor(host: OperationHost) {
    this.#host = host;
  }
  invoke(op: AnyOperation, input: unknown, ctx: RequestContext, trusted = false): Promise<unknown> {
    return this.#host.handle(op.name, input, ctx, trusted);
  }
  bind(op: AnyOperation): BoundCall {
    return this.#host.bind?.(op.name) ?? ((input, ctx, trusted) => this.#host.handle(op.name, input, ctx, trusted));
  }
}
