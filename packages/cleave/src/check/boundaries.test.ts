import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBoundaries } from './boundaries.ts';
import type { ModuleBoundary } from './boundaries.ts';

const root = join(import.meta.dirname, '__fixtures__', 'app');
const mod = (name: string, dependsOn: string[] = []): ModuleBoundary => ({ name, dir: join(root, name), dependsOn });

describe('checkBoundaries', () => {
  it('reports an import of another module\'s internals as "internal", even when the module is declared', async () => {
    const violations = await checkBoundaries([mod('alpha', ['beta']), mod('beta')]);
    expect(violations).toHaveLength(1);
    const [v] = violations;
    expect(v).toMatchObject({ module: 'alpha', target: 'beta', kind: 'internal', specifier: '../../beta/lib/secret.ts' });
    expect(v?.file.endsWith(join('alpha', 'lib', 'x.ts'))).toBe(true);
    expect(v?.message).toContain('import its contract (beta/index.ts) instead');
  });

  it('reports an import of an undeclared module\'s contract as "undeclared"', async () => {
    const violations = await checkBoundaries([mod('gamma'), mod('beta')]);
    expect(violations).toEqual([
      expect.objectContaining({ module: 'gamma', target: 'beta', kind: 'undeclared', specifier: '../beta/index.ts' }),
    ]);
    expect(violations[0]?.message).toContain('does not declare it in dependsOn');
  });

  it('accepts an import of a declared module\'s contract', async () => {
    expect(await checkBoundaries([mod('gamma', ['beta']), mod('beta')])).toEqual([]);
  });

  it('counts `import type` as a dependency', async () => {
    expect(await checkBoundaries([mod('delta'), mod('beta')])).toEqual([
      expect.objectContaining({ module: 'delta', target: 'beta', kind: 'undeclared' }),
    ]);
    expect(await checkBoundaries([mod('delta', ['beta']), mod('beta')])).toEqual([]);
  });

  it('ignores imports into folders that are not modules of the check', async () => {
    expect(await checkBoundaries([mod('alpha'), mod('gamma')])).toEqual([]);
  });

  it('checks every module in one pass', async () => {
    const violations = await checkBoundaries([mod('alpha', ['beta']), mod('beta'), mod('gamma'), mod('delta', ['beta'])]);
    expect(violations.map((v) => `${v.module}:${v.kind}`).sort()).toEqual(['alpha:internal', 'gamma:undeclared']);
  });

  it('accepts module dirs relative to the working directory', async () => {
    const rel = (name: string, dependsOn: string[] = []) => ({ name, dir: relative(process.cwd(), join(root, name)), dependsOn });
    const violations = await checkBoundaries([rel('gamma'), rel('beta')]);
    expect(violations.map((v) => `${v.module}:${v.kind}`)).toEqual(['gamma:undeclared']);
  });
});

describe('checkBoundaries at boot (remembered between boots)', () => {
  it('sees a file added to a module, and a file changed, after a clean check was remembered', async () => {
    const { mkdtemp, mkdir, rm, writeFile, utimes } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'cleave-boot-cache-'));
    try {
      for (const m of ['one', 'two']) {
        await mkdir(join(dir, m, 'lib'), { recursive: true });
        await writeFile(join(dir, m, 'index.ts'), 'export const x = 1;\n');
        await writeFile(join(dir, m, 'lib', 'a.ts'), 'export const a = 1;\n');
      }
      const modules = [{ name: 'one', dir: join(dir, 'one'), dependsOn: [] }, { name: 'two', dir: join(dir, 'two'), dependsOn: [] }];
      expect(await checkBoundaries(modules)).toEqual([]);
      await writeFile(join(dir, 'one', 'lib', 'b.ts'), "export { a } from '../../two/lib/a.ts';\n");
      expect((await checkBoundaries(modules)).map((v) => `${v.module}:${v.kind}:${v.line}`)).toEqual(['one:internal:1']);
      await writeFile(join(dir, 'one', 'lib', 'b.ts'), 'export const b = 2;\n');
      await utimes(join(dir, 'one', 'lib', 'b.ts'), new Date(), new Date(Date.now() + 5000));
      expect(await checkBoundaries(modules)).toEqual([]);
      await writeFile(join(dir, 'one', 'lib', 'a.ts'), "import '../../two/index.ts';\n");
      await utimes(join(dir, 'one', 'lib', 'a.ts'), new Date(), new Date(Date.now() + 10_000));
      expect((await checkBoundaries(modules)).map((v) => `${v.module}:${v.kind}`)).toEqual(['one:undeclared']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
