/**
 * What retention costs and saves on PostgreSQL (DATABASE_URL), a module's `jobs` table
 * with OLD done jobs past retention and RECENT ones inside it (plus a few pending):
 *   - the dashboard's counts per queue and status (`jobCounts`, Done included) and the
 *     newest page (`listJobs`) before and after a prune;
 *   - the prune itself (`pruneFinishedJobs`, batches of 500), without and with a partial
 *     index on `finished_at` (the table has none: only `jobs_claimable` and the keys).
 *
 *   DATABASE_URL=… npx tsx bench/job-retention.ts     BENCH_OLD (200,000), BENCH_RECENT (20,000)
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { migrateModule } from '../packages/cleave/src/data/migrations.ts';
import { openModuleDatabase } from '../packages/cleave/src/data/module-database.ts';
import { jobCounts, listJobs } from '../packages/cleave/src/jobs/job-queries.ts';
import { pruneFinishedJobs } from '../packages/cleave/src/jobs/job-retention.ts';
import { JOB_MIGRATION_TABLE, jobTableMigrations } from '../packages/cleave/src/jobs/job-tables.ts';
import type { JobTables } from '../packages/cleave/src/jobs/job-tables.ts';
import { createTestDatabase } from '../packages/cleave/src/testing/test-database.ts';
import { environment, formatTable, writeJson } from './lib/measure.ts';

const OLD = Number(process.env.BENCH_OLD ?? 200_000);
const RECENT = Number(process.env.BENCH_RECENT ?? 20_000);
const DAY = 86_400_000;

async function seed(db: Kysely<JobTables>): Promise<void> {
  await sql`delete from jobs`.execute(db);
  // Finished 8–38 days ago (old) or within the last 6 days (recent); ids in creation order.
  await sql`insert into jobs (id, name, queue, payload, status, attempts, max_attempts, run_at, created_at, finished_at)
    select 'old-' || lpad(i::text, 8, '0'), 'tick', 'tick', '{}', 'done', 1, 5, t, t, t
    from (select i, now() - interval '38 days' + (i * interval '30 days' / ${OLD}) as t from generate_series(1, ${OLD}) i) s`.execute(db);
  await sql`insert into jobs (id, name, queue, payload, status, attempts, max_attempts, run_at, created_at, finished_at)
    select 'new-' || lpad(i::text, 8, '0'), 'tick', 'tick', '{}', case when i % 100 = 0 then 'pending' else 'done' end, 1, 5, t, t, case when i % 100 = 0 then null else t end
    from (select i, now() - interval '6 days' + (i * interval '6 days' / ${RECENT}) as t from generate_series(1, ${RECENT}) i) s`.execute(db);
  await sql`vacuum analyze jobs`.execute(db);
}

async function timed<T>(fn: () => Promise<T>, runs = 5): Promise<{ ms: number; value: T }> {
  let value = await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    value = await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, value };
}

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('bench/job-retention.ts needs DATABASE_URL');
const database = await createTestDatabase(serverUrl, 'cleave_bench_retention');
const opened = await openModuleDatabase<JobTables>('work', { kind: 'postgres', url: database.url });
const db = opened.db;
const rows: string[][] = [];
const results: Record<string, number> = {};
const record = (name: string, ms: number, note: string) => {
  results[name] = ms;
  rows.push([name, `${ms.toFixed(1)} ms`, note]);
};
try {
  await migrateModule(db as Kysely<unknown>, 'work', jobTableMigrations, JOB_MIGRATION_TABLE);
  for (const indexed of [false, true]) {
    await seed(db);
    if (indexed) await sql`create index if not exists jobs_finished on jobs (finished_at) where status in ('done', 'dead')`.execute(db);
    const label = indexed ? 'with finished_at index' : 'no index';
    if (!indexed) {
      record('jobCounts, before prune', (await timed(() => jobCounts(db, ['pending', 'running', 'done', 'dead']))).ms, `${OLD + RECENT} rows`);
      record('listJobs newest 100, before', (await timed(() => listJobs('work', db, { limit: 100 }))).ms, '');
    }
    const start = performance.now();
    const removed = await pruneFinishedJobs(db, { doneBefore: new Date(Date.now() - 7 * DAY), batch: 500 });
    const total = performance.now() - start;
    record(`prune all, ${label}`, total, `${removed} removed, ${(total / Math.ceil(removed / 500)).toFixed(2)} ms per batch of 500`);
    record(`prune, nothing due, ${label}`, (await timed(() => pruneFinishedJobs(db, { doneBefore: new Date(Date.now() - 7 * DAY) }))).ms, 'the steady state: one statement finding nothing');
    if (!indexed) {
      await sql`vacuum analyze jobs`.execute(db);
      record('jobCounts, after prune', (await timed(() => jobCounts(db, ['pending', 'running', 'done', 'dead']))).ms, `${RECENT} rows`);
      record('listJobs newest 100, after', (await timed(() => listJobs('work', db, { limit: 100 }))).ms, '');
    }
  }
  console.log(formatTable(['scenario', 'median', 'note'], rows));
  writeJson('bench/results/job-retention.json', { environment: environment(), old: OLD, recent: RECENT, results });
} finally {
  await opened.close();
  await database.drop();
}
