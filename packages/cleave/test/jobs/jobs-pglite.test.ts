import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobTables } from '../../src/jobs/job-tables.ts';
import { settingsFromEnv, startService } from '../../src/index.ts';
import type { RunningService } from '../../src/index.ts';
import { newTraceContext } from '../../src/telemetry/trace-context.ts';
import { waitFor } from '../event-transports/wait-for.ts';
import { flakyJob, jobsApp, limitedJob, oneService, recordJob } from './jobs-app.ts';
import { mostStartsInAnyWindow } from './starts-in-window.ts';
import { JobWorker } from '../../src/jobs/job-worker.ts';
import type { PassResult } from '../../src/util/wakeable-loop.ts';
import { daysAgo, seedJob } from './job-databases.ts';

// The same jobs machinery on PGlite (CLEAVE_EMBEDDED=pglite): one process, one connection per module;
// on each backend (BullMQ when REDIS_URL is set).
const backends = [
  { backend: 'table worker', env: { CLEAVE_JOBS: 'database' }, skip: false },
  { backend: 'BullMQ', env: { CLEAVE_JOBS: 'bullmq', REDIS_URL: process.env.REDIS_URL ?? '', CLEAVE_JOBS_NAMESPACE: `jobs-pglite-${randomUUID().slice(0, 8)}` }, skip: !process.env.REDIS_URL },
];

describe.each(backends)('jobs on PGlite, $backend', ({ env, skip }) => {
  let dataDir: string;
  let service: RunningService;
  const db = () => service.modules.get('work')!.db as unknown as Kysely<JobTables & { effects: { job_id: string; text: string }; ticks: { tick: string } }>;

  beforeAll(async () => {
    if (skip) return;
    dataDir = await mkdtemp(join(tmpdir(), 'cleave-jobs-pglite-'));
    service = await startService({ app: jobsApp, topology: oneService, listen: false, settings: settingsFromEnv({ CLEAVE_EMBEDDED: 'pglite', CLEAVE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }) });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(skip)('runs committed jobs, never rolled-back ones, retries to dead, and ticks its schedule', async () => {
    const work = service.modules.get('work')!;
    await expect(work.transaction(newTraceContext(), async (tx) => {
      await tx.enqueue(recordJob, { text: 'rolled back' });
      throw new Error('refused');
    })).rejects.toThrow('refused');
    const id = await work.transaction(newTraceContext(), (tx) => tx.enqueue(recordJob, { text: 'on pglite' }));
    const flaky = await work.transaction(newTraceContext(), (tx) => tx.enqueue(flakyJob, { text: 'flaky' }));
    await waitFor(async () => (await db().selectFrom('jobs').select('status').where('id', '=', id).executeTakeFirst())?.status === 'done', 'the job to be done');
    expect((await db().selectFrom('effects').select('text').execute()).map((e) => e.text)).toEqual(['on pglite']);
    expect(await db().selectFrom('jobs').select('id').where('name', '=', 'record').execute()).toEqual([{ id }]);
    await waitFor(async () => (await db().selectFrom('jobs').select('status').where('id', '=', flaky).executeTakeFirst())?.status === 'dead', 'the flaky job to be dead', 30_000);
    await waitFor(async () => (await db().selectFrom('ticks').select('tick').execute()).length >= 2, 'two schedule ticks', 20_000);
  }, 90_000);

  it.skipIf(skip)('holds a rate-limited queue to 2 starts per second: the rest wait, none fails', async () => {
    const work = service.modules.get('work')!;
    const ids = await work.transaction(newTraceContext(), async (tx) => Promise.all([1, 2, 3, 4].map((n) => tx.enqueue(limitedJob, { text: `limited ${n}` }))));
    await waitFor(async () => (await db().selectFrom('jobs').select('id').where('id', 'in', ids).where('status', '=', 'done').execute()).length === 4, 'the limited jobs to be done', 30_000);
    const rows = await db().selectFrom('jobs').select(['attempts', 'started_at']).where('id', 'in', ids).execute();
    expect(rows.map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
    expect(mostStartsInAnyWindow(rows.map((r) => new Date(r.started_at as Date).getTime()), 1_000)).toBe(2);
  }, 60_000);

  it.skipIf(skip)("a worker's pass deletes finished jobs past their retention, and keeps the rest", async () => {
    class ProbeWorker extends JobWorker {
      passOnce(): Promise<PassResult> {
        return this.pass();
      }
    }
    const jobs = db() as unknown as Kysely<JobTables>;
    const old = await seedJob(jobs, { name: 'record', status: 'done', createdAt: daysAgo(3), finishedAt: daysAgo(2) });
    const oldDead = await seedJob(jobs, { name: 'flaky', status: 'dead', createdAt: daysAgo(3), finishedAt: daysAgo(2) });
    const recent = await seedJob(jobs, { name: 'record', status: 'done', createdAt: daysAgo(1), finishedAt: new Date() });
    const worker = new ProbeWorker(service.modules.get('work')!, [recordJob], [], { retention: { doneMs: 86_400_000, deadMs: undefined } });
    await worker.passOnce();
    await worker.stop();
    const left = (await jobs.selectFrom('jobs').select('id').where('id', 'in', [old, oldDead, recent]).execute()).map((r) => r.id).sort();
    expect(left).toEqual([oldDead, recent].sort());
  });
});
