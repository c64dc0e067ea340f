import { sql } from 'kysely';
import type { Generated, Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openModuleDatabase } from './module-database.ts';
import type { ModuleDatabase } from './module-database.ts';

interface TestDb {
  counter: { id: number; value: number };
  notes: { id: Generated<number>; text: string };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PGliteDialect through openModuleDatabase (in-memory)', () => {
  let database: ModuleDatabase<TestDb>;
  let db: Kysely<TestDb>;

  beforeAll(async () => {
    database = await openModuleDatabase<TestDb>('dialect_test', { kind: 'pglite', dataDir: undefined });
    db = database.db;
    await sql`create table counter (id int primary key, value int not null)`.execute(db);
    await sql`create table notes (id serial primary key, text text not null)`.execute(db);
  });

  afterAll(async () => {
    await database.close();
  });

  beforeEach(async () => {
    await db.deleteFrom('notes').execute();
    await db.deleteFrom('counter').execute();
    await db.insertInto('counter').values({ id: 1, value: 0 }).execute();
  });

  const notesCount = async () => (await db.selectFrom('notes').select(db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;

  it('commits a transaction that completes', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ text: 'kept' }).execute();
    });
    expect(Number(await notesCount())).toBe(1);
  });

  it('rolls back the writes of a transaction that throws', async () => {
    const boom = new Error('boom');
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ text: 'lost' }).execute();
        await trx.updateTable('counter').set({ value: 99 }).where('id', '=', 1).execute();
        // Visible inside the transaction...
        expect((await trx.selectFrom('notes').selectAll().execute()).map((r) => r.text)).toEqual(['lost']);
        throw boom;
      }),
    ).rejects.toBe(boom);
    // ...and gone after the rollback.
    expect(Number(await notesCount())).toBe(0);
    expect((await db.selectFrom('counter').select('value').where('id', '=', 1).executeTakeFirstOrThrow()).value).toBe(0);
  });

  it('serialises concurrent transactions (read, yield, write: no lost update)', async () => {
    const events: string[] = [];
    const increment = (name: string) =>
      db.transaction().execute(async (trx) => {
        events.push(`${name}:begin`);
        const { value } = await trx.selectFrom('counter').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
        await nextTurn();
        await Promise.resolve();
        await trx.updateTable('counter').set({ value: value + 1 }).where('id', '=', 1).execute();
        events.push(`${name}:end`);
      });
    await Promise.all([increment('a'), increment('b')]);
    expect((await db.selectFrom('counter').select('value').where('id', '=', 1).executeTakeFirstOrThrow()).value).toBe(2);
    // No interleaving: one transaction ran from begin to end before the other began.
    expect(events).toSatisfy((e: string[]) => e.join(',') === 'a:begin,a:end,b:begin,b:end' || e.join(',') === 'b:begin,b:end,a:begin,a:end');
  });

  it('runs many queries outside a transaction concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => sql<{ v: number }>`select ${i}::int as v`.execute(db).then((r) => r.rows[0]?.v)),
    );
    expect(results).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('makes a query outside a transaction wait for it, so it never sees uncommitted writes', async () => {
    let outside: Promise<string> | undefined;
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ text: 'uncommitted' }).execute();
        outside = notesCount(); // not awaited here: it must wait for the connection
        await nextTurn();
        await nextTurn();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(Number(await outside)).toBe(0);
  });

  it('keeps working after a failed statement inside a transaction', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select * from no_such_table`.execute(trx);
      }),
    ).rejects.toThrow(/no_such_table/);
    await db.insertInto('notes').values({ text: 'after' }).execute();
    expect(Number(await notesCount())).toBe(1);
  });

  it('sets search_path to the module schema, so unqualified tables land there', async () => {
    expect((await sql<{ search_path: string }>`show search_path`.execute(db)).rows[0]?.search_path).toBe('dialect_test');
    await sql`create table widgets (id int)`.execute(db);
    const rows = await sql<{ table_schema: string }>`select table_schema from information_schema.tables where table_name = 'widgets'`.execute(db);
    expect(rows.rows.map((r) => r.table_schema)).toEqual(['dialect_test']);
  });

  it('reports affected rows', async () => {
    await db.insertInto('notes').values([{ text: 'a' }, { text: 'b' }]).execute();
    const result = await db.deleteFrom('notes').executeTakeFirst();
    expect(result.numDeletedRows).toBe(2n);
  });
});

describe('openModuleDatabase', () => {
  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openModuleDatabase('Bad-Name', { kind: 'pglite', dataDir: undefined })).rejects.toThrow(/not a valid schema name/);
    await expect(openModuleDatabase('x; drop', { kind: 'pglite', dataDir: undefined })).rejects.toThrow(/not a valid schema name/);
  });
});
