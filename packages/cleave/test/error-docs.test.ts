import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bootErrors, configErrors } from '../src/errors/boot-errors.ts';
import type { ErrorFactory } from '../src/errors/define-errors.ts';
import { errors } from '../src/errors/framework-errors.ts';
import { defineSaga, isCleaveError } from '../src/index.ts';

/*
 * docs/errors.md is generated from the registries and kept in sync here, as Fastify's
 * test/internals/errors.test.js keeps its Errors.md: a code added, renamed or retitled
 * without the docs fails this test. `CLEAVE_WRITE_DOCS=1 npx vitest run <this file>` rewrites it.
 */

const DOCS = join(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md');

const SECTIONS: readonly { readonly title: string; readonly intro: string; readonly registry: Readonly<Record<string, ErrorFactory>> }[] = [
  {
    title: 'Request errors (`cleave.*`)',
    intro: 'Sent to clients as `application/problem+json` with this `code` and status; match on the code, not the title.',
    registry: errors,
  },
  {
    title: 'Configuration errors (`cleave.config.*`)',
    intro: 'Thrown while an app is declared or a service reads its settings and config, before anything opens.',
    registry: configErrors,
  },
  {
    title: 'Boot errors (`cleave.boot.*`)',
    intro: 'Thrown by `startService` (and `cleave start`) when what it opens is not as declared; the boot closes what it opened first.',
    registry: bootErrors,
  },
];

export function renderErrorDocs(): string {
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated from packages/cleave/src/errors/*.ts by packages/cleave/test/error-docs.test.ts; do not edit by hand. -->',
    '',
    'Every error the framework raises carries a stable `code`. Applications add their own',
    "per module with `defineErrors('<module>', { ... })`.",
  ];
  for (const section of SECTIONS) {
    lines.push('', `## ${section.title}`, '', section.intro, '', '| code | status | meaning |', '| --- | --- | --- |');
    for (const factory of Object.values(section.registry)) lines.push(`| \`${factory.code}\` | ${factory.status} | ${factory.title.replaceAll('|', '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}

// Thrown on purpose as plain errors: programming mistakes inside the framework or CLI usage, not configuration.
const PLAIN_ERRORS_ALLOWED = new Map([
  ['cli/commands/advise.ts', 2], // usage: a spans file with no spans, --write-topology with nothing to extract
  ['cli/commands/deploy.ts', 1], // usage: a deploy target other than k8s or compose
  ['cli/commands/trace.ts', 4], // usage: no gateway answering, an HTTP error from it, no trace named, no traces yet
  ['cli/init/scaffold.ts', 2], // `cleave init` usage: a folder that is not empty, a name npm refuses
  ['testing/start-test-app.ts', 2], // test-helper misuse: several services without listen, a topology without a gateway
  ['runtime/module-runtime.ts', 1], // startSaga with an undeclared saga: stays an INTERNAL 500 at the edge, as before
  ['events/transports/nats-transport.ts', 3], // used before connect(); an event no module publishes; a delivery gap, caught by the reader to restart its consumer
  ['data/pglite-dialect.ts', 1], // streaming queries, which Kysely never asks of it here
  ['cli/commands/events.ts', 1], // CLI usage
  ['cli/commands/saga.ts', 2], // CLI usage
  ['cli/commands/jobs.ts', 5], // CLI usage: a bad --status, an unknown job, a job that is not dead, an unknown or ambiguous schedule
]);

describe('error registry', () => {
  it('docs/errors.md lists every code of every registry', async () => {
    const expected = renderErrorDocs();
    if (process.env.CLEAVE_WRITE_DOCS === '1') await writeFile(DOCS, expected);
    expect(await readFile(DOCS, 'utf8')).toBe(expected);
  });

  it('a configuration mistake carries its code, and the message it always had', () => {
    let thrown: unknown;
    try {
      defineSaga('empty', { input: z.object({}), steps: [] });
    } catch (err) {
      thrown = err;
    }
    expect(isCleaveError(thrown, configErrors.SAGA_NO_STEPS)).toBe(true);
    expect((thrown as Error).message).toBe('saga "empty" has no steps');
  });

  it('codes are unique across registries', () => {
    const codes = SECTIONS.flatMap((s) => Object.values(s.registry).map((f) => f.code));
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('framework files throw registered errors, plain Errors only where listed', async () => {
    const root = join(import.meta.dirname, '..', 'src');
    const found = new Map<string, number>();
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      const file = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
      if (!entry.isFile() || !file.endsWith('.ts') || file.endsWith('.test.ts') || file.includes('__fixtures__')) continue;
      const count = (await readFile(join(root, file), 'utf8')).split('throw new Error(').length - 1;
      if (count > 0) found.set(file, count);
    }
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(PLAIN_ERRORS_ALLOWED));
  });
});
