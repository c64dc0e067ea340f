import type { AnyOperation } from '../module/contract.ts';
import type { CallOptions, RequestContext } from '../module/request-context.ts';

/**
 * How a call reaches the service hosting the callee. The in-process transport is a
 * function call; the HTTP transport (split topology) sends the same call over the wire.
 * Both end in the callee's `ModuleRuntime.handle`, which validates input and output, so
 * the caller sees the same results and errors whichever carries the call.
 */
export interface CallTransport {
  readonly kind: string;
  /**
   * `trusted`: the caller is typed code of this app (a module handler or an aggregate) and
   * the app trusts in-process calls (`defineApp({ trustInProcessCalls })`). Only a
   * transport that stays in the process may act on it; the HTTP one ignores it.
   */
  invoke(op: AnyOperation, input: unknown, ctx: RequestContext, trusted?: boolean): Promise<unknown>;
  /**
   * `invoke` for one operation, resolved once (the router keeps it): a transport that can
   * look the callee up ahead of the call offers it, so a call pays no lookup by name.
   */
  bind?(op: AnyOperation): BoundCall;
  close?(): Promise<void>;
}

/** One operation's `invoke`, bound. */
export type BoundCall = (input: unknown, ctx: RequestContext, trusted: boolean) => Promise<unknown>;

/** The callee side, as a transport sees it: something that can run one operation by name. */
export interface OperationHost {
  handle(operation: string, input: unknown, ctx: RequestContext, trusted?: boolean): Promise<unknown>;
  /** `handle` for one operation, looked up once; undefined when the host has no such operation. */
  bind?(operation: string): BoundCall | undefined;
}

/**
 * Where the gateway sends calls: to whichever transport reaches the callee's module.
 * The runtime's `CallRouter` implements it; the gateway depends on this port only.
 */
export interface CallDispatcher {
  dispatch(op: AnyOperation, input: unknown, ctx: RequestContext): Promise<unknown>;
  /** A call on behalf of `parent` (an aggregate's): trace, user and deadline inherited. */
  callFrom(parent: RequestContext, caller: string, op: AnyOperation, input: unknown, options?: CallOptions): Promise<unknown>;
  /** How calls to a module travel: the gateway checks a remote callee's input before sending. */
  transportFor(module: string): CallTransport | undefined;
}
