import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Source files of the framework and of the reference app's runtime code (not tests, not benches). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'test' || name === '__fixtures__') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** Environment variables a file reads: `env.X`, `env['X']`, `process.env.X`, `optionalInt(env, 'X')`. */
function variablesRead(source: string): string[] {
  const names = new Set<string>();
  for (const pattern of [/\benv\.([A-Z][A-Z0-9_]+)/g, /\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g, /\(env, ['"]([A-Z][A-Z0-9_]+)['"]\)/g]) {
    for (const match of source.matchAll(pattern)) names.add(match[1] as string);
  }
  return [...names];
}

describe('README', () => {
  it('lists every environment variable the framework and the reference app read', () => {
    const files = [...sources(join(root, 'packages/cleave/src')), ...sources(join(root, 'examples/saas'))];
    const read = new Map<string, string>();
    for (const file of files) for (const name of variablesRead(readFileSync(file, 'utf8'))) read.set(name, relative(root, file));
    expect(read.size).toBeGreaterThan(10);
    const missing = [...read].filter(([name]) => !readme.includes(`\`${name}\``)).map(([name, file]) => `${name} (read in ${file})`);
    expect(missing).toEqual([]);
  });

  it('stands alone: no link leaves the repository (public web pages aside)', () => {
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1] as string);
    expect(links.filter((href) => href.startsWith('../'))).toEqual([]);
  });
});
