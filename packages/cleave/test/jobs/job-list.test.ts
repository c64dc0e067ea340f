import { expect, it } from 'vitest';
import { jobCursor, listJobs, newestJobs } from '../../src/jobs/job-queries.ts';
import type { JobListFilter } from '../../src/jobs/job-queries.ts';
import { onEachJobDatabase, seedJob } from './job-databases.ts';

onEachJobDatabase((db) => {
  const ids = async (filter: JobListFilter) => (await listJobs('work', db(), filter)).map((j) => j.id);
  const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 8, 0, second));
  let seeded: string[];

  it('lists newest first, narrowed by status, name and queue', async () => {
    await db().deleteFrom('jobs').execute();
    seeded = [
      await seedJob(db(), { name: 'mail', queue: 'out', status: 'done', createdAt: at(1), finishedAt: at(2) }),
      await seedJob(db(), { name: 'mail', queue: 'out', status: 'dead', createdAt: at(2), finishedAt: at(3) }),
      await seedJob(db(), { name: 'tick', status: 'pending', createdAt: at(3) }),
      // Two jobs created in the same millisecond: the id orders them, so paging neither skips nor repeats one.
      await seedJob(db(), { name: 'tick', status: 'done', createdAt: at(4), finishedAt: at(5) }),
      await seedJob(db(), { name: 'mail', queue: 'out', status: 'running', createdAt: at(4) }),
    ];
    const [mailDone, mailDead, tickPending, tickDone, mailRunning] = seeded as [string, string, string, string, string];
    expect(await ids({})).toEqual([mailRunning, tickDone, tickPending, mailDead, mailDone]);
    expect(await ids({ statuses: ['done', 'dead'] })).toEqual([tickDone, mailDead, mailDone]);
    expect(await ids({ name: 'tick' })).toEqual([tickDone, tickPending]);
    expect(await ids({ queue: 'out', statuses: ['running'] })).toEqual([mailRunning]);
    expect(await ids({ name: 'nothing' })).toEqual([]);
  });

  it('pages back from the last job shown, or from an instant', async () => {
    const pages: string[][] = [];
    let before: JobListFilter['before'];
    for (;;) {
      const page = await ids({ limit: 2, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      pages.push(page);
      before = await jobCursor(db(), page.at(-1) as string);
    }
    expect(pages.flat()).toEqual([...seeded].reverse());
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    // An instant: the jobs created strictly before it.
    expect(await ids({ before: { createdAt: at(4) } })).toEqual([seeded[2], seeded[1], seeded[0]]);
    expect(await jobCursor(db(), 'no-such-job')).toBeUndefined();
  });
});

it("merges modules' pages into one, newest first, and says whether a next page may hold more", () => {
  const job = (module: string, id: string, second: number) => ({ id, module, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString() }) as Parameters<typeof newestJobs>[0][number][number];
  const a = [job('a', 'a2', 5), job('a', 'a1', 3)];
  const b = [job('b', 'b2', 4), job('b', 'b1', 3)];
  expect(newestJobs([a, b], 3)).toEqual({ jobs: [a[0], b[0], b[1]], more: true });
  expect(newestJobs([a, b], 4).jobs.map((j) => j.id)).toEqual(['a2', 'b2', 'b1', 'a1']);
  expect(newestJobs([a.slice(0, 1), b.slice(0, 1)], 3).more).toBe(false);
});
