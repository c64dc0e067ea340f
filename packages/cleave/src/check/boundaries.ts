import { relative } from 'node:path';
import { cachedCheck } from './boot-cache.ts';
import { ImportGraph } from './import-graph.ts';
import type { ResolvedImport } from './import-graph.ts';
import { isContractEntry, locateModules, ownerOf, sourceFiles } from './module-folders.ts';
import type { ModuleBoundary } from './module-folders.ts';
import { commonDir, loadTypeScriptApi } from './typescript-api.ts';
import type { TypeScriptApi } from './typescript-api.ts';

export type { ModuleBoundary } from './module-folders.ts';

export interface BoundaryViolation {
  readonly module: string;
  /** The importing file, relative to the working directory. */
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly target: string;
  /** `internal`: reaches past another module's contract; `undeclared`: a contract not in dependsOn. */
  readonly kind: 'internal' | 'undeclared';
  readonly message: string;
}

export interface BoundaryOptions {
  /** The TypeScript compiler API to resolve with (default: the project's, else the framework's). */
  readonly typescript?: TypeScriptApi;
  /** Reject with BoundaryCheckUnavailable when TypeScript is missing (default: warn and pass, for boot). */
  readonly required?: boolean;
}

/** Thrown when the check cannot run: no TypeScript compiler to resolve imports with. */
export class BoundaryCheckUnavailable extends Error {
  override readonly name = 'BoundaryCheckUnavailable';
}

/**
 * The one rule that makes splitting free, checked statically: a module reaches another
 * module only through that module's contract (`<module>/index.ts`), and only when it
 * declares the module in `dependsOn`. Imports are resolved as TypeScript resolves them
 * (see ImportGraph), and followed through files that belong to no module, so a
 * re-export in a shared folder cannot smuggle another module's internals in.
 * Runs at boot, in `cleave check` and in CI.
 */
export function checkBoundaries(given: readonly ModuleBoundary[], options: BoundaryOptions = {}): Promise<BoundaryViolation[]> {
  // Only modules with a folder of their own can be checked; `cleave check` reports the
  // others as unchecked (and fails), boot leaves them alone (e.g. modules defined in a test file).
  const modules = locateModules(given).located;
  const projectDir = commonDir(modules.map((m) => m.dir));
  const check = (ts: TypeScriptApi) => {
    const graph = new ImportGraph(ts, projectDir);
    return { result: modules.flatMap((m) => moduleViolations(m, modules, graph)), files: graph.files() };
  };
  if (options.typescript !== undefined) return Promise.resolve(check(options.typescript).result);
  // At boot, unchanged code is not checked twice (nor the compiler loaded): see boot-cache.
  const moduleFiles = modules.flatMap((m) => sourceFiles(m.dir));
  let unavailable = false;
  const result = cachedCheck(JSON.stringify([process.cwd(), modules]), moduleFiles, () => {
    const ts = loadTypeScriptApi(projectDir);
    if (ts !== undefined) return check(ts);
    unavailable = true;
    return { result: [], files: [] };
  });
  if (!unavailable) return Promise.resolve(result);
  const why = 'the boundary check resolves imports with TypeScript, which is not installed (npm install --save-dev typescript)';
  if (options.required) return Promise.reject(new BoundaryCheckUnavailable(why));
  // At boot of a production install (built JavaScript, no dev dependencies) the check
  // is a convenience; `cleave check` in CI requires it and fails without TypeScript.
  process.emitWarning(`${why}; skipped at boot`, { code: 'CLEAVE_BOUNDARY_CHECK_SKIPPED' });
  return Promise.resolve([]);
}

function moduleViolations(module: ModuleBoundary, modules: readonly ModuleBoundary[], graph: ImportGraph): BoundaryViolation[] {
  const violations: BoundaryViolation[] = [];
  for (const file of sourceFiles(module.dir)) {
    for (const imp of graph.imports(file)) {
      for (const { target, via } of reached(imp, modules, graph)) {
        const owner = ownerOf(modules, target);
        if (owner === undefined || owner === module) continue;
        const where = relative(process.cwd(), file);
        const through = via.length > 0 ? ` (through ${via.map((f) => relative(process.cwd(), f)).join(' → ')})` : '';
        const base = { module: module.name, file: where, line: imp.line, specifier: imp.specifier, target: owner.name };
        if (!isContractEntry(owner, target)) {
          violations.push({
            ...base, kind: 'internal',
            message: `${where}:${imp.line}: module "${module.name}" imports "${imp.specifier}"${through}, inside module "${owner.name}" (${relative(owner.dir, target)}); import its contract (${owner.name}/index.ts) instead`,
          });
        } else if (!module.dependsOn.includes(owner.name)) {
          violations.push({
            ...base, kind: 'undeclared',
            message: `${where}:${imp.line}: module "${module.name}" imports the contract of "${owner.name}"${through} but does not declare it in dependsOn`,
          });
        }
      }
    }
  }
  return violations;
}

/**
 * The module files one import reaches: its target if that is in a module; if it is a
 * file of no module (a shared folder), every module file reachable through such files.
 */
function reached(imp: ResolvedImport, modules: readonly ModuleBoundary[], graph: ImportGraph): { target: string; via: string[] }[] {
  if (imp.target === undefined || imp.external) return [];
  if (ownerOf(modules, imp.target) !== undefined) return [{ target: imp.target, via: [] }];
  const found: { target: string; via: string[] }[] = [];
  const seen = new Set<string>([imp.target]);
  const queue: { file: string; via: string[] }[] = [{ file: imp.target, via: [imp.target] }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (!/\.(c|m)?(t|j)sx?$/.test(next.file) || next.file.endsWith('.d.ts')) continue;
    for (const inner of graph.imports(next.file)) {
      if (inner.target === undefined || inner.external || seen.has(inner.target)) continue;
      seen.add(inner.target);
      if (ownerOf(modules, inner.target) !== undefined) found.push({ target: inner.target, via: next.via });
      else queue.push({ file: inner.target, via: [...next.via, inner.target] });
    }
  }
  return found;
}
