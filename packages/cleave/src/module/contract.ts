import type { z } from 'zod';
import { defineErrors } from '../errors/define-errors.ts';
import type { ErrorRegistry, ErrorSpec } from '../errors/define-errors.ts';
import { configErrors } from '../errors/boot-errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How an operation is exposed as a public route at the gateway, under `/api/v1`. */
export interface HttpExposure {
  readonly method: HttpMethod;
  /** Hono-style path relative to `/api/v1`, e.g. `/posts/:id`. */
  readonly path: string;
  /** Status of a successful answer; 204 sends no body. Default 200. */
  readonly status?: number;
  /** `user` (default) needs a valid access token; `public` does not. */
  readonly auth?: 'user' | 'public';
  /** Name of an extra gateway rate-limit policy for this route (e.g. `auth`). */
  readonly rateLimit?: string;
  readonly summary?: string;
  /**
   * `raw`: the request body is bytes, not JSON. The input gets them as `body` (see
   * `bytes()`) and the request's `Content-Type` as `contentType`; path parameters and
   * the query string fill the other fields. Default `json`.
   */
  readonly body?: 'json' | 'raw';
  /** For a raw body: the accepted `Content-Type`s (others get 415). */
  readonly contentTypes?: readonly string[];
  /** For a raw body: its size limit, in place of the gateway's JSON limit (larger gets 413). */
  readonly maxBytes?: number;
}

/** One callable of a module: typed input and output, and how it may be retried and exposed. */
export interface OperationSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  /** Safe to retry: a second call with the same input has no further effect. */
  readonly idempotent?: boolean;
  readonly http?: HttpExposure;
  readonly description?: string;
}

export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> extends OperationSpec<I, O> {
  readonly module: string;
  readonly name: string;
  /** `module.name`: the operation's address on every transport. */
  readonly id: string;
}

/** An event a module publishes: a versioned name and a payload schema. */
export interface EventSpec<P extends z.ZodType = z.ZodType> {
  readonly payload: P;
  /** The aggregate an event belongs to; events of one aggregate are delivered in order. */
  readonly aggregateKey?: (payload: z.output<P>) => string;
}

export interface EventDefinition<P extends z.ZodType = z.ZodType> extends EventSpec<P> {
  readonly module: string;
  readonly name: string;
}

export type AnyOperation = Operation<z.ZodType, z.ZodType>;
export type OperationInput<Op extends AnyOperation> = z.input<Op['input']>;
export type OperationOutput<Op extends AnyOperation> = z.output<Op['output']>;

type OperationsOf<Ops extends Record<string, OperationSpec>> = {
  readonly [K in keyof Ops]: Operation<Ops[K]['input'], Ops[K]['output']>;
};
type EventsOf<Evs extends Record<string, EventSpec>> = {
  readonly [K in keyof Evs]: EventDefinition<Evs[K]['payload']>;
};

/** What a module shows the others: the only thing another module may import. */
export interface ContractShape<
  N extends string = string,
  Ops extends Record<string, OperationSpec> = Record<string, OperationSpec>,
  Evs extends Record<string, EventSpec> = Record<string, EventSpec>,
  Errs extends Record<string, ErrorSpec> = Record<string, ErrorSpec>,
> {
  readonly $name: N;
  readonly $operations: OperationsOf<Ops>;
  readonly $events: EventsOf<Evs>;
  readonly $errors: ErrorRegistry<Errs>;
}

export type Contract<
  N extends string = string,
  Ops extends Record<string, OperationSpec> = Record<string, OperationSpec>,
  Evs extends Record<string, EventSpec> = Record<string, EventSpec>,
  Errs extends Record<string, ErrorSpec> = Record<string, ErrorSpec>,
> = ContractShape<N, Ops, Evs, Errs> & OperationsOf<Ops>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the widest contract, for registries.
export type AnyContract = Contract<string, any, any, any>;

/** Declares an operation's shape (used inside `defineContract`). */
export function operation<I extends z.ZodType, O extends z.ZodType>(spec: OperationSpec<I, O>): OperationSpec<I, O> {
  return spec;
}

/** Declares an event's payload (used inside `defineContract`). */
export function event<P extends z.ZodType>(payload: P, options: Omit<EventSpec<P>, 'payload'> = {}): EventSpec<P> {
  return { payload, ...options };
}

/**
 * Declares a module's contract: its operations, the events it publishes and its errors.
 * Operations are reachable as properties, so a call reads `ctx.call(users.getUser, {id})`.
 *
 * @example
 * export const users = defineContract('users', {
 *   operations: { getUser: operation({ input: z.object({ id: z.string() }), output: User, idempotent: true }) },
 *   events: { 'user.created.v1': event(z.object({ userId: z.string() })) },
 *   errors: { EMAIL_TAKEN: { status: 409, title: 'Email already registered' } },
 * });
 */
export function defineContract<
  const N extends string,
  const Ops extends Record<string, OperationSpec>,
  const Evs extends Record<string, EventSpec> = Record<never, EventSpec>,
  const Errs extends Record<string, ErrorSpec> = Record<never, ErrorSpec>,
>(name: N, def: { operations: Ops; events?: Evs; errors?: Errs }): Contract<N, Ops, Evs, Errs> {
  const operations: Record<string, Operation> = {};
  for (const [opName, spec] of Object.entries(def.operations)) {
    if (opName.startsWith('$')) throw configErrors.OPERATION_NAME(`${name}: operation names may not start with "$" (${opName})`);
    operations[opName] = Object.freeze({ ...spec, module: name, name: opName, id: `${name}.${opName}` });
  }
  const events: Record<string, EventDefinition> = {};
  for (const [eventName, spec] of Object.entries(def.events ?? {})) {
    if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\.v\d+$/.test(eventName)) {
      throw configErrors.EVENT_NAME(`${name}: event "${eventName}" must be a versioned name like "user.created.v1"`);
    }
    events[eventName] = Object.freeze({ ...spec, module: name, name: eventName });
  }
  const contract = {
    ...operations,
    $name: name,
    $operations: operations,
    $events: events,
    $errors: defineErrors(name, def.errors ?? {}),
  };
  return Object.freeze(contract) as unknown as Contract<N, Ops, Evs, Errs>;
}
