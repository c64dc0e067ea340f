import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModuleDatabase } from '../../src/data/module-database.ts';
import type { ModuleDatabase } from '../../src/data/module-database.ts';
import type { JobTables } from '../../src/jobs/job-tables.ts';
import { settingsFromEnv, startService } from '../../src/index.ts';
import type { RunningService } from '../../src/index.ts';
import type { ModuleRuntime } from '../../src/runtime/module-runtime.ts';
import { newTraceContext } from '../../src/telemetry/trace-context.ts';
import { createTestDatabase } from '../../src/testing/test-database.ts';
import { waitFor } from '../event-transports/wait-for.ts';
import { flakyJob, hangJob, jobsApp, limitedJob, oneService, recordJob } from './jobs-app.ts';
import { mostStartsInAnyWindow } from './starts-in-window.ts';

const serverUrl = process.env.DATABASE_URL;
const root = resolve(import.meta.dirname, '../../../..');
const run = promisify(execFile);

export interface Tables extends JobTables {
  effects: { job_id: string; text: string; attempt: number; at: Date };
  attempts: { job: string; attempt: number; at: Date };
  switches: { name: string };
  ticks: { tick: string; replica: string };
}

/** What a backend's own tests (`more`) get: the replicas, the module and a reader of its tables. */
export interface JobsSuite {
  readonly work: () => ModuleRuntime;
  readonly db: () => Kysely<Tables>;
  readonly jobOf: (id: string) => Promise<Selectable<Tables['jobs']> | undefined>;
  readonly env: () => Record<string, string>;
  readonly replicas: () => readonly RunningService[];
}

/**
 * The jobs guarantees, on PostgreSQL with two replicas of one service, for a backend chosen
 * by `backendEnv` (CLEAVE_JOBS and what it needs). `more` adds the backend's own tests; they
 * run before the SIGKILL test, which stops the replicas.
 */
