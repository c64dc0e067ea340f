import { sql } from 'kysely';
import { migrateModule } from '../../data/migrations.ts';
import type { Migrations } from '../../data/migrations.ts';
import { openModuleDatabase } from '../../data/module-database.ts';
import type { ModuleDatabase } from '../../data/module-database.ts';
import { EVENT_TABLES_MIGRATION_TABLE, eventTableMigrations } from '../../events/event-tables.ts';
import type { AnyModule } from '../../module/define-module.ts';
import { JOB_MIGRATION_TABLE, jobTableMigrations } from '../../jobs/job-tables.ts';
import { SAGA_MIGRATION_TABLE, sagaTableMigrations } from '../../saga/saga-tables.ts';
import { databaseFor } from '../settings.ts';
import type { ServiceBoot } from './service-boot.ts';

export interface OpenedModule {
  readonly definition: AnyModule;
  readonly database: ModuleDatabase<unknown>;
}

/**
 * Opens the database of schema `schema`, registers its close and its readiness probe,
 * and applies `migrations`.
 */
export async function openDatabase(boot: ServiceBoot, schema: string, migrations: Migrations): Promise<ModuleDatabase<unknown>> {
  const database = await openModuleDatabase<unknown>(schema, databaseFor(boot.settings, schema));
  boot.closers.add(`database ${schema}`, () => database.close());
  boot.readiness.add(() => sql`select 1`.execute(database.db).then(() => true));
  const applied = await migrateModule(database.db, schema, migrations);
  if (applied.length) boot.logger.info({ module: schema, applied }, 'migrations applied');
  return database;
}

/**
 * Opens each hosted module's database with its migrations and the framework's own tables
 * (outbox, inbox; sagas, idempotency keys; jobs), and those of modules whose jobs alone
 * run here (a worker: it may start before the module's host, so it migrates too).
 */
export async function openModuleDatabases(boot: ServiceBoot): Promise<OpenedModule[]> {
  const modules = [...boot.hosted, ...boot.jobsHere.filter((m) => !boot.hosted.includes(m))];
  // Opened together: each embedded database takes a second or two to start. Settled, not
  // raced: when one fails the boot unwinds only after every other has registered its close.
  const settled = await Promise.allSettled(
    modules.map(async (definition) => {
      const database = await openDatabase(boot, definition.name, definition.migrations);
      // In their own migration histories, so they never collide with the module's.
      await migrateModule(database.db, definition.name, eventTableMigrations, EVENT_TABLES_MIGRATION_TABLE);
      await migrateModule(database.db, definition.name, sagaTableMigrations, SAGA_MIGRATION_TABLE);
      await migrateModule(database.db, definition.name, jobTableMigrations, JOB_MIGRATION_TABLE);
      return { definition, database };
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<OpenedModule>).value);
}
