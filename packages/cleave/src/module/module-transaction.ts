import type { Transaction } from 'kysely';
import type { z } from 'zod';
import type { EventDefinition } from './contract.ts';

/** Publishes an event of this module inside the current transaction (outbox). */
export type PublishFn = <E extends EventDefinition>(event: E, payload: z.input<E['payload']>) => Promise<void>;

/**
 * What `startSaga` needs of a saga: its name and input schema. Structural, so this file
 * (and everything that imports it) does not depend on the saga package.
 */
export interface StartableSaga<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly input: S;
}

/** Starts a saga of this module inside the current transaction; returns its id. */
export type StartSagaFn = <S extends z.ZodType>(saga: StartableSaga<S>, input: z.input<S>, options?: { id?: string }) => Promise<string>;

/** What a transaction of a module can do: write its tables, and publish events and start sagas atomically with them. */
export interface ModuleTransaction<DB> {
  readonly db: Transaction<DB>;
  readonly publish: PublishFn;
  readonly startSaga: StartSagaFn;
}

/** What a transaction did that needs a nudge after it commits: event names published, sagas started. */
export interface TransactionEffects {
  readonly published: string[];
  sagas: number;
}

export function noEffects(): TransactionEffects {
  return { published: [], sagas: 0 };
}
