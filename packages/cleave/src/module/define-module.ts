import { dirname } from 'node:path';
import type { z } from 'zod';
import type { Migrations } from '../data/migrations.ts';
import { subscribeFn } from '../events/subscription.ts';
import type { SubscribeFn, Subscription } from '../events/subscription.ts';
import type { AnyJob } from '../jobs/define-job.ts';
import type { AnySchedule } from '../jobs/define-schedule.ts';
import type { AnySaga } from '../saga/define-saga.ts';
import { callerFile } from '../util/caller-file.ts';
import type { AnyContract, Operation } from './contract.ts';
import type { ModuleContext } from './module-context.ts';
import { configErrors } from '../errors/boot-errors.ts';

/** A handler: the operation's parsed input in, a value of its output schema out. */
export type Handler<Op, DB> = Op extends Operation<infer I, infer O>
  ? (input: z.output<I>, ctx: ModuleContext<DB>) => Promise<z.input<O>>
  : never;

export type Handlers<C extends AnyContract, DB> = {
  readonly [K in keyof C['$operations']]: Handler<C['$operations'][K], DB>;
};

export interface ModuleSpec<C extends AnyContract, DB> {
  /** The modules this one calls or subscribes to. Calling any other fails. */
  readonly dependsOn?: readonly AnyContract[];
  /** Migrations of the module's own schema, applied at start. */
  readonly migrations?: Migrations;
  readonly handlers: Handlers<C, DB>;
  /**
   * Events of other modules this one reacts to. Each handler runs in a transaction that
   * also marks the event handled in the module's inbox: a redelivery has no second effect.
   *
   * @example
   * subscriptions: (on) => [on(users.$events['user.updated.v1'], async ({ userId, name }, tx) => { ... })]
   */
  readonly subscriptions?: (on: SubscribeFn<DB>) => readonly Subscription<DB>[];
  /** Sagas this module owns (started with `tx.startSaga`, resumed after a restart). */
  readonly sagas?: readonly AnySaga[];
  /**
   * Background jobs of this module (`defineJob`), enqueued with `tx.enqueue` in a
   * transaction of the module. They run in the service that hosts the module, or on the
   * service whose topology entry lists the module under `jobs` (a worker).
   */
  readonly jobs?: readonly AnyJob[];
  /** Cron schedules of this module (`defineSchedule`): each tick runs once across all replicas. */
  readonly schedules?: readonly AnySchedule[];
  /**
   * The module's folder. Default: the folder of the file that calls `defineModule`
   * (`modules/<name>/module.ts` → `modules/<name>`). Boot and `cleave check` verify that
   * the module's code imports no other module's internals and no undeclared contract.
   */
  readonly dir?: string;
}

export interface ModuleDefinition<C extends AnyContract = AnyContract, DB = unknown> {
  readonly name: C['$name'];
  readonly contract: C;
  readonly dependsOn: readonly string[];
  readonly migrations: Migrations;
  readonly handlers: Handlers<C, DB>;
  readonly subscriptions: readonly Subscription<DB>[];
  readonly sagas: readonly AnySaga[];
  readonly jobs: readonly AnyJob[];
  readonly schedules: readonly AnySchedule[];
  /** The module's folder: `spec.dir`, else the folder of the file that defined it. */
  readonly dir: string | undefined;
  /** The file that called `defineModule` (undefined when the stack shows none). */
  readonly definedIn: string | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registries hold modules of any database type.
export type AnyModule = ModuleDefinition<AnyContract, any>;

/**
 * Implements a contract: the module's handlers, dependencies and migrations.
 *
 * @example
 * export const postsModule = defineModule(posts, {
 *   dependsOn: [users],
 *   migrations,
 *   dir: import.meta.dirname,
 *   handlers: { getPost: async ({ id }, ctx) => ... },
 * });
 */
export function defineModule<C extends AnyContract, DB = unknown>(contract: C, spec: ModuleSpec<C, DB>): ModuleDefinition<C, DB> {
  const missing = Object.keys(contract.$operations).filter((op) => typeof (spec.handlers as Record<string, unknown>)[op] !== 'function');
  if (missing.length > 0) {
    throw configErrors.HANDLER_MISSING(`module "${contract.$name}" has no handler for: ${missing.join(', ')}`);
  }
  const dependsOn = (spec.dependsOn ?? []).map((c) => c.$name as string);
  if (dependsOn.includes(contract.$name)) throw configErrors.SELF_DEPENDENCY(`module "${contract.$name}" cannot depend on itself`);
  const subscriptions = spec.subscriptions?.(subscribeFn<DB>()) ?? [];
  for (const { event } of subscriptions) {
    // A module may react to its own events: background work that survives a crash and is retried (media's thumbnails).
    if (event.module !== contract.$name && !dependsOn.includes(event.module)) {
      throw configErrors.SUBSCRIPTION_UNDECLARED(`module "${contract.$name}" subscribes to ${event.name} but does not declare "${event.module}" in dependsOn`);
    }
  }
  const definedIn = callerFile(defineModule);
  const names = subscriptions.map((s) => s.event.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw configErrors.SUBSCRIPTION_TWICE(`module "${contract.$name}" subscribes to ${twice} twice`);
  const jobNames = [...(spec.jobs ?? []), ...(spec.schedules ?? [])].map((j) => j.name);
  const jobTwice = jobNames.find((n, i) => jobNames.indexOf(n) !== i);
  if (jobTwice) throw configErrors.JOB_TWICE(`module "${contract.$name}" declares job or schedule "${jobTwice}" twice`);
  assertQueuesAgree(contract.$name, [...(spec.jobs ?? []), ...(spec.schedules ?? []).map((s) => s.job)]);
  return Object.freeze({
    name: contract.$name,
    subscriptions,
    sagas: spec.sagas ?? [],
    jobs: spec.jobs ?? [],
    schedules: spec.schedules ?? [],
    contract,
    dependsOn,
    migrations: spec.migrations ?? {},
    handlers: spec.handlers,
    dir: spec.dir ?? (definedIn === undefined ? undefined : dirname(definedIn)),
    definedIn,
  });
}

/** Jobs sharing a queue share its rate limit: they must declare the same one (or none). */
function assertQueuesAgree(module: string, jobs: readonly AnyJob[]): void {
  const limits = new Map<string, AnyJob>();
  for (const job of jobs) {
    const first = limits.get(job.queue);
    if (first === undefined) limits.set(job.queue, job);
    else if (first.rateLimit?.max !== job.rateLimit?.max || first.rateLimit?.perMs !== job.rateLimit?.perMs) {
      throw configErrors.JOB_OPTION_INVALID(`module "${module}": jobs "${first.name}" and "${job.name}" share queue "${job.queue}" but declare different rate limits`);
    }
  }
}
