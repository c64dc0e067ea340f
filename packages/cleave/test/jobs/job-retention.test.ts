import { expect, it } from 'vitest';
import { insertJob } from '../../src/jobs/enqueue.ts';
import { JobPruneSchedule, pruneFinishedJobs } from '../../src/jobs/job-retention.ts';
import { daysAgo, onEachJobDatabase, seedJob } from './job-databases.ts';
import { recordJob } from './jobs-app.ts';

onEachJobDatabase((db) => {
  it('deletes done jobs past their retention and dead ones past theirs, in batches, and nothing live', async () => {
    await db().deleteFrom('jobs').execute();
    for (let i = 0; i < 7; i++) await seedJob(db(), { status: 'done', createdAt: daysAgo(11), finishedAt: daysAgo(10) });
    const kept = [
      await seedJob(db(), { status: 'done', createdAt: daysAgo(2), finishedAt: daysAgo(1) }),
      await seedJob(db(), { status: 'dead', createdAt: daysAgo(11), finishedAt: daysAgo(10) }),
      // Created long ago but not finished: a job still waiting or running is never pruned.
      await seedJob(db(), { status: 'pending', createdAt: daysAgo(60) }),
      await seedJob(db(), { status: 'running', createdAt: daysAgo(60) }),
    ];
    await seedJob(db(), { status: 'dead', createdAt: daysAgo(41), finishedAt: daysAgo(40) });
    await seedJob(db(), { status: 'dead', createdAt: daysAgo(41), finishedAt: daysAgo(40) });

    expect(await pruneFinishedJobs(db(), { doneBefore: daysAgo(7), deadBefore: daysAgo(30), batch: 3 })).toBe(9);
    expect((await db().selectFrom('jobs').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(kept);
    expect(await pruneFinishedJobs(db(), { doneBefore: daysAgo(7), deadBefore: daysAgo(30), batch: 3 })).toBe(0);
  });

  it('keeps dead jobs when they have no cut-off, and stops after maxBatches', async () => {
    await db().deleteFrom('jobs').execute();
    for (let i = 0; i < 5; i++) await seedJob(db(), { status: 'done', finishedAt: daysAgo(10) });
    await seedJob(db(), { status: 'dead', finishedAt: daysAgo(400) });
    expect(await pruneFinishedJobs(db(), { doneBefore: daysAgo(7), batch: 2, maxBatches: 2 })).toBe(4);
    expect(await pruneFinishedJobs(db(), { doneBefore: daysAgo(7), batch: 2 })).toBe(1);
    expect((await db().selectFrom('jobs').select('status').execute()).map((r) => r.status)).toEqual(['dead']);
  });

  it("frees a pruned job's dedupe key: the same key enqueues a new job, while a kept job's key still dedupes", async () => {
    await db().deleteFrom('jobs').execute();
    const pruned = await seedJob(db(), { status: 'done', finishedAt: daysAgo(10), key: 'k-old' });
    const kept = await seedJob(db(), { status: 'done', finishedAt: daysAgo(1), key: 'k-new' });
    await pruneFinishedJobs(db(), { doneBefore: daysAgo(7) });
    const again = await insertJob(db(), recordJob, { text: 'again' }, { key: 'k-old' }, null);
    expect(again).not.toBe(pruned);
    expect(await insertJob(db(), recordJob, { text: 'again' }, { key: 'k-new' }, null)).toBe(kept);
  });

  it('prunes on the first pass, then at most once per interval', async () => {
    await db().deleteFrom('jobs').execute();
    const schedule = new JobPruneSchedule({ doneMs: 7 * 86_400_000, deadMs: undefined }, 60_000);
    const now = Date.now();
    await seedJob(db(), { status: 'done', finishedAt: daysAgo(8, now) });
    expect(await schedule.pruneIfDue(db(), now)).toBe(1);
    await seedJob(db(), { status: 'done', finishedAt: daysAgo(8, now) });
    expect(await schedule.pruneIfDue(db(), now + 59_999)).toBe(0);
    expect(await schedule.pruneIfDue(db(), now + 60_000)).toBe(1);
  });
});
