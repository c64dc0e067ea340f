import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../../../cleave.config.ts';
import { settingsFromEnv } from '../runtime/settings.ts';
import { checkArchitecture } from './architecture.ts';
import { checklist } from './checklist.ts';
import type { ChecklistReport } from './checklist.ts';
import { moduleGraph } from './module-graph.ts';

const status = (r: ChecklistReport, item: string) => r.groups.flatMap((g) => g.items).find((i) => i.item.startsWith(item))?.status;
const settings = settingsFromEnv({});

describe('the seed\'s checklist', () => {
  it('answers the four groups for the reference app and says: stay monolith', async () => {
    const report = checklist(config, await checkArchitecture(config.app.modules), settings, '/nonexistent');
    expect(report.groups.map((g) => g.name)).toEqual(['Business Case', 'Technical Preparation', 'Infrastructure', 'Team']);
    expect(status(report, '20+ engineers')).toBe('unmet');
    expect(status(report, 'Monolith has clear module boundaries')).toBe('met');
    expect(status(report, 'Comprehensive test coverage')).toBe('unknown');
    expect(status(report, 'Service ownership defined')).toBe('met');
    expect(status(report, 'Dedicated team per service')).toBe('unmet');
    expect(report.verdict.decision).toBe('stay-monolith');
    expect(report.verdict.words).toContain('If you don\'t meet these, stay monolith.');
  });

  it('says extract one module at a time, never everything, only when every item holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleave-checklist-'));
    try {
      // Without media: media calls posts (authorship) and posts subscribes to media's
      // image.ready.v1, a cycle the checklist rightly reports (the first test sees it); this
      // one is about the verdict when every other item holds.
      const modules = config.app.modules.filter((m) => m.name !== 'media');
      const architecture = await checkArchitecture(modules);
      // A coverage summary as vitest's json-summary reporter writes it: 90 % in every module.
      const summary: Record<string, unknown> = { total: {} };
      for (const m of architecture.modules) summary[join(m.dir, 'index.ts')] = { lines: { total: 10, covered: 9 } };
      await mkdir(join(dir, 'coverage'));
      await writeFile(join(dir, 'coverage/coverage-summary.json'), JSON.stringify(summary));
      const grown = {
        ...config,
        app: { ...config.app, modules },
        readiness: { engineers: 40, arrUsd: 25_000_000, users: 3_000_000, monitoring: 'Better Stack' },
        team: Object.fromEntries(modules.map((m) => [m.name, { owner: `${m.name}-team`, onCall: `${m.name}-rota`, engineers: 4 }])),
      };
      const report = checklist(grown, architecture, settings, dir);
      expect(report.groups.flatMap((g) => g.items).filter((i) => i.status !== 'met').map((i) => i.item)).toEqual(['Different scaling needs per service']);
      // Scaling needs are declared evidence; without them the rest still decides.
      expect(status(report, 'Comprehensive test coverage')).toBe('met');
      expect(report.verdict.decision).toBe('extract-one-at-a-time');
      expect(report.verdict.words).toContain('Don\'t extract everything. Keep core monolith.');

      await writeFile(join(dir, 'coverage/coverage-summary.json'), JSON.stringify({ ...summary, [join(architecture.modules[0]!.dir, 'module.ts')]: { lines: { total: 90, covered: 0 } } }));
      const thin = checklist(grown, architecture, settings, dir);
      expect(status(thin, 'Comprehensive test coverage')).toBe('unmet');
      expect(thin.verdict.decision).toBe('not-ready');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds fan-in, fan-out and cycles in the module graph', () => {
    const graph = moduleGraph([
      { name: 'a', dependsOn: ['b'] },
      { name: 'b', dependsOn: ['c'] },
      { name: 'c', dependsOn: ['a'] },
      { name: 'd', dependsOn: ['a', 'b'] },
    ]);
    expect(graph.cycles).toEqual([['a', 'b', 'c']]);
    expect(graph.fanOut).toEqual({ a: 1, b: 1, c: 1, d: 2 });
    expect(graph.fanIn).toEqual({ a: 2, b: 2, c: 1, d: 0 });
  });
});
