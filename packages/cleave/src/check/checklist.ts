import { join } from 'node:path';
import type { CleaveConfig } from '../runtime/define-config.ts';
import type { ServiceSettings } from '../runtime/settings.ts';
import type { ArchitectureReport } from './architecture.ts';
import { item, metWhen } from './checklist-item.ts';
import type { ChecklistGroup, ChecklistItem } from './checklist-item.ts';
import { coverageByModule } from './coverage.ts';
import { infrastructureGroup } from './infrastructure-items.ts';
import { moduleGraph } from './module-graph.ts';
import type { ModuleGraph } from './module-graph.ts';
import { SEED_THRESHOLDS } from './readiness-config.ts';
import type { ReadinessThresholds } from './readiness-config.ts';

export type { ChecklistGroup, ChecklistItem } from './checklist-item.ts';

export interface ChecklistReport {
  readonly groups: readonly ChecklistGroup[];
  readonly graph: ModuleGraph;
  readonly thresholds: ReadinessThresholds;
  /** `stay-monolith` unless the business case holds; `not-ready` when it holds but the rest does not. */
  readonly verdict: { readonly decision: 'stay-monolith' | 'not-ready' | 'extract-one-at-a-time'; readonly words: string };
}

/**
 * The seed's "Microservices Checklist", item by item, in its four groups, with evidence
 * from the config (`readiness`, `team`), the code (architecture report, module graph),
 * the test runner's coverage and the topologies. The verdict is the seed's: stay monolith
 * unless the business case holds, and then extract one module at a time.
 */
