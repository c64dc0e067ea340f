import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../testing/test-database.ts';
import { openModuleDatabase } from './module-database.ts';
import type { ModuleDatabase } from './module-database.ts';

const serverUrl = process.env.DATABASE_URL;

interface Db {
  notes: { id: string; body: string };
}

// Statements prepared on the pool's one connection, read on that same connection.
async function prepared(db: Kysely<Db>): Promise<string[]> {
  const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(db);
  return rows.map((r) => r.statement);
}

describe.skipIf(!serverUrl)('named statements on a module pool (PostgreSQL)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let mod: ModuleDatabase<Db>;
  let other: pg.Client;
  const find = (db: Kysely<Db>, id: string) => db.selectFrom('notes').selectAll().where('id', '=', id).executeTakeFirst();

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl!, 'cleave_prepared');
    mod = await openModuleDatabase<Db>('notes_mod', { kind: 'postgres', url: database.url, poolSize: 1 });
    await sql`create table notes (id text primary key, body text not null)`.execute(mod.db);
    await mod.db.insertInto('notes').values({ id: 'n1', body: 'hello' }).execute();
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
  });

  afterAll(async () => {
    await other?.end();
    await mod?.close();
    await database?.drop();
  });

  it('prepares a query with parameters once per connection and reuses it', async () => {
    for (let i = 0; i < 3; i++) expect(await find(mod.db, 'n1')).toEqual({ id: 'n1', body: 'hello' });
    const statements = await prepared(mod.db);
    expect(statements.filter((s) => s === 'select * from "notes" where "id" = $1')).toHaveLength(1);
    // Texts without parameters (the DDL, this very read) are not prepared.
    expect(statements.some((s) => s.includes('create table') || s.includes('pg_prepared_statements'))).toBe(false);
  });

  it('prepares the text afresh when a migration elsewhere changed the columns it returns', async () => {
    await find(mod.db, 'n1');
    await other.query(`alter table notes_mod.notes add column tag text not null default 'x'`);
    // PostgreSQL refuses the old plan ("cached plan must not change result type"); the read retries under a new name.
    expect(await find(mod.db, 'n1')).toEqual({ id: 'n1', body: 'hello', tag: 'x' });
  });

  it('inside a transaction the stale plan fails the transaction with the original error', async () => {
    await find(mod.db, 'n1');
    await other.query(`alter table notes_mod.notes add column tag2 text not null default 'y'`);
    const failed = mod.db.transaction().execute((trx) => find(trx, 'n1'));
    await expect(failed).rejects.toMatchObject({ code: '0A000' });
    expect(await find(mod.db, 'n1')).toEqual({ id: 'n1', body: 'hello', tag: 'x', tag2: 'y' });
  });

  it('runs everything unnamed with preparedStatements: false', async () => {
    const plain = await openModuleDatabase<Db>('notes_mod', { kind: 'postgres', url: database.url, poolSize: 1, preparedStatements: false });
    try {
      expect(await find(plain.db, 'n1')).toMatchObject({ id: 'n1' });
      expect(await prepared(plain.db)).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
