import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe } from 'vitest';
import { migrateModule } from '../../src/data/migrations.ts';
import { openModuleDatabase } from '../../src/data/module-database.ts';
import type { ModuleDatabase } from '../../src/data/module-database.ts';
import { JOB_MIGRATION_TABLE, jobTableMigrations } from '../../src/jobs/job-tables.ts';
import type { JobStatus, JobTables } from '../../src/jobs/job-tables.ts';
import { createTestDatabase } from '../../src/testing/test-database.ts';

const serverUrl = process.env.DATABASE_URL;

/**
 * Runs `suite` against a module's migrated job tables on PGlite (in memory) and, when
 * DATABASE_URL is set, on a fresh PostgreSQL database: the same SQL must hold on both.
 */
export function onEachJobDatabase(suite: (db: () => Kysely<JobTables>) => void): void {
  const engines: [string, boolean, () => Promise<{ database: ModuleDatabase<JobTables>; drop: () => Promise<void> }>][] = [
    ['PGlite', false, async () => ({ database: await openModuleDatabase<JobTables>('work', { kind: 'pglite', dataDir: undefined }), drop: async () => {} })],
    ['PostgreSQL', !serverUrl, async () => {
      const created = await createTestDatabase(serverUrl as string, 'cleave_job_history');
      return { database: await openModuleDatabase<JobTables>('work', { kind: 'postgres', url: created.url }), drop: created.drop };
    }],
  ];
  for (const [engine, skip, open] of engines) {
    describe.skipIf(skip)(`on ${engine}`, () => {
      let opened: Awaited<ReturnType<typeof open>>;
      beforeAll(async () => {
        opened = await open();
        await migrateModule(opened.database.db as Kysely<unknown>, 'work', jobTableMigrations, JOB_MIGRATION_TABLE);
      }, 60_000);
      afterAll(async () => {
        await opened?.database.close();
        await opened?.drop();
      });
      suite(() => opened.database.db);
    });
  }
}

let seeded = 0;

/** A job row as a worker would have left it, written directly: `finishedAt` and `createdAt` in the past as needed. */
export async function seedJob(db: Kysely<JobTables>, job: { name?: string; queue?: string; status: JobStatus; createdAt?: Date; finishedAt?: Date; key?: string }): Promise<string> {
  const id = `job-${String(++seeded).padStart(5, '0')}`;
  const name = job.name ?? 'record';
  await db.insertInto('jobs').values({
    id,
    name,
    queue: job.queue ?? name,
    payload: '{}',
    status: job.status,
    attempts: job.status === 'pending' ? 0 : 1,
    max_attempts: 5,
    run_at: job.createdAt ?? new Date(),
    unique_key: job.key ?? null,
    created_at: job.createdAt ?? new Date(),
    finished_at: job.finishedAt ?? null,
  }).execute();
  return id;
}

export const daysAgo = (days: number, now = Date.now()): Date => new Date(now - days * 86_400_000);