export function checklist(config: CleaveConfig, architecture: ArchitectureReport, settings: ServiceSettings, projectDir: string): ChecklistReport {
  const readiness = config.readiness ?? {};
  const t: ReadinessThresholds = { ...SEED_THRESHOLDS, ...readiness.thresholds };
  const modules = config.app.modules;
  const graph = moduleGraph(modules);
  const dollars = (n: number) => `$${n.toLocaleString('en-US')}`;
  const threshold = (name: string, value: number | undefined, min: number, show: (n: number) => string, key: string): ChecklistItem =>
    item(name, metWhen(value === undefined ? undefined : value >= min), [
      value === undefined ? `not declared (readiness.${key} in cleave.config.ts); the seed's threshold is ${show(min)}` : `${show(value)} declared; the threshold is ${show(min)}`,
    ]);
  const scaling = Object.entries(readiness.scalingNeeds ?? {});
  const business: ChecklistGroup = {
    name: 'Business Case',
    items: [
      threshold('20+ engineers (team autonomy needed)', readiness.engineers, t.engineers, String, 'engineers'),
      threshold('$10M+ ARR (can afford complexity)', readiness.arrUsd, t.arrUsd, dollars, 'arrUsd'),
      threshold('1M+ users', readiness.users, t.users, (n) => n.toLocaleString('en-US'), 'users'),
      item('Clear domain boundaries (users, payments, etc.)', metWhen(architecture.ok), [
        `${modules.length} modules, each with its own contract: ${modules.map((m) => m.name).join(', ')}`,
        architecture.ok ? 'boundaries hold (imports, calls, schemas)' : 'boundaries are broken: see the boundary findings',
      ]),
      item('Different scaling needs per service', scaling.length > 0 ? 'met' : 'unknown', scaling.length > 0
        ? scaling.map(([m, why]) => `${m}: ${why}`)
        : ['none declared (readiness.scalingNeeds); `cleave advise` measures CPU share per module from traces']),
    ],
  };
  const located = architecture.modules;
  // turbopackIgnore: a path of the checked project, not a file a bundle should carry.
  const coverageFile = join(/* turbopackIgnore: true */ projectDir, readiness.coverageFile ?? 'coverage/coverage-summary.json');
  const coverage = coverageByModule(coverageFile, located);
  const worstFanOut = Math.max(0, ...Object.values(graph.fanOut));
  const technical: ChecklistGroup = {
    name: 'Technical Preparation',
    items: [
      item('Monolith has clear module boundaries', metWhen(architecture.unchecked.length === 0 && architecture.imports.length === 0 && architecture.calls.length === 0), [
        `${located.length} of ${modules.length} modules checked; ${architecture.imports.length} import and ${architecture.calls.length} call violation(s)`,
        ...architecture.unchecked.map((u) => `${u.module} not checked: ${u.reason}`),
      ]),
      item('Each module has own database tables', metWhen(architecture.schemaReferences.length === 0 && architecture.catalog.crossings.length === 0), [
        ...Object.entries(architecture.tables).map(([m, tables]) => `${m}: schema "${m}" with ${tables.join(', ') || 'no tables of its own'}`),
        `${architecture.schemaReferences.length} reference(s) in code to another module's schema`,
        architecture.catalog.skipped ?? `${architecture.catalog.crossings.length} catalog crossing(s) in ${architecture.catalog.checked.join(', ')}`,
      ]),
      item('Minimal cross-module dependencies', metWhen(graph.cycles.length === 0 && worstFanOut <= t.maxFanOut), [
        ...modules.map((m) => `${m.name}: fan-out ${graph.fanOut[m.name]} (${m.dependsOn.join(', ') || '-'}), fan-in ${graph.fanIn[m.name]}`),
        graph.cycles.length ? `cycles: ${graph.cycles.map((c) => c.join(' ⇄ ')).join('; ')}` : 'no cycles',
        `most dependencies of one module: ${worstFanOut} (at most ${t.maxFanOut})`,
      ]),
      item('Comprehensive test coverage (don\'t break during split)', coverage === undefined ? 'unknown' : metWhen(coverage.every((c) => c.pct !== undefined && c.pct >= t.coveragePct)), coverage === undefined
        ? [`no coverage summary at ${coverageFile} (run the tests with coverage and the json-summary reporter)`]
        : coverage.map((c) => `${c.module}: ${c.pct === undefined ? 'no covered files' : `${c.pct}% of ${c.linesTotal} lines`} (at least ${t.coveragePct}%)`)),
    ],
  };
  const infrastructure = infrastructureGroup(config.app, Object.values(config.topologies), settings, readiness.monitoring);
  const team = teamGroup(config, t);
  const businessHolds = business.items.slice(0, 3).every((i) => i.status === 'met');
  const restHolds = [technical, infrastructure, team].every((g) => g.items.every((i) => i.status === 'met'));
  const verdict = !businessHolds
    ? { decision: 'stay-monolith' as const, words: 'Stay monolith. "If you don\'t meet these, stay monolith." The business case does not hold: ' + business.items.slice(0, 3).filter((i) => i.status !== 'met').map((i) => i.item).join('; ') + '.' }
    : !restHolds
      ? { decision: 'not-ready' as const, words: 'The business case holds, but the checklist does not: finish the technical preparation, infrastructure and team items before splitting.' }
      : { decision: 'extract-one-at-a-time' as const, words: 'Extract one module at a time (`cleave advise` ranks them). Don\'t extract everything. Keep core monolith.' };
  return { groups: [business, technical, infrastructure, team], graph, thresholds: t, verdict };
}

function teamGroup(config: CleaveConfig, t: ReadinessThresholds): ChecklistGroup {
  const team = config.team ?? {};
  const names = config.app.modules.map((m) => m.name);
  const per = (pick: (name: string) => string | undefined) => names.map((n) => ({ n, v: pick(n) }));
  const owners = per((n) => team[n]?.owner);
  const onCall = per((n) => team[n]?.onCall);
  const sizes = names.map((n) => ({ n, v: team[n]?.engineers }));
  const [min, max] = t.teamSize;
  return {
    name: 'Team',
    items: [
      item(`Dedicated team per service (${min}-${max} engineers)`, metWhen(sizes.every((s) => s.v !== undefined && s.v >= min && s.v <= max)),
        sizes.map((s) => `${s.n}: ${s.v === undefined ? 'no team size (team.<module>.engineers)' : `${s.v} engineer(s)`}`)),
      item('On-call rotation per service', metWhen(onCall.every((o) => o.v)), onCall.map((o) => `${o.n}: ${o.v ?? 'no on-call (team.<module>.onCall)'}`)),
      item('Service ownership defined', metWhen(owners.every((o) => o.v)), owners.map((o) => `${o.n}: ${o.v ?? 'no owner (team.<module>.owner)'}`)),
    ],
  };
}
