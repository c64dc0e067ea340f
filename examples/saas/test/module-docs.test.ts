import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { checkArchitecture, moduleDocs } from '@cleavejs/core';
import { expect, it } from 'vitest';
import config from '../../../cleave.config.ts';

const root = join(import.meta.dirname, '../../..');
const committed = join(root, 'docs/modules');

it('docs/modules is what `cleave docs` generates from the code today (run `cleave docs` when this fails)', async () => {
  const generated = moduleDocs(config, await checkArchitecture(config.app.modules), (f) => relative(root, f));
  expect((await readdir(committed)).sort()).toEqual([...generated.keys()].sort());
  for (const [name, text] of generated) expect(await readFile(join(committed, name), 'utf8'), `docs/modules/${name} is stale`).toBe(text);
  expect(generated.get('orders.md')).toContain('reserveInventory (compensated) → chargePayment (compensated) → confirmOrder');
  expect(generated.get('users.md')).toMatch(/`user\.created\.v1` → notifications/);
});
