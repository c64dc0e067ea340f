import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.ts';
import { configErrors } from '../errors/boot-errors.ts';

/** Where a module's data lives: an embedded PGlite directory, or a PostgreSQL server. */
export type DatabaseLocation =
  | { readonly kind: 'pglite'; readonly dataDir: string | undefined }
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize?: number };

export interface ModuleDatabase<DB> {
  readonly schema: string;
  readonly db: Kysely<DB>;
  readonly location: DatabaseLocation;
  close(): Promise<void>;
}

/**
 * Opens the database of one module. Each module owns one schema named after it, and
 * the connection's `search_path` is that schema alone, so unqualified table names in
 * queries and migrations land in the module's own schema, and another module's tables
 * are out of reach without naming them.
 *
 * Embedded: one PGlite instance per module (a single-connection engine: sharing one
 * between modules would let a transaction in one module block, or deadlock, a call into
 * another; separate instances keep transactions per module, as they are once split).
 * PostgreSQL: one pool per module, so one module's long transactions can't starve
 * another's connections.
 */
export async function openModuleDatabase<DB>(schema: string, location: DatabaseLocation): Promise<ModuleDatabase<DB>> {
  assertIdentifier(schema);
  let db: Kysely<DB>;
  if (location.kind === 'pglite') {
    let dir: string | undefined;
    if (location.dataDir !== undefined) {
      dir = join(location.dataDir, schema);
      mkdirSync(dir, { recursive: true });
    }
    const pglite = await PGlite.create(dir === undefined ? {} : { dataDir: dir });
    db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    // One connection: setting the session's search_path once holds for every query.
    await sql`set search_path to ${sql.id(schema)}`.execute(db);
  } else {
    const pool = new pg.Pool({
      connectionString: location.url,
      max: location.poolSize ?? 5,
      options: `-c search_path=${schema}`,
    });
    // An idle connection the server drops (restart, failover, `drop database … force`)
    // is reported on the pool; unhandled, that event would crash the process. The pool
    // discards the connection and opens another when one is needed.
    pool.on('error', () => {});
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    await createSchema(db as Kysely<unknown>, schema);
  }
  return { schema, db, location, close: () => db.destroy() };
}

// Several processes may start at once against one server (a split topology):
// `create schema if not exists` can still race on the catalog, so retry once.
async function createSchema(db: Kysely<unknown>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  }
}

function assertIdentifier(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) {
    throw configErrors.SCHEMA_NAME_INVALID(`"${name}" is not a valid schema name: use lower-case letters, digits and _`);
  }
}
