import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package root: `src/cli` in the repository, `dist/cli` once built; both two levels down. */
export const packageRoot = join(import.meta.dirname, '..', '..');

/** This package's own name and version, from its package.json. */
export function frameworkPackage(): { readonly name: string; readonly version: string } {
  return JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };
}
