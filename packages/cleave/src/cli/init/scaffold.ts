import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { frameworkPackage, packageRoot } from '../framework-package.ts';

export interface ScaffoldOptions {
  /** Where the app goes; created, or an empty folder. */
  readonly dir: string;
  /** The app's name; default the folder's name. */
  readonly name?: string;
  /** What `package.json` depends on for the framework: default `^<this version>`; a tarball path for tests. */
  readonly cleaveDependency?: string;
}

/** Files whose text names the app or the framework dependency. */
const FILLED = ['package.json', 'app.ts', 'README.md'];

/**
 * Copies the app template (templates/init: a config, an app, one module with contract,
 * migration, handlers and a test, monolith and split topologies) into a new folder.
 * The template is real TypeScript, type-checked and run in the framework's own CI.
 */
export async function scaffoldApp(options: ScaffoldOptions): Promise<{ dir: string; name: string; files: string[] }> {
  const dir = resolve(options.dir);
  if (existsSync(dir) && (await readdir(dir)).length > 0) throw new Error(`${dir} is not empty; choose a new folder`);
  const name = options.name ?? packageName(basename(dir));
  const { version } = frameworkPackage();
  const dependency = options.cleaveDependency ?? `^${version}`;

  await mkdir(dir, { recursive: true });
  await cp(join(packageRoot, 'templates', 'init'), dir, { recursive: true });
  // npm does not pack files named .gitignore, so the template carries it without the dot.
  await rename(join(dir, 'gitignore'), join(dir, '.gitignore'));
  for (const file of FILLED) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replaceAll('{{name}}', name).replaceAll('{{cleaveDependency}}', dependency));
  }
  return { dir, name, files: await listFiles(dir) };
}

/** A folder name as an npm package name: lower case, no spaces. */
function packageName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '');
  if (!name) throw new Error(`cannot derive an app name from "${folder}"; pass --name`);
  return name;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : Promise.resolve([join(prefix, e.name)]))),
  );
  return nested.flat().sort();
}
