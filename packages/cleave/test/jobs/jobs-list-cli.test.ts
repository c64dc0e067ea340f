import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateModule } from '../../src/data/migrations.ts';
import { openModuleDatabase } from '../../src/data/module-database.ts';
import type { ModuleDatabase } from '../../src/data/module-database.ts';
import { JOB_MIGRATION_TABLE, jobTableMigrations } from '../../src/jobs/job-tables.ts';
import type { JobTables } from '../../src/jobs/job-tables.ts';
import { createTestDatabase } from '../../src/testing/test-database.ts';
import { seedJob } from './job-databases.ts';

const serverUrl = process.env.DATABASE_URL;
const root = resolve(import.meta.dirname, '../../../..');
const run = promisify(execFile);

// `cleave jobs list` as an operator pages through a busy module: filters, a bounded page, and the hint to the next one.
describe.skipIf(!serverUrl)('cleave jobs list', () => {
  let database: { url: string; drop: () => Promise<void> };
  let work: ModuleDatabase<JobTables>;
  const ids: string[] = [];
  const cleave = (...args: string[]) =>
    run(process.execPath, [join(root, 'packages/cleave/bin/cleave.mjs'), '--config', join(import.meta.dirname, 'jobs-app.ts'), 'jobs', 'list', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent', JOBS_TEST_SCHEDULES: '0' },
    });

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl as string, 'cleave_jobs_list');
    work = await openModuleDatabase<JobTables>('work', { kind: 'postgres', url: database.url });
    await migrateModule(work.db as unknown as Kysely<unknown>, 'work', jobTableMigrations, JOB_MIGRATION_TABLE);
    for (let i = 0; i < 5; i++) {
      ids.push(await seedJob(work.db, { name: i % 2 === 0 ? 'tick' : 'record', status: i === 3 ? 'dead' : 'done', createdAt: new Date(Date.UTC(2026, 11, 1, 8, 0, i)), finishedAt: new Date() }));
    }
  }, 60_000);

  afterAll(async () => {
    await work?.close();
    await database?.drop();
  });

  it('pages back through the jobs, printing how to get the next page until there is none', async () => {
    const first = await cleave('--limit', '2');
    const newest = [...ids].reverse();
    expect(first.stdout).toContain(newest[0]);
    expect(first.stdout).toContain(`more: cleave jobs list --limit 2 --before ${newest[1]}`);
    const pages: string[][] = [];
    let args = ['--limit', '2', '--json'];
    for (;;) {
      const { stdout, stderr } = await cleave(...args);
      pages.push((JSON.parse(stdout) as { id: string }[]).map((j) => j.id));
      const next = /more: cleave jobs list (.*)$/m.exec(stderr)?.[1];
      if (next === undefined) break;
      args = next.split(' ');
    }
    expect(pages).toEqual([newest.slice(0, 2), newest.slice(2, 4), newest.slice(4)]);
  }, 60_000);

  it('narrows by name and status, and refuses options it cannot honour', async () => {
    const listed = JSON.parse((await cleave('--name', 'tick', '--status', 'done,dead', '--json')).stdout) as { id: string; name: string }[];
    expect(listed.map((j) => j.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect(JSON.parse((await cleave('--status', 'dead', '--json')).stdout)).toMatchObject([{ id: ids[3], status: 'dead' }]);
    await expect(cleave('--limit', '5000')).rejects.toMatchObject({ stderr: expect.stringContaining('limit must be a whole number from 1 to 1000') });
    await expect(cleave('--before', 'no-such-job')).rejects.toMatchObject({ stderr: expect.stringContaining('no job no-such-job') });
  }, 60_000);
});
