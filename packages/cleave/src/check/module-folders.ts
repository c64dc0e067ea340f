import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

/** A module as the static checks see it: its folder and what it declares it uses. */
export interface ModuleBoundary {
  readonly name: string;
  readonly dir: string;
  readonly dependsOn: readonly string[];
}

/** A module the checks cannot vouch for, and why: `cleave check` fails on it. */
export interface UncheckedModule {
  readonly module: string;
  readonly reason: string;
}

const CONTRACT_ENTRY = /^index\.(c|m)?(t|j)sx?$/;
const SOURCE = /\.(c|m)?(t|j)sx?$/;

/**
 * Which folders the checks can trust. A module's folder must exist, hold its contract
 * (`index.ts`) and be its own: two modules defined in one folder, or a folder inside
 * another module's, would make "inside the module" meaningless.
 */
export function locateModules(modules: readonly { name: string; dir: string | undefined; dependsOn: readonly string[] }[]): {
  located: ModuleBoundary[];
  unchecked: UncheckedModule[];
} {
  const located: ModuleBoundary[] = [];
  const unchecked: UncheckedModule[] = [];
  for (const m of modules) {
    if (m.dir === undefined) {
      unchecked.push({ module: m.name, reason: 'its folder is unknown (pass dir to defineModule)' });
      continue;
    }
    const dir = resolve(m.dir);
    const sharing = modules.find((o) => o !== m && o.dir !== undefined && resolve(o.dir) === dir);
    const inside = modules.find((o) => o !== m && o.dir !== undefined && dir.startsWith(resolve(o.dir) + sep));
    if (!existsSync(dir)) unchecked.push({ module: m.name, reason: `its folder ${dir} does not exist` });
    else if (sharing) unchecked.push({ module: m.name, reason: `it shares its folder ${dir} with module "${sharing.name}"; define each module in its own folder or pass dir` });
    else if (inside) unchecked.push({ module: m.name, reason: `its folder ${dir} is inside module "${inside.name}"` });
    else if (contractEntry(dir) === undefined) unchecked.push({ module: m.name, reason: `its folder ${dir} has no contract entry (index.ts)` });
    else located.push({ name: m.name, dir, dependsOn: m.dependsOn });
  }
  return { located, unchecked };
}

export function contractEntry(dir: string): string | undefined {
  const entry = readdirSync(dir).find((f) => CONTRACT_ENTRY.test(f));
  return entry === undefined ? undefined : join(dir, entry);
}

export function isContractEntry(module: ModuleBoundary, file: string): boolean {
  const rest = file.slice(module.dir.length + 1);
  return !rest.includes(sep) && CONTRACT_ENTRY.test(rest);
}

/** The module whose folder holds `file` (the deepest, should folders nest). */
export function ownerOf(modules: readonly ModuleBoundary[], file: string): ModuleBoundary | undefined {
  let owner: ModuleBoundary | undefined;
  for (const m of modules) {
    if (file.startsWith(m.dir + sep) && (owner === undefined || m.dir.length > owner.dir.length)) owner = m;
  }
  return owner;
}

/** The module's own source files: TypeScript and JavaScript, no declarations, no node_modules. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && SOURCE.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !f.includes(`${sep}node_modules${sep}`));
}
