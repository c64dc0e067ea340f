import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { bootErrors } from '../errors/boot-errors.ts';
import type * as PGliteModule from '@electric-sql/pglite';
import { acquireEmbeddedPostgres, releaseEmbeddedPostgres } from './embedded-postgres.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { PreparingClient } from './prepared-statements.ts';
import { configErrors } from '../errors/boot-errors.ts';

/**
 * Where a module's data lives: a PostgreSQL server; the embedded PostgreSQL server of a
 * data directory (the default); or a PGlite directory per module (`CLEAVE_EMBEDDED=pglite`,
 * in memory when `dataDir` is undefined).
 */
export type DatabaseLocation =
  | ({ readonly kind: 'postgres'; readonly url: string } & PoolSettings)
  | ({ readonly kind: 'embedded'; readonly dataDir: string } & PoolSettings)
  | { readonly kind: 'pglite'; readonly dataDir: string | undefined };

/** How a module's pool talks to a PostgreSQL server. */
export interface PoolSettings {
  /** Connections of the module's pool; default 5. */
  readonly poolSize?: number;
  /** Queries with parameters as named statements (data/prepared-statements.ts); default on. */
  readonly preparedStatements?: boolean;
}

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
 * PostgreSQL (a server, or the embedded one): one pool per module, so one module's long
 * transactions can't starve another's connections. PGlite: one instance per module (a
 * single-connection engine: sharing one between modules would let a transaction in one
 * module block, or deadlock, a call into another).
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
    const { PGlite } = await loadPGlite();
    const pglite = await PGlite.create(dir === undefined ? {} : { dataDir: dir });
    db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    // One connection: setting the session's search_path once holds for every query.
    await sql`set search_path to ${sql.id(schema)}`.execute(db);
  } else if (location.kind === 'embedded') {
    const server = await acquireEmbeddedPostgres(location.dataDir);
    try {
      db = await openPool<DB>(schema, server.url, location);
    } catch (err) {
      await releaseEmbeddedPostgres(location.dataDir);
      throw err;
    }
    const pooled = db;
    return {
      schema,
      db,
      location,
      close: async () => {
        await pooled.destroy();
        await releaseEmbeddedPostgres(location.dataDir);
      },
    };
  } else {
    db = await openPool<DB>(schema, location.url, location);
  }
  return { schema, db, location, close: () => db.destroy() };
}

async function openPool<DB>(schema: string, url: string, { poolSize = 5, preparedStatements = true }: PoolSettings): Promise<Kysely<DB>> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path=${schema}`, ...(preparedStatements ? { Client: PreparingClient } : {}) });
  // An idle connection the server drops (restart, failover, `drop database … force`)
  // is reported on the pool; unhandled, that event would crash the process. The pool
  // discards the connection and opens another when one is needed.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  try {
    await createSchema(db as Kysely<unknown>, schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/** PGlite is an optional peer dependency: only `CLEAVE_EMBEDDED=pglite` needs it. */
async function loadPGlite(): Promise<typeof PGliteModule> {
  try {
    return await import('@electric-sql/pglite');
  } catch (err) {
    throw bootErrors.EMBEDDED_DATABASE_UNAVAILABLE('CLEAVE_EMBEDDED=pglite needs the PGlite package: npm install @electric-sql/pglite', undefined, err);
  }
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
