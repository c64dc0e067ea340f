import { Cron } from 'croner';
import { z } from 'zod';
import { configErrors } from '../errors/boot-errors.ts';
import { defineJob } from './define-job.ts';
import type { JobContext, JobDefinition, JobOptions } from './define-job.ts';

/** A schedule's payload: the tick it runs for (ISO 8601, UTC). */
export const scheduleTick = z.object({ tick: z.iso.datetime() });
export type ScheduleTick = z.output<typeof scheduleTick>;

export interface ScheduleSpec<DB> extends Omit<JobOptions, 'queue'> {
  /** A cron expression: 5 fields (minute precision) or 6 (seconds first), as croner reads them. */
  readonly cron: string;
  /** IANA time zone the expression is read in (`Europe/Berlin`: 08:00 there, summer and winter). Default UTC. */
  readonly timeZone?: string;
  readonly handler: (tick: ScheduleTick, ctx: JobContext<DB>) => Promise<void>;
}

export interface ScheduleDefinition<DB = unknown> {
  readonly kind: 'schedule';
  readonly name: string;
  readonly cron: string;
  readonly timeZone: string;
  /** The job each tick enqueues (same name), keyed by the tick: one run per tick across replicas. */
  readonly job: JobDefinition<typeof scheduleTick, DB>;
  /** The latest tick at or before `at`, if any. */
  previousTick(at: Date): Date | undefined;
  /** The first tick after `at`. */
  nextTick(at: Date): Date | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registries hold schedules of any database type.
export type AnySchedule = ScheduleDefinition<any>;

/**
 * Declares a schedule: a job the module's worker enqueues itself at every tick of a cron
 * expression, read in a time zone. Each tick runs once across all replicas (the tick is
 * the job's dedupe key). Missed ticks (every worker was down): on catch-up the latest
 * missed tick runs once and older ones are skipped; a schedule's first tick is the first
 * one after its first start.
 *
 * @example
 * export const dailyDigest = defineSchedule('dailyDigest', { cron: '0 8 * * *', timeZone: 'Europe/Berlin', handler: async ({ tick }, ctx) => { ... } });
 */
export function defineSchedule<DB = unknown>(name: string, spec: ScheduleSpec<DB>): ScheduleDefinition<DB> {
  const timeZone = spec.timeZone ?? 'UTC';
  let cron: Cron;
  try {
    cron = new Cron(spec.cron, { timezone: timeZone, paused: true });
    cron.nextRun();
  } catch (err) {
    throw configErrors.SCHEDULE_INVALID(`schedule "${name}": ${err instanceof Error ? err.message : String(err)} (cron "${spec.cron}", time zone "${timeZone}")`);
  }
  const { cron: _cron, timeZone: _zone, handler, ...options } = spec;
  const job = defineJob<typeof scheduleTick, DB>(name, { ...options, payload: scheduleTick, handler });
  return Object.freeze({
    kind: 'schedule' as const,
    name,
    cron: spec.cron,
    timeZone,
    job,
    previousTick: (at: Date) => cron.previousRuns(1, at)[0] ?? undefined,
    nextTick: (at: Date) => cron.nextRun(at) ?? undefined,
  });
}
