import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../../examples/saas/app.ts';
import { checkArchitecture } from '../src/check/architecture.ts';
import type { ArchitectureReport } from '../src/check/architecture.ts';
import { repoRoot, scratchApp } from './support/scratch-app.ts';

const run = promisify(execFile);
let scratch: Awaited<ReturnType<typeof scratchApp>>;
/** The reference app's modules, located in the scratch copy. */
const modules = () => app.modules.map((m) => ({ ...m, dir: join(scratch.dir, 'modules', m.name) }));
const findings = (r: ArchitectureReport) => [...r.imports, ...r.calls, ...r.schemaReferences];

beforeAll(async () => {
  scratch = await scratchApp();
});
afterAll(() => scratch.remove());

const internal = 'export { findUserById } from';
const plants: { kind: string; file: string; text: (dir: string) => string; line: number; expect: RegExp }[] = [
  { kind: 'relative import of internals', file: 'modules/posts/lib/p1.ts', text: () => `// planted\nimport { findUserById } from '../../users/lib/user-repository.ts';\nexport const x = findUserById;\n`, line: 2, expect: /inside module "users" \(lib\/user-repository\.ts\)/ },
  { kind: 'absolute import path', file: 'modules/posts/lib/p2.ts', text: (dir) => `import { findUserById } from '${dir}/modules/users/lib/user-repository.ts';\nexport const x = findUserById;\n`, line: 1, expect: /inside module "users"/ },
  { kind: 'tsconfig paths alias', file: 'modules/posts/lib/p3.ts', text: () => `\n\nimport type { UsersDb } from '@modules/users/db/schema.ts';\nexport type X = UsersDb;\n`, line: 3, expect: /inside module "users" \(db\/schema\.ts\)/ },
  { kind: 'package self-reference', file: 'modules/posts/lib/p4.ts', text: () => `import { findUserById } from 'scratch-app/modules/users/lib/user-repository.ts';\nexport const x = findUserById;\n`, line: 1, expect: /inside module "users"/ },
  { kind: 're-export through a shared folder', file: 'modules/posts/lib/p5.ts', text: () => `import { findUserById } from '../../../shared/users-helpers.ts';\nexport const x = findUserById;\n`, line: 1, expect: /through \S*shared\/users-helpers\.ts\), inside module "users"/ },
  { kind: 'dynamic import()', file: 'modules/posts/lib/p6.ts', text: () => `export async function load() {\n  return import('../../users/lib/user-repository.ts');\n}\n`, line: 2, expect: /inside module "users"/ },
  { kind: 'require()', file: 'modules/posts/lib/p7.ts', text: () => `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const x = require('../../users/lib/user-repository.ts');\n`, line: 3, expect: /inside module "users"/ },
  { kind: 'undeclared contract', file: 'modules/inventory/lib/p8.ts', text: () => `import type { users } from '../../users/index.ts';\nexport type U = typeof users;\n`, line: 1, expect: /module "inventory" imports the contract of "users" but does not declare it/ },
  { kind: 'undeclared ctx.call', file: 'modules/inventory/lib/p9.ts', text: () => `import { users } from '../../../shared/contracts.ts';\nexport async function f(ctx: { call(op: unknown, input: unknown): Promise<unknown> }) {\n  return ctx.call(users.getPublicProfile, { id: 'x' });\n}\n`, line: 3, expect: /calls users\.getPublicProfile of module "users" but does not declare "users"/ },
  { kind: 'query naming another schema (raw SQL)', file: 'modules/posts/lib/p10.ts', text: () => `import { sql } from 'kysely';\nexport const q = (id: string) =>\n  sql\`select name from users.users where id = \${id}\`;\n`, line: 3, expect: /names schema "users" of module "users"/ },
  { kind: 'query naming another schema (Kysely)', file: 'modules/posts/lib/p11.ts', text: () => `import type { Kysely } from 'kysely';\nexport const q = (db: Kysely<any>) => db.selectFrom('users.users').selectAll();\n`, line: 2, expect: /names schema "users"/ },
  { kind: 'migration with a foreign key into another schema', file: 'modules/orders/db/p12.ts', text: () => `import type { Kysely } from 'kysely';\nexport async function up(db: Kysely<unknown>) {\n  await db.schema.alterTable('orders')\n    .addForeignKeyConstraint('orders_payment_fk', ['id'], 'payments.charges', ['order_id']).execute();\n}\n`, line: 4, expect: /names schema "payments"/ },
  { kind: 'withSchema of another module', file: 'modules/posts/lib/p13.ts', text: () => `import type { Kysely } from 'kysely';\nexport const q = (db: Kysely<any>) => db.withSchema('users').selectFrom('users').selectAll();\n`, line: 2, expect: /names schema "users"/ },
];

describe('planted violations in a scratch copy of the reference app', () => {
  it('the unchanged copy passes', async () => {
    const report = await checkArchitecture(modules());
    expect(findings(report).map((v) => v.message)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  for (const plant of plants) {
    it(`${plant.kind}: found, with file and line`, async () => {
      await scratch.write('shared/users-helpers.ts', `${internal} '../modules/users/lib/user-repository.ts';\n`);
      await scratch.write('shared/contracts.ts', `export { users } from '../modules/users/index.ts';\n`);
      await scratch.write(plant.file, plant.text(scratch.dir));
      try {
        const report = await checkArchitecture(modules());
        expect(report.ok).toBe(false);
        const shown = relative(process.cwd(), join(scratch.dir, plant.file));
        const messages = findings(report).map((v) => v.message);
        expect(messages.some((m) => m.startsWith(`${shown}:${plant.line}: `) && plant.expect.test(m)), messages.join('\n')).toBe(true);
      } finally {
        await rm(join(scratch.dir, plant.file));
      }
    });
  }

  it('a module whose folder is shared with another is not checked, and that fails', async () => {
    const located = modules().map((m) => (m.name === 'payments' ? { ...m, dir: join(scratch.dir, 'modules', 'orders') } : m));
    const report = await checkArchitecture(located);
    expect(report.ok).toBe(false);
    expect(report.unchecked.map((u) => u.module).sort()).toEqual(['orders', 'payments']);
  });

  it('`cleave check` on the copy (folders derived, nothing passed) exits non-zero naming each file and line', async () => {
    for (const plant of plants) await scratch.write(plant.file, plant.text(scratch.dir));
    const bin = join(repoRoot, 'packages/cleave/bin/cleave.mjs');
    const env = { ...process.env, DATABASE_URL: '' };
    const failed = await run(process.execPath, [bin, 'check'], { cwd: scratch.dir, env }).then(() => undefined, (err: { code: number; stdout: string }) => err);
    expect(failed?.code).toBe(1);
    for (const plant of plants) expect(failed?.stdout).toContain(`${plant.file}:${plant.line}: `);
    for (const plant of plants) await rm(join(scratch.dir, plant.file));
    const { stdout } = await run(process.execPath, [bin, 'check'], { cwd: scratch.dir, env });
    expect(stdout).toContain('✓ boundaries hold');
  }, 60_000);
});
