import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrateModule } from '../src/data/migrations.ts';
import { openModuleDatabase } from '../src/data/module-database.ts';
import { EVENT_TABLES_MIGRATION_TABLE, eventTableMigrations } from '../src/events/event-tables.ts';
import type { EventTables } from '../src/events/event-tables.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'packages/cleave/bin/cleave.mjs');
let dataDir: string;

/** Runs the real `cleave` command against the reference app, with its data in `dataDir`. */
async function cleave(...args: string[]): Promise<string> {
  const env = { ...process.env, CLEAVE_DATA_DIR: dataDir, DATABASE_URL: '' };
  const { stdout } = await run(process.execPath, [bin, '--config', join(root, 'cleave.config.ts'), ...args], { cwd: root, env });
  return stdout;
}

async function withPosts<T>(fn: (db: Kysely<EventTables>) => Promise<T>): Promise<T> {
  const database = await openModuleDatabase<EventTables>('posts', { kind: 'embedded', dataDir });
  try {
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cleave-cli-'));
  // A stopped service's posts database holding one dead letter and one handled event.
  await withPosts(async (db) => {
    await migrateModule(db as Kysely<unknown>, 'posts', eventTableMigrations, EVENT_TABLES_MIGRATION_TABLE);
    const row = { publisher: 'users', name: 'user.updated.v1', aggregate_key: 'u1', payload: '{}', traceparent: null, next_attempt_at: new Date(), handled_at: null };
    await db.insertInto('inbox').values([
      { ...row, event_id: 'dead-1', seq: '1', status: 'dead', attempts: 5, last_error: 'boom' },
      { ...row, event_id: 'done-1', seq: '2', status: 'done', attempts: 1, last_error: null },
    ]).execute();
    await db.insertInto('outbox').values({ id: 'out-1', name: 'x.y.v1', aggregate_key: 'k', payload: '{}', traceparent: null, created_at: new Date() }).execute();
  });
}, 60_000);

afterAll(() => rm(dataDir, { recursive: true, force: true }));

it('lists dead letters, replays them, and reports outbox lag and inbox counts', async () => {
  const listed = JSON.parse(await cleave('events', 'dlq', 'list', '--module', 'posts', '--json')) as { eventId: string; lastError: string; attempts: number }[];
  expect(listed).toEqual([expect.objectContaining({ eventId: 'dead-1', lastError: 'boom', attempts: 5 })]);

  expect(await cleave('events', 'dlq', 'replay', 'dead-1', '--module', 'posts')).toContain('1 dead letter(s) sent back');
  expect(JSON.parse(await cleave('events', 'dlq', 'list', '--module', 'posts', '--json'))).toEqual([]);
  const row = await withPosts((db) => db.selectFrom('inbox').selectAll().where('event_id', '=', 'dead-1').executeTakeFirstOrThrow());
  expect(row).toMatchObject({ status: 'pending', attempts: 0, last_error: null });

  const [stats] = JSON.parse(await cleave('events', 'stats', '--module', 'posts', '--json')) as { outboxLag: number; subscriptions: Record<string, unknown> }[];
  expect(stats?.outboxLag).toBe(1);
  expect(stats?.subscriptions['user.updated.v1']).toEqual({ pending: 1, done: 1, dead: 0 });
}, 60_000);

it('refuses a replay with nothing named', async () => {
  await expect(cleave('events', 'dlq', 'replay', '--module', 'posts')).rejects.toMatchObject({ stderr: expect.stringContaining('name event ids, or pass --all') });
}, 30_000);
