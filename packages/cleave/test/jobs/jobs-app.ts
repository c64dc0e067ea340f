import type { Migrations } from '../../src/index.ts';
import { defineApp, defineConfig, defineContract, defineJob, defineModule, defineSchedule, defineTopology, operation } from '../../src/index.ts';
import { z } from 'zod';

/*
 * A small app for the jobs tests: module `work` with a job whose effect is keyed by the
 * job id, a job that fails until a switch is set, a job that hangs after its effect on
 * its first attempt (for the SIGKILL test), a rate-limited job, and a schedule ticking every second.
 */

interface WorkDb {
  effects: { job_id: string; text: string; attempt: number; at: Date };
  attempts: { job: string; attempt: number; at: Date };
  switches: { name: string };
  ticks: { tick: string; replica: string };
}

const migrations: Migrations = {
  '0001_work': {
    async up(db) {
      await db.schema.createTable('effects').addColumn('job_id', 'text', (c) => c.primaryKey()).addColumn('text', 'text', (c) => c.notNull()).addColumn('attempt', 'integer', (c) => c.notNull()).addColumn('at', 'timestamptz', (c) => c.notNull()).execute();
      await db.schema.createTable('attempts').addColumn('job', 'text', (c) => c.notNull()).addColumn('attempt', 'integer', (c) => c.notNull()).addColumn('at', 'timestamptz', (c) => c.notNull()).execute();
      await db.schema.createTable('switches').addColumn('name', 'text', (c) => c.primaryKey()).execute();
      await db.schema.createTable('ticks').addColumn('tick', 'text', (c) => c.notNull()).addColumn('replica', 'text', (c) => c.notNull()).execute();
    },
  },
};

/** The effect, once per job id whatever the redeliveries (`ctx.idempotent` keys on the job). */
export const recordJob = defineJob<z.ZodObject<{ text: z.ZodString }>, WorkDb>('record', {
  payload: z.object({ text: z.string() }),
  handler: async ({ text }, ctx) => {
    await ctx.idempotent(async (tx) => {
      await tx.db.insertInto('effects').values({ job_id: ctx.job.id, text, attempt: ctx.job.attempt, at: new Date() }).execute();
    });
  },
});

/** Fails (recording each attempt) until the switch `flaky` is set. */
export const flakyJob = defineJob<z.ZodObject<{ text: z.ZodString }>, WorkDb>('flaky', {
  payload: z.object({ text: z.string() }),
  maxAttempts: 3,
  backoffMs: 100,
  handler: async ({ text }, ctx) => {
    await ctx.db.insertInto('attempts').values({ job: ctx.job.id, attempt: ctx.job.attempt, at: new Date() }).execute();
    const on = await ctx.db.selectFrom('switches').select('name').where('name', '=', 'flaky').executeTakeFirst();
    if (!on) throw new Error(`flaky: attempt ${ctx.job.attempt} fails`);
    await ctx.db.insertInto('effects').values({ job_id: ctx.job.id, text, attempt: ctx.job.attempt, at: new Date() }).execute();
  },
});

/** Its effect commits, then its first attempt hangs (the test kills that worker); later attempts finish. */
export const hangJob = defineJob<z.ZodObject<{ text: z.ZodString }>, WorkDb>('hang', {
  payload: z.object({ text: z.string() }),
  timeoutMs: 3_000,
  handler: async ({ text }, ctx) => {
    await ctx.idempotent(async (tx) => {
      await tx.db.insertInto('effects').values({ job_id: ctx.job.id, text, attempt: ctx.job.attempt, at: new Date() }).execute();
    });
    if (ctx.job.attempt === 1 && process.env.JOBS_TEST_HANG === '1') await new Promise(() => {});
  },
});

/** A third-party quota: at most 2 starts per second across every worker of the module. */
export const limitedJob = defineJob<z.ZodObject<{ text: z.ZodString }>, WorkDb>('limited', {
  payload: z.object({ text: z.string() }),
  rateLimit: { max: 2, perMs: 1_000 },
  handler: async ({ text }, ctx) => {
    await ctx.idempotent(async (tx) => {
      await tx.db.insertInto('effects').values({ job_id: ctx.job.id, text, attempt: ctx.job.attempt, at: new Date() }).execute();
    });
  },
});

export const everySecond = defineSchedule<WorkDb>('everySecond', {
  cron: '* * * * * *',
  handler: async ({ tick }, ctx) => {
    await ctx.db.insertInto('ticks').values({ tick, replica: process.env.JOBS_TEST_REPLICA ?? 'main' }).execute();
  },
});

const work = defineContract('work', {
  operations: {
    ping: operation({ input: z.object({}), output: z.object({ ok: z.boolean() }) }),
  },
});

export const workModule = defineModule<typeof work, WorkDb>(work, {
  migrations,
  handlers: { ping: async () => ({ ok: true }) },
  jobs: [recordJob, flakyJob, hangJob, limitedJob],
  schedules: process.env.JOBS_TEST_SCHEDULES === '0' ? [] : [everySecond],
});

export const jobsApp = defineApp({ name: 'jobs-test', version: '0', modules: [workModule] });
export const oneService = defineTopology({ name: 'one', services: { one: { modules: ['work'], roles: ['gateway'] } } });

export default defineConfig({ app: jobsApp, topologies: { one: oneService } });
