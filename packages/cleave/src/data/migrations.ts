import { Migrator } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import { bootErrors } from '../errors/boot-errors.ts';

export type { Migration };

/** A module's migrations, keyed by a name that sorts in the order they must run. */
export type Migrations = Readonly<Record<string, Migration>>;

/**
 * Applies a module's pending migrations to its own schema, recording them in
 * `<schema>.cleave_migrations` (Kysely's migrator, which also takes a lock so that
 * several processes starting at once apply each migration once).
 */
export async function migrateModule(db: Kysely<unknown>, schema: string, migrations: Migrations, table = 'cleave_migrations'): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableSchema: schema,
    migrationTableName: table,
    migrationLockTableName: `${table}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw bootErrors.MIGRATION_FAILED(`migration ${schema}/${failed} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, error);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
