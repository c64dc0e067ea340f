import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../../../..');

/**
 * A scratch copy of the reference app in a temporary folder, to plant violations in
 * without touching the real one. It has its own package.json (name `scratch-app`,
 * exports for package self-references), a tsconfig with a `paths` alias, a config for
 * `cleave`, and node_modules linked to the repository's.
 */
export async function scratchApp(): Promise<{ dir: string; write(path: string, text: string): Promise<void>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cleave-scratch-'));
  const source = join(repoRoot, 'examples/saas');
  for (const part of ['app.ts', 'modules', 'gateway', 'topologies']) await cp(join(source, part), join(dir, part), { recursive: true });
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };
  await write('package.json', JSON.stringify({ name: 'scratch-app', private: true, type: 'module', exports: { './*': './*' } }));
  await write('tsconfig.json', JSON.stringify({
    compilerOptions: {
      module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true, strict: true,
      baseUrl: '.', paths: { '@modules/*': ['./modules/*'] },
    },
  }));
  await write('cleave.config.ts', [
    "import { defineConfig } from '@cleavejs/core';",
    "import { app } from './app.ts';",
    "import { monolith } from './topologies/monolith.ts';",
    "import { split } from './topologies/split.ts';",
    'export default defineConfig({ app, topologies: { monolith, split } });',
  ].join('\n'));
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) };
}
