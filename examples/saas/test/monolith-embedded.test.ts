import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { advise } from '@cleavejs/core';
import { describe, expect, it } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startMonolith } from './support/target.ts';
import type { Target } from './support/target.ts';

describe('API end to end: monolith on the embedded PostgreSQL server (the default)', () => {
  let target: Target | undefined;
  apiSuite(async (env) => (target = await startMonolith({ env })));

  // Runs last, on the spans the suite above recorded: the data `cleave advise` reads.
  it('cleave advise ranks the modules from the spans of this suite, with predicted costs, and extracts one', async () => {
    const spans = target?.spans?.() ?? [];
    const modules = ['users', 'posts', 'notifications', 'inventory', 'payments', 'orders'];
    const result = advise(spans, modules);
    if (process.env.CLEAVE_ADVISE_SPANS_OUT) await writeFile(process.env.CLEAVE_ADVISE_SPANS_OUT, JSON.stringify(spans));
    expect(result.traffic.requests).toBeGreaterThan(50);
    const traffic = Object.fromEntries(result.traffic.modules.map((m) => [m.module, m]));
    expect(traffic.users?.requestShare).toBeGreaterThan(0);
    expect(traffic.users?.eventsOut).toBeGreaterThan(0);
    expect(traffic.inventory?.maxSyncDepth).toBe(2);
    expect(result.ranked.length).toBeGreaterThan(modules.length);
    expect(result.ranked.every((c) => c.modules.length < modules.length)).toBe(true);
    // Welcome emails are background work (events in, no synchronous caller): no added hop,
    // the seed's third extraction; payments (PCI) next. One recommendation only.
    expect(result.recommendation?.modules).toEqual(['notifications']);
    expect(result.recommendation?.addedHopsPerRequest).toBe(0);
    expect(result.recommendation?.reasons.join()).toContain('background work');
    expect(result.ranked[1]?.modules).toEqual(['payments']);
    expect(result.ranked[1]?.reasons.join()).toContain('PCI');
    expect(result.words).toContain('Don\'t extract everything. Keep core monolith.');
    const payments = result.ranked.find((c) => c.modules.join() === 'payments');
    expect(payments?.addedHopsPerRequest).toBeGreaterThan(0);
    expect(payments?.addedLatencyP99Ms).toBeGreaterThan(payments?.addedLatencyP50Ms ?? Infinity);

    // The same spans through the real command, as a file.
    const dir = await mkdtemp(join(tmpdir(), 'cleave-advise-'));
    try {
      await writeFile(join(dir, 'spans.json'), JSON.stringify(spans));
      const root = join(import.meta.dirname, '../../..');
      const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'packages/cleave/bin/cleave.mjs'), '--config', join(root, 'cleave.config.ts'), 'advise', '--spans', join(dir, 'spans.json'), '--write-topology', join(dir, 'extract-notifications.ts')], { cwd: root });
      console.log(stdout);
      expect(stdout).toMatch(/^1\. notifications: \+0 hops\/request/m);
      expect(stdout).toMatch(/^2\. payments: \+[\d.]+ hops\/request/m);
      expect(await readFile(join(dir, 'extract-notifications.ts'), 'utf8')).toContain("'notifications': { modules: ['notifications'], port: 4001 }");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
