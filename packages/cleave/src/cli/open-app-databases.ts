import type { Kysely } from 'kysely';
import { openModuleDatabase } from '../data/module-database.ts';
import type { EventTables } from '../events/event-tables.ts';
import type { AppDefinition } from '../runtime/define-app.ts';
import { databaseFor, settingsFromEnv } from '../runtime/settings.ts';
import { configErrors } from '../errors/boot-errors.ts';

/**
 * Opens the databases of an app's modules with the same settings a service uses, for
 * operator commands. The embedded PostgreSQL server is shared: a command joins the one a
 * running app started (or starts it). PGlite directories (`CLEAVE_EMBEDDED=pglite`) admit
 * one process at a time: stop the service first.
 */
export async function withModuleDatabases<T>(
  app: AppDefinition,
  only: string | undefined,
  fn: (databases: { module: string; db: Kysely<EventTables> }[]) => Promise<T>,
): Promise<T> {
  const settings = settingsFromEnv();
  const names = app.modules.map((m) => m.name).filter((m) => only === undefined || m === only);
  if (names.length === 0) throw configErrors.MODULE_UNKNOWN(`no module "${only}" in app "${app.name}"`);
  const opened = await Promise.all(names.map(async (module) => ({ module, database: await openModuleDatabase<EventTables>(module, databaseFor(settings, module)) })));
  try {
    return await fn(opened.map(({ module, database }) => ({ module, db: database.db })));
  } finally {
    await Promise.allSettled(opened.map(({ database }) => database.close()));
  }
}
