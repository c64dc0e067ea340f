import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frameworkPackage, packageRoot } from '../framework-package.ts';
import { scaffoldApp } from './scaffold.ts';

const root = await mkdtemp(join(tmpdir(), 'cleave-init-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('cleave init', () => {
  it('writes the app with its name and the framework dependency filled in', async () => {
    const created = await scaffoldApp({ dir: join(root, 'My App') });
    expect(created.name).toBe('my-app');
    expect(created.files).toEqual(expect.arrayContaining(['.gitignore', 'cleave.config.ts', 'app.ts', 'modules/notes/notes.test.ts', 'modules/notes/db/migrations.ts', 'topologies/split.ts', 'README.md']));
    const manifest = JSON.parse(await readFile(join(created.dir, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    expect(manifest.name).toBe('my-app');
    expect(manifest.dependencies['@cleavejs/core']).toBe(`^${frameworkPackage().version}`);
    expect(await readFile(join(created.dir, 'app.ts'), 'utf8')).toContain("name: 'my-app'");
    for (const file of created.files) expect(await readFile(join(created.dir, file), 'utf8')).not.toMatch(/\{\{\w+\}\}/);
  });

  it('takes a dependency spec (a tarball in CI) and refuses a folder that is not empty', async () => {
    const created = await scaffoldApp({ dir: join(root, 'tarball'), name: 'x', cleaveDependency: 'file:/tmp/cleavejs-core.tgz' });
    expect(await readFile(join(created.dir, 'package.json'), 'utf8')).toContain('"@cleavejs/core": "file:/tmp/cleavejs-core.tgz"');
    await mkdir(join(root, 'taken'));
    await writeFile(join(root, 'taken', 'keep.txt'), 'mine');
    await expect(scaffoldApp({ dir: join(root, 'taken') })).rejects.toThrow(/is not empty/);
    expect(await readFile(join(root, 'taken', 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('cleave --version prints the package version (the built binary)', () => {
    const out = spawnSync(process.execPath, [join(packageRoot, 'bin/cleave.mjs'), '--version'], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout.trim()).toBe(frameworkPackage().version);
  });
});
