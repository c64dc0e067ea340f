import type { z } from 'zod';
import type { EventDefinition } from '../module/contract.ts';
import type { ModuleTransaction } from '../module/module-transaction.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';

// Kept here for code written against the old home; they live beside transactions now.
export type { ModuleTransaction, PublishFn, StartSagaFn } from '../module/module-transaction.ts';

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
