import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import type { EventDefinition } from '../module/contract.ts';
import type { AnySaga } from '../saga/define-saga.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';

/** Publishes an event of this module inside the current transaction (outbox). */
export type PublishFn = <E extends EventDefinition>(event: E, payload: z.input<E['payload']>) => Promise<void>;

/** Starts a saga of this module inside the current transaction; returns its id. */
export type StartSagaFn = (saga: AnySaga, input: unknown, options?: { id?: string }) => Promise<string>;

/** What a transaction of a module can do: write its tables, and publish events and start sagas atomically with them. */
export interface ModuleTransaction<DB> {
  readonly db: Transaction<DB>;
  readonly publish: PublishFn;
  readonly startSaga: StartSagaFn;
}

/** What an event handler gets: the delivered event, and a transaction that also marks it handled. */
export interface EventContext<DB> extends ModuleTransaction<DB> {
  /** `seq`: the publisher's outbox sequence; it grows with each event of one aggregate (a late redelivery has a lower one). */
  readonly event: { readonly id: string; readonly name: string; readonly publisher: string; readonly aggregateKey: string; readonly seq: string; readonly attempt: number };
  readonly trace: TraceContext;
  readonly log: Logger;
}

export interface Subscription<DB = unknown> {
  readonly event: EventDefinition;
  readonly handler: (payload: unknown, ctx: EventContext<DB>) => Promise<void>;
  /** Attempts before the event is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
}

/** Typed constructor of a subscription, handed to `defineModule({ subscriptions: (on) => [...] })`. */
export type SubscribeFn<DB> = <E extends EventDefinition>(
  event: E,
  handler: (payload: z.output<E['payload']>, ctx: EventContext<DB>) => Promise<void>,
  options?: { maxAttempts?: number },
) => Subscription<DB>;

export function subscribeFn<DB>(): SubscribeFn<DB> {
  return (event, handler, options) => ({ event, handler: handler as Subscription<DB>['handler'], ...(options?.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) });
}

export type AnyKysely = Kysely<unknown>;
