import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateModule } from './migrations.ts';
import type { Migrations } from './migrations.ts';
import { openModuleDatabase } from './module-database.ts';
import type { ModuleDatabase } from './module-database.ts';

describe('migrateModule', () => {
  const opened: ModuleDatabase<unknown>[] = [];
  const open = async (schema: string) => {
    const database = await openModuleDatabase<unknown>(schema, { kind: 'pglite', dataDir: undefined });
    opened.push(database);
    return database.db;
  };
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close()));
  });

  describe('on a fresh schema', () => {
    let db: Kysely<unknown>;
    const ran: string[] = [];
    const step = (name: string, ddl: string) => ({
      async up(trx: Kysely<unknown>) {
        ran.push(name);
        await sql.raw(ddl).execute(trx);
      },
    });
    // Declared out of order on purpose: keys decide the order.
    const migrations: Migrations = {
      '0002_add_column': step('0002_add_column', 'alter table things add column label text'),
      '0001_create': step('0001_create', 'create table things (id int primary key)'),
      '0003_index': step('0003_index', 'create index things_label on things (label)'),
    };

    beforeAll(async () => {
      db = await open('migrate_ok');
    });

    it('applies every migration in key order and returns their names', async () => {
      expect(await migrateModule(db, 'migrate_ok', migrations)).toEqual(['0001_create', '0002_add_column', '0003_index']);
      expect(ran).toEqual(['0001_create', '0002_add_column', '0003_index']);
    });

    it('records them in <schema>.cleave_migrations and creates tables in the schema', async () => {
      const recorded = await sql<{ name: string }>`select name from migrate_ok.cleave_migrations order by name`.execute(db);
      expect(recorded.rows.map((r) => r.name)).toEqual(['0001_create', '0002_add_column', '0003_index']);
      const tables = await sql<{ table_schema: string }>`select table_schema from information_schema.tables where table_name = 'things'`.execute(db);
      expect(tables.rows).toEqual([{ table_schema: 'migrate_ok' }]);
    });

    it('is idempotent: a second run applies nothing and returns []', async () => {
      expect(await migrateModule(db, 'migrate_ok', migrations)).toEqual([]);
      expect(ran).toHaveLength(3);
    });

    it('applies only a newly added migration on a later run', async () => {
      const more = { ...migrations, '0004_seed': step('0004_seed', "insert into things (id, label) values (1, 'one')") };
      expect(await migrateModule(db, 'migrate_ok', more)).toEqual(['0004_seed']);
      expect(ran.at(-1)).toBe('0004_seed');
    });
  });

  it('throws an error naming the schema and the failed migration, and does not record the failed migration', async () => {
    const db = await open('migrate_bad');
    const migrations: Migrations = {
      '0001_fine': { up: async (trx) => void (await sql`create table fine (id int)`.execute(trx)) },
      '0002_broken': {
        up: async () => {
          throw new Error('boom in migration');
        },
      },
    };
    const err = await migrateModule(db, 'migrate_bad', migrations).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('migration migrate_bad/0002_broken failed: boom in migration');
    expect(((err as Error).cause as Error).message).toBe('boom in migration');
    // The failed migration is not recorded, so the next start tries it again.
    const recorded = await sql<{ name: string }>`select name from migrate_bad.cleave_migrations`.execute(db);
    expect(recorded.rows.map((r) => r.name)).not.toContain('0002_broken');
  });
});
