import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as ts from 'typescript';

/** The TypeScript compiler API, the module `typescript` exports. */
export type TypeScriptApi = typeof ts;

/**
 * Loads the TypeScript compiler the project itself uses (resolved from `fromDir`, the
 * project's folder), else the one beside the framework. It is an optional peer
 * dependency: the static checks resolve imports exactly as the project's `tsc` does,
 * while a production install running built JavaScript does not need it.
 * Undefined when neither is installed.
 */
export function loadTypeScriptApi(fromDir: string): TypeScriptApi | undefined {
  for (const base of [`${fromDir}/package.json`, import.meta.url]) {
    try {
      return createRequire(base)('typescript') as TypeScriptApi;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  return undefined;
}

/** The project folder of a set of module folders: their deepest common ancestor. */
export function commonDir(dirs: readonly string[]): string {
  if (dirs.length === 0) return process.cwd();
  let common = dirs[0] ?? process.cwd();
  for (const dir of dirs) {
    while (!(dir === common || dir.startsWith(common.endsWith('/') ? common : `${common}/`))) {
      const up = dirname(common);
      if (up === common) return common;
      common = up;
    }
  }
  return common;
}
