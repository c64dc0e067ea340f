import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * The framework's own architecture test (as modular-monolith-with-ddd's ArchTests): every
 * import in packages/cleave/src points down or sideways in this table, never up. Types
 * count too: a type import is a dependency all the same. See docs/adr/0015-one-way-down.md.
 */

/** Lowest first. A path belongs to the row of its longest matching prefix. */
const LAYERS: readonly (readonly string[])[] = [
  ['util/', 'errors/', 'telemetry/', 'http/'],
  // Module contracts: what a module shows and the ports the machinery below runtime/ uses.
  ['module/'],
  ['data/', 'auth/'],
  // Definitions tie a contract to its subscriptions and sagas; the boundary check (and what it
  // reads: files, the TypeScript resolver, its cache) and the readiness config's types import nothing above.
  ['events/', 'saga/', 'jobs/', 'module/define-module.ts', 'check/boundaries.ts', 'check/boot-cache.ts', 'check/import-graph.ts', 'check/module-folders.ts', 'check/typescript-api.ts', 'check/readiness-config.ts'],
  ['transport/', 'gateway/', 'dashboard/'],
  ['runtime/'],
  ['cli/', 'check/', 'deploy/', 'testing/', 'index.ts'],
];

const prefixes = LAYERS.flatMap((row, rank) => row.map((prefix) => ({ prefix, rank })));

function layerOf(file: string): { prefix: string; rank: number } | undefined {
  return prefixes.filter((p) => file === p.prefix || file.startsWith(p.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
}

interface Violation {
  readonly file: string;
  readonly imports: string;
  readonly message: string;
}

/** Files are paths relative to src/ with their source text; returns every import that points up or leaves the table. */
export function layerViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    const from = layerOf(file);
    if (from === undefined) {
      violations.push({ file, imports: '', message: `${file} is in no layer: add its folder to LAYERS` });
      continue;
    }
    // The compiler's own scanner: static, type-only, re-exports and dynamic imports alike.
    for (const target of importsOf(file, source)) {
      const to = layerOf(target);
      if (to !== undefined && to.rank <= from.rank) continue;
      violations.push({ file, imports: target, message: `${file} (${from.prefix}) imports ${target} (${to?.prefix ?? 'no layer'}), which sits above it` });
    }
  }
  return violations;
}

function importsOf(file: string, source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative('/src', resolve('/src', dirname(file), specifier)).split(sep).join('/'));
}

/** Every circle of imports between files, each as the path that closes it. */
export function fileCircles(files: ReadonlyMap<string, string>): string[][] {
  const graph = new Map([...files].map(([file, source]) => [file, importsOf(file, source).filter((t) => files.has(t))]));
  const circles: string[][] = [];
  const done = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    const at = path.indexOf(file);
    if (at >= 0) return void circles.push([...path.slice(at), file]);
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
  return circles;
}

async function frameworkSources(): Promise<Map<string, string>> {
  const root = join(import.meta.dirname, '..', 'src');
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = new Map<string, string>();
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    const file = relative(root, path).split(sep).join('/');
    // Tests wire layers together on purpose; fixtures are stand-in apps, not the framework.
    if (!entry.isFile() || !file.endsWith('.ts') || file.endsWith('.test.ts') || file.includes('__fixtures__')) continue;
    files.set(file, await readFile(path, 'utf8'));
  }
  return files;
}

describe('layers of packages/cleave/src', () => {
  it('no import points up the layer table', async () => {
    const files = await frameworkSources();
    expect(files.size).toBeGreaterThan(50);
    expect(layerViolations(files).map((v) => v.message)).toEqual([]);
  });

  it('no two files import each other, directly or around a circle', async () => {
    expect(fileCircles(await frameworkSources())).toEqual([]);
  });

  it('finds a planted circle', () => {
    const planted = new Map([
      ['events/subscription.ts', "import type { AnySaga } from '../saga/define-saga.ts';"],
      ['saga/define-saga.ts', "import type { ModuleTransaction } from '../events/subscription.ts';"],
      ['saga/leaf.ts', "import type { ModuleTransaction } from '../events/subscription.ts';"],
    ]);
    expect(fileCircles(planted)).toEqual([['events/subscription.ts', 'saga/define-saga.ts', 'events/subscription.ts']]);
  });

  it('catches a planted upward import, type-only and re-exported ones too', () => {
    const planted = new Map([
      ['events/inbox-worker.ts', "import type { ModuleRuntime } from '../runtime/module-runtime.ts';"],
      ['util/loop.ts', "export { errors } from '../errors/framework-errors.ts';\nexport * from '../gateway/problem.ts';"],
      ['saga/runner.ts', "const lazy = () => import('../cli/main.ts');"],
      ['module/define-module.ts', "import { subscribeFn } from '../events/subscription.ts';"],
      ['runtime/boot/events.ts', "import { startEventRuntime } from '../../events/event-runtime.ts';"],
      ['newfolder/thing.ts', 'export {};'],
    ]);
    expect(layerViolations(planted).map((v) => v.message)).toEqual([
      'events/inbox-worker.ts (events/) imports runtime/module-runtime.ts (runtime/), which sits above it',
      'util/loop.ts (util/) imports gateway/problem.ts (gateway/), which sits above it',
      'saga/runner.ts (saga/) imports cli/main.ts (cli/), which sits above it',
      'newfolder/thing.ts is in no layer: add its folder to LAYERS',
    ]);
  });
});
