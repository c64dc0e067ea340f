import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { repoRoot } from './support/scratch-app.ts';

const run = promisify(execFile);
const cleave = (...args: string[]) =>
  run(process.execPath, [join(repoRoot, 'packages/cleave/bin/cleave.mjs'), '--config', join(repoRoot, 'cleave.config.ts'), ...args], { cwd: repoRoot, env: { ...process.env } });

// Both runs at once: each spends most of its time loading the app and the compiler.
const runs = Promise.all([cleave('check'), cleave('check', '--json')]);

it('`cleave check` on the reference app: boundaries hold, the four groups with evidence, the seed\'s verdict, exit 0', async () => {
  const [{ stdout }] = await runs;
  expect(stdout).toContain('✓ boundaries hold');
  const headings = ['Business Case', 'Technical Preparation', 'Infrastructure', 'Team'];
  expect(headings.map((h) => stdout.indexOf(`\n${h}\n`))).toEqual(headings.map((h) => stdout.indexOf(`\n${h}\n`)).sort((a, b) => a - b));
  expect(stdout).toMatch(/✗ 20\+ engineers \(team autonomy needed\)\n\s+6 declared; the threshold is 20/);
  expect(stdout).toMatch(/payments: fan-out 0 \(-\), fan-in 1/);
  expect(stdout).toContain('Verdict: Stay monolith. "If you don\'t meet these, stay monolith."');
}, 60_000);

it('`cleave check --json` gives the same report as data', async () => {
  const [, { stdout }] = await runs;
  const report = JSON.parse(stdout) as { ok: boolean; checklist: { groups: { name: string; items: { item: string; status: string; evidence: string[] }[] }[]; verdict: { decision: string } } };
  expect(report.ok).toBe(true);
  expect(report.checklist.groups.map((g) => g.items.length)).toEqual([5, 4, 4, 3]);
  expect(report.checklist.verdict.decision).toBe('stay-monolith');
  for (const group of report.checklist.groups) for (const i of group.items) expect(i.evidence.length).toBeGreaterThan(0);
}, 60_000);
