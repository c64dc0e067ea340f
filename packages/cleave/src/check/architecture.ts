import type { AnyModule } from '../module/define-module.ts';
import { checkBoundaries } from './boundaries.ts';
import type { BoundaryViolation } from './boundaries.ts';
import { catalogCrossings } from './catalog-ownership.ts';
import type { CatalogCrossing } from './catalog-ownership.ts';
import { ImportGraph } from './import-graph.ts';
import { parseFile } from './module-source.ts';
import { locateModules, sourceFiles } from './module-folders.ts';
import type { ModuleBoundary, UncheckedModule } from './module-folders.ts';
import { ownTableNames, schemaReferences } from './schema-references.ts';
import type { SchemaReference } from './schema-references.ts';
import { operationCalls } from './operation-calls.ts';
import type { OperationCall } from './operation-calls.ts';
import { commonDir, loadTypeScriptApi } from './typescript-api.ts';

/** Everything `cleave check` knows about the modules' boundaries, with the evidence. */
export interface ArchitectureReport {
  readonly modules: readonly ModuleBoundary[];
  /** Modules the checks could not read: a failure, not a pass. */
  readonly unchecked: readonly UncheckedModule[];
  readonly imports: readonly BoundaryViolation[];
  /** Calls of another module's operation that dependsOn does not declare. */
  readonly calls: readonly OperationCall[];
  /** Every call of another module's operation the code shows, declared or not. */
  readonly operationCalls: readonly OperationCall[];
  readonly schemaReferences: readonly SchemaReference[];
  /** Per module, the tables it creates (from its migrations). */
  readonly tables: Readonly<Record<string, readonly string[]>>;
  readonly catalog: { readonly checked: readonly string[]; readonly skipped?: string; readonly crossings: readonly CatalogCrossing[] };
  readonly ok: boolean;
}

export interface ArchitectureOptions {
  /** Databases whose catalogs to read (DATABASE_URL, <MODULE>_DATABASE_URL); none = skipped. */
  readonly databaseUrls?: readonly string[];
}

/**
 * The static checks of the one rule, on an app's modules: imports (boundaries.ts),
 * undeclared operation calls, SQL naming another module's schema, and — on a running
 * database — catalog objects crossing schemas. A module that cannot be checked fails.
 */
export async function checkArchitecture(modules: readonly AnyModule[], options: ArchitectureOptions = {}): Promise<ArchitectureReport> {
  const { located, unchecked } = locateModules(modules);
  const projectDir = commonDir(located.map((m) => m.dir));
  const ts = loadTypeScriptApi(projectDir);
  if (ts === undefined) {
    const reason = 'TypeScript is not installed (npm install --save-dev typescript): imports cannot be resolved';
    return emptyReport(located, [...unchecked, ...located.map((m) => ({ module: m.name, reason }))]);
  }
  const imports = await checkBoundaries(located, { typescript: ts });
  const graph = new ImportGraph(ts, projectDir);
  const allCalls: OperationCall[] = [];
  const schemaRefs: SchemaReference[] = [];
  const tables: Record<string, string[]> = {};
  const parsedByModule = new Map(located.map((m) => [m, sourceFiles(m.dir).map((f) => parseFile(ts, f))]));
  for (const [module, files] of parsedByModule) tables[module.name] = [...ownTableNames(ts, files)].sort();
  for (const [module, files] of parsedByModule) {
    const own = new Set(tables[module.name]);
    const others = modules
      .filter((m) => m.name !== module.name)
      .map((m) => ({ schema: m.name, operations: new Set(Object.keys(m.contract.$operations)) }));
    for (const parsed of files) {
      allCalls.push(...operationCalls(ts, module, parsed, located, graph));
      schemaRefs.push(...schemaReferences(ts, module.name, parsed, others, own));
    }
  }
  const calls = allCalls.filter((c) => !c.declared);
  const urls = [...new Set(options.databaseUrls ?? [])];
  const crossings: CatalogCrossing[] = [];
  for (const url of urls) crossings.push(...(await catalogCrossings(url, modules.map((m) => m.name))));
  const catalog = urls.length > 0 ? { checked: urls.map(redact), crossings } : { checked: [], skipped: 'no DATABASE_URL: the catalog of a running database was not read', crossings };
  const ok = unchecked.length === 0 && imports.length === 0 && calls.length === 0 && schemaRefs.length === 0 && crossings.length === 0;
  return { modules: located, unchecked, imports, calls, operationCalls: allCalls, schemaReferences: schemaRefs, tables, catalog, ok };
}

function emptyReport(modules: readonly ModuleBoundary[], unchecked: readonly UncheckedModule[]): ArchitectureReport {
  return { modules, unchecked, imports: [], calls: [], operationCalls: [], schemaReferences: [], tables: {}, catalog: { checked: [], crossings: [] }, ok: false };
}

/** A database URL without its password, for reports. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The URLs a service would use: DATABASE_URL and every <MODULE>_DATABASE_URL. */
export function databaseUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter(([key, value]) => value && (key === 'DATABASE_URL' || /^[A-Z][A-Z0-9_]*_DATABASE_URL$/.test(key)))
    .map(([, value]) => value as string);
}