export function describeJobsOnPostgres(label: string, backendEnv: () => Record<string, string>, more: (suite: JobsSuite) => void = () => {}, serversSet = true): void {
describe.skipIf(!serverUrl || !serversSet)(`jobs on PostgreSQL, ${label}`, () => {
  let database: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  let replicaA: RunningService;
  let replicaB: RunningService;
  let reader: ModuleDatabase<Tables>;
  const env = (): Record<string, string> => ({ DATABASE_URL: database.url, CLEAVE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...backendEnv() });
  const replica = (name: string) => {
    process.env.JOBS_TEST_REPLICA = name;
    return startService({ app: jobsApp, topology: oneService, listen: false, settings: settingsFromEnv(env()) });
  };
  const work = () => replicaA.modules.get('work')!;
  const db = () => reader.db;
  const jobOf = (id: string): Promise<Selectable<Tables['jobs']> | undefined> => db().selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl as string, 'cleave_jobs');
    dataDir = await mkdtemp(join(tmpdir(), 'cleave-jobs-'));
    // Two replicas of one service: both run `work`'s job worker and its scheduler.
    replicaA = await replica('a');
    replicaB = await replica('b');
    reader = await openModuleDatabase<Tables>('work', { kind: 'postgres', url: database.url });
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([replicaA?.stop(), replicaB?.stop(), reader?.close()]);
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs a job enqueued in a committed transaction, traced under the enqueuing trace', async () => {
    const trace = newTraceContext();
    const id = await work().transaction(trace, (tx) => tx.enqueue(recordJob, { text: 'hello' }));
    await waitFor(async () => (await jobOf(id))?.status === 'done', 'the job to be done');
    const effects = await db().selectFrom('effects').selectAll().where('job_id', '=', id).execute();
    expect(effects.map((e) => e.text)).toEqual(['hello']);
    // The gateway service keeps spans; replica A or B ran it, each has its own store.
    const spans = await waitFor(async () => {
      await Promise.all([replicaA.tracer.flush(), replicaB.tracer.flush()]);
      return [...(replicaA.tracer.store?.trace(trace.traceId) ?? []), ...(replicaB.tracer.store?.trace(trace.traceId) ?? [])].filter((s) => s.name === 'job record');
    }, 'the job run span');
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ kind: 'consumer', status: 'ok', attributes: expect.objectContaining({ 'cleave.job_id': id, 'cleave.attempt': 1 }) });
  });

  it('never runs a job whose transaction rolled back', async () => {
    let rolledBack: string | undefined;
    await expect(work().transaction(newTraceContext(), async (tx) => {
      rolledBack = await tx.enqueue(recordJob, { text: 'rolled back' });
      throw new Error('change refused');
    })).rejects.toThrow('change refused');
    // A job enqueued after it runs; the rolled-back one does not exist at all.
    const after = await work().transaction(newTraceContext(), (tx) => tx.enqueue(recordJob, { text: 'after' }));
    await waitFor(async () => (await jobOf(after))?.status === 'done', 'the later job to be done');
    expect(rolledBack).toBeDefined();
    expect(await jobOf(rolledBack as string)).toBeUndefined();
    expect(await db().selectFrom('effects').select('job_id').where('text', '=', 'rolled back').execute()).toEqual([]);
  });

  it('dedupes by key and waits for a delay', async () => {
    const enqueue = () => work().transaction(newTraceContext(), (tx) => tx.enqueue(recordJob, { text: 'once' }, { key: 'k1', delayMs: 800 }));
    const first = await enqueue();
    const second = await enqueue();
    expect(second).toBe(first);
    await waitFor(async () => (await jobOf(first))?.status === 'done', 'the delayed job to be done');
    const job = (await jobOf(first))!;
    expect(new Date(job.finished_at as Date).getTime() - new Date(job.created_at).getTime()).toBeGreaterThanOrEqual(800);
    expect(await db().selectFrom('jobs').select('id').where('unique_key', '=', 'k1').execute()).toHaveLength(1);
  });

  it('retries a failing job with growing backoff, dead-letters it, and `cleave jobs retry` revives it', async () => {
    const id = await work().transaction(newTraceContext(), (tx) => tx.enqueue(flakyJob, { text: 'flaky' }));
    await waitFor(async () => (await jobOf(id))?.status === 'dead', 'the job to be dead', 30_000);
    const attempts = await db().selectFrom('attempts').selectAll().where('job', '=', id).orderBy('attempt').execute();
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const gaps = attempts.slice(1).map((a, i) => new Date(a.at).getTime() - new Date(attempts[i]!.at).getTime());
    expect(gaps[0]).toBeGreaterThanOrEqual(100); // backoffMs
    expect(gaps[1]).toBeGreaterThanOrEqual(200); // doubled
    expect((await jobOf(id))?.last_error).toBe('flaky: attempt 3 fails');
    const metrics = await (await replicaA.fetch(new Request('http://test/metrics'))).text();
    expect(metrics).toMatch(/cleave_jobs\{[^}]*queue="flaky"[^}]*status="dead"[^}]*\} 1/);

    const cleave = (...args: string[]) =>
      run(process.execPath, [join(root, 'packages/cleave/bin/cleave.mjs'), '--config', join(import.meta.dirname, 'jobs-app.ts'), ...args], { cwd: root, env: { ...process.env, ...env(), JOBS_TEST_SCHEDULES: '0' } });
    const listed = JSON.parse((await cleave('jobs', 'list', '--status', 'dead', '--json')).stdout) as { id: string }[];
    expect(listed.map((j) => j.id)).toContain(id);
    expect((await cleave('jobs', 'show', id)).stdout).toContain('flaky: attempt 3 fails');
    await db().insertInto('switches').values({ name: 'flaky' }).execute();
    expect((await cleave('jobs', 'retry', id)).stdout).toContain(`job ${id} sent back`);
    await expect(cleave('jobs', 'retry', id)).rejects.toMatchObject({ stderr: expect.stringContaining(`no dead job ${id}`) });
    // The CLI wakes no one: a replica finds the revived job by its idle poll.
    await waitFor(async () => (await jobOf(id))?.status === 'done', 'the revived job to be done', 30_000);
    expect(await db().selectFrom('effects').select('attempt').where('job_id', '=', id).execute()).toEqual([{ attempt: 1 }]);
  }, 240_000); // four CLI processes, each loading the config with tsx

  it('starts at most 2 rate-limited jobs per second across two replicas; the others wait, none fails', async () => {
    const ids = await work().transaction(newTraceContext(), async (tx) => Promise.all([1, 2, 3, 4, 5, 6].map((n) => tx.enqueue(limitedJob, { text: `limited ${n}` }))));
    // A's commit woke A; B is woken too, so both claim at once and contend for the queue's window.
    replicaB.jobs.get('work')!.wake();
    await waitFor(async () => (await db().selectFrom('jobs').select('id').where('id', 'in', ids).where('status', '=', 'done').execute()).length === 6, 'the six limited jobs to be done', 30_000);
    const rows = await db().selectFrom('jobs').select(['attempts', 'started_at', 'last_error']).where('id', 'in', ids).execute();
    expect(rows.map((r) => [r.attempts, r.last_error])).toEqual(Array.from({ length: 6 }, () => [1, null]));
    const starts = rows.map((r) => new Date(r.started_at as Date).getTime());
    expect(mostStartsInAnyWindow(starts, 1_000)).toBe(2);
    // Six starts at two per second span at least two full windows.
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(2_000);
    expect((await db().selectFrom('effects').select('job_id').where('job_id', 'in', ids).execute()).length).toBe(6);
  }, 60_000);

  it('runs each schedule tick exactly once across two replicas', async () => {
    const since = new Date().toISOString();
    await waitFor(async () => (await db().selectFrom('ticks').select('tick').where('tick', '>', since).execute()).length >= 4, 'four ticks', 20_000);
    const rows = await sql<{ tick: string; runs: string }>`select tick, count(*) as runs from ticks group by tick`.execute(db() as Kysely<unknown>);
    expect(rows.rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.rows.filter((r) => Number(r.runs) !== 1)).toEqual([]);
    // Both replicas took part (the tick jobs are claimed by whichever is free): each tick's job row is one.
    const tickJobs = await db().selectFrom('jobs').select(['unique_key']).where('name', '=', 'everySecond').execute();
    expect(new Set(tickJobs.map((j) => j.unique_key)).size).toBe(tickJobs.length);
  }, 30_000);

  it('`cleave jobs run` enqueues a schedule\'s job for this instant; a running replica picks it up by its poll', async () => {
    const cleave = (...args: string[]) => run(process.execPath, [join(root, 'packages/cleave/bin/cleave.mjs'), '--config', join(import.meta.dirname, 'jobs-app.ts'), ...args], { cwd: root, env: { ...process.env, ...env() } });
    const { stdout } = await cleave('jobs', 'run', 'everySecond');
    expect(stdout).toMatch(/^work\.everySecond enqueued for \S+ as job \S+ \(a running worker picks it up within 16 s\)/);
    const [, runTick, runId] = /enqueued for (\S+) as job (\S+) /.exec(stdout) as RegExpExecArray;
    await waitFor(async () => (await jobOf(runId as string))?.status === 'done', 'the CLI run to be done', 30_000);
    expect((await jobOf(runId as string))?.unique_key).toBe(`manual:${runTick}`);
    expect(await db().selectFrom('ticks').select('tick').where('tick', '=', runTick as string).execute()).toHaveLength(1);
    await expect(cleave('jobs', 'run', 'noSuchSchedule')).rejects.toMatchObject({ stderr: expect.stringContaining('no schedule "noSuchSchedule"') });
  }, 120_000); // two CLI processes, each loading the config with tsx

  more({ work, db, jobOf, env, replicas: () => [replicaA, replicaB] });

  it("runs a job again after its worker is SIGKILLed mid-run, and its effect happens once", async () => {
    // Replicas A and B are stopped so the child process is the only worker when the job is enqueued.
    await Promise.all([replicaA.stop(), replicaB.stop()]);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'jobs-worker-process.ts')], {
      cwd: root,
      env: { ...process.env, ...env(), JOBS_TEST_HANG: '1', JOBS_TEST_SCHEDULES: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolveStarted, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolveStarted());
        child.on('exit', (code) => reject(new Error(`worker process exited (${code})`)));
      });
      const { insertJob } = await import('../../src/jobs/enqueue.ts');
      const id = await insertJob(db(), hangJob, { text: 'survives a crash' }, {}, null);
      await waitFor(async () => (await db().selectFrom('effects').select('job_id').where('job_id', '=', id).execute()).length === 1, 'the first attempt\'s effect');
      expect((await jobOf(id))?.status).toBe('running');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      // A new replica claims the job once its lease (timeout 3 s + grace) has expired.
      replicaA = await replica('c');
      await waitFor(async () => (await jobOf(id))?.status === 'done', 'the job to run again and finish', 60_000);
      expect((await jobOf(id))?.attempts).toBe(2);
      const effects = await db().selectFrom('effects').select(['text', 'attempt']).where('job_id', '=', id).execute();
      expect(effects).toEqual([{ text: 'survives a crash', attempt: 1 }]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 240_000); // a child process boots a service
});
}
