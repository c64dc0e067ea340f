import { errors } from '../errors/framework-errors.ts';
import type { AnyOperation } from '../module/contract.ts';
import type { RequestContext } from '../module/request-context.ts';
import type { CallTransport } from '../transport/call-transport.ts';

/**
 * Maps each module to the transport that reaches it from this service: in-process for
 * the modules hosted here, HTTP for the others. The topology fills it at boot; module
 * code never sees which one a call takes.
 */
export class CallRouter {
  readonly #routes = new Map<string, CallTransport>();

  register(module: string, transport: CallTransport): void {
    if (this.#routes.has(module)) throw new Error(`module "${module}" is routed twice`);
    this.#routes.set(module, transport);
  }

  has(module: string): boolean {
    return this.#routes.has(module);
  }

  transportFor(module: string): CallTransport | undefined {
    return this.#routes.get(module);
  }

  dispatch(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown> {
    const transport = this.#routes.get(op.module);
    if (transport === undefined) {
      return Promise.reject(errors.UNKNOWN_OPERATION(`no service hosts module "${op.module}" (operation ${op.id})`));
    }
    return transport.invoke(op, input, ctx);
  }

  async close(): Promise<void> {
    const transports = new Set(this.#routes.values());
    await Promise.all([...transports].map((t) => t.close?.()));
  }
}
