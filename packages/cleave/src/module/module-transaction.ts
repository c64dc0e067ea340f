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

/**
 * What `enqueue` needs of a job: its name and payload schema. Structural, like
 * `StartableSaga`, so `module/` does not depend on the jobs package.
 */
export interface EnqueueableJob<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly payload: S;
}

/** When and how often a job runs: a delay or a time, and a key that makes a second enqueue a no-op. */
export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds after the commit. */
  readonly delayMs?: number;
  /** Run no earlier than this time (wins over `delayMs`). */
  readonly runAt?: Date;
  /**
   * Dedupe key: while a job of this name with this key exists (pending, running, done or
   * dead), enqueueing another is a no-op that returns the existing job's id. Finished jobs
   * are deleted after their retention (`CLEAVE_JOBS_RETAIN_DONE`, 7 days; `..._DEAD`, 30),
   * and then the key is free: it dedupes retries of one enqueue, not "once ever". Schedule
   * ticks do not rely on it (`job_schedules.last_tick` runs each tick once).
   */
  readonly key?: string;
}

/** Enqueues a job of this module inside the current transaction; returns its id (the existing one for a duplicate key). */
export type EnqueueFn = <S extends z.ZodType>(job: EnqueueableJob<S>, payload: z.input<S>, options?: EnqueueOptions) => Promise<string>;

/** What a transaction of a module can do: write its tables, and publish events, start sagas and enqueue jobs atomically with them. */
export interface ModuleTransaction<DB> {
  readonly db: Transaction<DB>;
  readonly publish: PublishFn;
  readonly startSaga: StartSagaFn;
  readonly enqueue: EnqueueFn;
}

/** What a transaction did that needs a nudge after it commits: event names published, sagas started, jobs enqueued. */
export interface TransactionEffects {
  readonly published: string[];
  sagas: number;
  jobs: number;
}

export function noEffects(): TransactionEffects {
  return { published: [], sagas: 0, jobs: 0 };
}
