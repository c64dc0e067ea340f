import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { init, parse } from 'es-module-lexer';

/** A module as the boundary check sees it: its folder and what it declares it uses. */
export interface ModuleBoundary {
  readonly name: string;
  readonly dir: string;
  readonly dependsOn: readonly string[];
}

export interface BoundaryViolation {
  readonly module: string;
  readonly file: string;
  readonly specifier: string;
  readonly target: string;
  /** `internal`: reaches past another module's contract; `undeclared`: a contract not in dependsOn. */
  readonly kind: 'internal' | 'undeclared';
  readonly message: string;
}

const SOURCE = /\.(c|m)?tsx?$/;
const CONTRACT_ENTRY = /^index\.(c|m)?(t|j)sx?$/;

/**
 * The one rule that makes splitting free, checked statically: a module imports from
 * another module only that module's contract (`<module>/index.ts`), and only when it
 * declares the module in `dependsOn`. Runs at boot, in `cleave check` and in CI.
 */
export async function checkBoundaries(modules: readonly ModuleBoundary[]): Promise<BoundaryViolation[]> {
  await init;
  const roots = modules.map((m) => ({ ...m, dir: resolve(m.dir) }));
  const violations: BoundaryViolation[] = [];
  for (const module of roots) {
    for (const file of await sourceFiles(module.dir)) {
      const [imports] = parse(await readFile(file, 'utf8'), file);
      for (const { specifier } of imports) {
        if (!specifier?.startsWith('.')) continue;
        const target = resolve(dirname(file), specifier);
        const owner = roots.find((m) => m !== module && (target === m.dir || target.startsWith(m.dir + sep)));
        if (owner === undefined) continue;
        const rel = relative(owner.dir, target);
        const where = `${relative(process.cwd(), file)}`;
        if (rel !== '' && !CONTRACT_ENTRY.test(rel)) {
          violations.push({
            module: module.name, file: where, specifier, target: owner.name, kind: 'internal',
            message: `${where}: module "${module.name}" imports "${specifier}", inside module "${owner.name}"; import its contract (${owner.name}/index.ts) instead`,
          });
        } else if (!module.dependsOn.includes(owner.name)) {
          violations.push({
            module: module.name, file: where, specifier, target: owner.name, kind: 'undeclared',
            message: `${where}: module "${module.name}" imports the contract of "${owner.name}" but does not declare it in dependsOn`,
          });
        }
      }
    }
  }
  return violations;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && SOURCE.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !f.includes(`${sep}node_modules${sep}`));
}
