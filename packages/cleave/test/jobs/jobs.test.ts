import { z } from 'zod';
import { expect, it } from 'vitest';
import { defineJob } from '../../src/jobs/define-job.ts';
import { defineSchedule } from '../../src/jobs/define-schedule.ts';
import { insertJob } from '../../src/jobs/enqueue.ts';
import { JobWorker } from '../../src/jobs/job-worker.ts';
import { enqueueRunNow } from '../../src/jobs/schedule-ticks.ts';
import type { PassResult } from '../../src/util/wakeable-loop.ts';
import { waitFor } from '../event-transports/wait-for.ts';
import { describeJobsOnPostgres } from './jobs-suite.ts';
import type { Tables } from './jobs-suite.ts';

// The default backend: each module's jobs table, claimed by its job worker.
describeJobsOnPostgres('table worker', () => ({ CLEAVE_JOBS: 'database' }), ({ work, db, jobOf }) => {
  it('a full window makes the pass sleep until the window frees a start, not poll', async () => {
      // A queue only this worker knows (the replicas leave it alone): one start per minute.
      const probe = defineJob('rateProbe', { payload: z.object({}), rateLimit: { max: 1, perMs: 60_000 }, handler: async () => {} });
      class ProbeWorker extends JobWorker {
        passOnce(): Promise<PassResult> {
          return this.pass();
        }
      }
      const worker = new ProbeWorker(work(), [probe], []);
      const [first, second] = [await insertJob(db(), probe, {}, {}, null), await insertJob(db(), probe, {}, {}, null)];
      expect(await worker.passOnce()).toEqual({ worked: true });
      const blocked = await worker.passOnce();
      expect(blocked.worked).toBe(false);
      // The window frees a minute after the first start: a wait of nearly that, not an idle poll (≤ 16 s) nor 0.
      expect(blocked.nextInMs).toBeGreaterThan(30_000);
      expect(blocked.nextInMs).toBeLessThanOrEqual(60_000);
      // A wake-up while the window is full claims nothing and keeps the wait.
      expect((await worker.passOnce()).worked).toBe(false);
      await worker.stop();
      const statuses = await db().selectFrom('jobs').select(['id', 'status']).where('id', 'in', [first, second]).execute();
      expect(Object.fromEntries(statuses.map((r) => [r.id, r.status]))).toEqual({ [first]: 'done', [second]: 'pending' });
    });

  it('"run now" enqueues a schedule\'s job for this instant, keyed apart from its cron ticks, and leaves last_tick alone', async () => {
    // A schedule that will not tick during the test, run by a worker of its own.
    const newYear = defineSchedule<Tables>('newYear', { cron: '0 0 1 1 *', handler: async ({ tick }, ctx) => { await ctx.db.insertInto('ticks').values({ tick, replica: 'run now' }).execute(); } });
    const worker = new JobWorker(work(), [], [newYear]);
    worker.start();
    try {
      const lastTick = async () => (await db().selectFrom('job_schedules').select('last_tick').where('name', '=', 'newYear').executeTakeFirst())?.last_tick;
      // Its first pass records the latest past tick without running it.
      const recorded = await waitFor(lastTick, 'the schedule seen by its worker');
      expect(new Date(recorded).toISOString()).toBe(newYear.previousTick(new Date())?.toISOString());
      const first = await enqueueRunNow(db(), newYear);
      worker.wake();
      await waitFor(async () => (await jobOf(first.id))?.status === 'done', 'the run-now job to be done');
      expect(await jobOf(first.id)).toMatchObject({ unique_key: `manual:${first.tick}`, payload: { tick: first.tick } });
      expect(await db().selectFrom('ticks').select('tick').where('replica', '=', 'run now').execute()).toEqual([{ tick: first.tick }]);
      expect(new Date((await lastTick()) as Date).toISOString()).toBe(new Date(recorded).toISOString());
      const second = await enqueueRunNow(db(), newYear, new Date(Date.parse(first.tick) + 1));
      expect(second.id).not.toBe(first.id);
    } finally {
      await worker.stop();
    }
  });
});
