import { existsSync, readFileSync } from 'node:fs';
import type { StoredSpan } from '../telemetry/span-store.ts';
import { analyseSpans, round } from './span-analysis.ts';
import type { TrafficReport } from './span-analysis.ts';

/** The cost of one cross-process hop, p50 and p99, in milliseconds, and where it came from. */
export interface HopLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly source: string;
}

/** bench/README.md, Cleave HTTP ctx.call, tracing off, 2 cores (2026-11-24): used when no bench result is at hand. */
export const DEFAULT_HOP: HopLatency = { p50Ms: 0.046, p99Ms: 0.258, source: 'default: bench/README.md figures (Cleave HTTP ctx.call p50 46 µs, p99 258 µs, 2 cores)' };

/** The hop latency measured by `bench/http-call-latency.ts` on this machine, else the default. */
export function hopLatency(benchFile: string): HopLatency {
  if (!existsSync(benchFile)) return DEFAULT_HOP;
  const json = JSON.parse(readFileSync(benchFile, 'utf8')) as { rows?: { id: string; sequential?: { p50: number; p99: number } }[] };
  const row = json.rows?.find((r) => r.id === 'cleave-http')?.sequential;
  return row ? { p50Ms: row.p50 / 1000, p99Ms: row.p99 / 1000, source: `measured: ${benchFile}` } : DEFAULT_HOP;
}

export interface ExtractionCandidate {
  /** The modules that would move out together (one, or one with its chatty neighbour). */
  readonly modules: readonly string[];
  /** Synchronous calls per request that would cross processes. */
  readonly addedHopsPerRequest: number;
  readonly addedLatencyP50Ms: number;
  readonly addedLatencyP99Ms: number;
  /** Share of requests with a synchronous call into the group: they fail (or degrade) while it is down. */
  readonly requestsFailingWhenDown: number;
  /** The seed's reasons the data shows. */
  readonly reasons: readonly string[];
}

export interface Advice {
  readonly traffic: TrafficReport;
  readonly hop: HopLatency;
  /** Best first: candidates with a seed reason, then by added latency and blast radius. */
  readonly ranked: readonly ExtractionCandidate[];
  /** At most one: extract one module at a time. Undefined: keep the monolith. */
  readonly recommendation: ExtractionCandidate | undefined;
  readonly words: string;
}

export interface AdviseOptions {
  readonly hop?: HopLatency;
  /** Declared scaling needs per module (config readiness.scalingNeeds). */
  readonly scalingNeeds?: Readonly<Record<string, string>>;
  /** Share of self time that makes a module "CPU-heavy". Default 0.3. */
  readonly cpuHeavyShare?: number;
}

/**
 * What extracting each module would cost, from recorded traces: every synchronous call
 * that would cross the new process boundary becomes an HTTP hop (× the measured hop
 * latency), and every request that calls into it depends on it being up. Ranked with the
 * seed's reasons — "Payments (requires PCI compliance, isolate risk)", "Image processing
 * (CPU-intensive, different scaling)", "Background jobs (different infrastructure needs)" —
 * and never a plan to extract everything: "Don't extract everything. Keep core monolith."
 */
export function advise(spans: readonly StoredSpan[], modules: readonly string[], options: AdviseOptions = {}): Advice {
  const traffic = analyseSpans(spans, modules);
  const hop = options.hop ?? DEFAULT_HOP;
  const cpuHeavy = options.cpuHeavyShare ?? 0.3;
  const calls = Object.entries(traffic.callsPerRequest).map(([k, n]) => ({ from: k.split('>')[0] as string, to: k.split('>')[1] as string, n }));
  const groups = new Map<string, string[]>();
  for (const m of modules) {
    groups.set(m, [m]);
    const chatty = calls.filter((c) => (c.from === m || c.to === m) && c.from !== 'edge' && c.to !== 'edge').sort((a, b) => b.n - a.n)[0];
    if (chatty) {
      const pair = [m, chatty.from === m ? chatty.to : chatty.from].sort();
      groups.set(pair.join('+'), pair);
    }
  }
  const candidates = [...groups.values()].filter((g) => g.length < modules.length).map((group): ExtractionCandidate => {
    const inside = new Set(group);
    const hops = calls.filter((c) => inside.has(c.from) !== inside.has(c.to)).reduce((a, c) => a + c.n, 0);
    const failing = new Set(spans.filter((s) => inside.has(s.attributes['cleave.module'] as string) && s.attributes['cleave.caller'] !== undefined && s.attributes['cleave.publisher'] === undefined && !inside.has(s.attributes['cleave.caller'] as string)).map((s) => s.traceId)).size;
    return {
      modules: group,
      addedHopsPerRequest: round(hops),
      addedLatencyP50Ms: round(hops * hop.p50Ms),
      addedLatencyP99Ms: round(hops * hop.p99Ms),
      requestsFailingWhenDown: round(failing / Math.max(1, traffic.requests)),
      reasons: reasonsFor(group, traffic, options.scalingNeeds ?? {}, cpuHeavy),
    };
  });
  const ranked = candidates.sort((a, b) =>
    Number(b.reasons.length > 0) - Number(a.reasons.length > 0) || a.addedLatencyP50Ms - b.addedLatencyP50Ms || a.requestsFailingWhenDown - b.requestsFailingWhenDown || a.modules.length - b.modules.length);
  const recommendation = ranked[0]?.reasons.length ? ranked[0] : undefined;
  const words = recommendation
    ? `Extract one module at a time: ${recommendation.modules.join(' + ')} first (${recommendation.reasons.join('; ')}). Don't extract everything. Keep core monolith.`
    : 'Keep the monolith: the traces show none of the seed\'s reasons to extract a module (payments isolation, CPU-heavy work, background jobs).';
  return { traffic, hop, ranked, recommendation, words };
}

function reasonsFor(group: readonly string[], traffic: TrafficReport, scalingNeeds: Readonly<Record<string, string>>, cpuHeavy: number): string[] {
  const reasons: string[] = [];
  for (const m of group) {
    const t = traffic.modules.find((x) => x.module === m);
    if (/pay|billing|checkout/i.test(m) || /pci/i.test(scalingNeeds[m] ?? '')) reasons.push(`${m}: payments — "requires PCI compliance, isolate risk"`);
    // Self time includes I/O waits (an SMTP send): say what was measured.
    if (t && t.cpuShare >= cpuHeavy) reasons.push(`${m}: CPU-heavy? ${Math.round(t.cpuShare * 100)}% of the modules' span self time — "CPU-intensive, different scaling" if that time is CPU, not I/O waits`);
    if (t && t.eventsIn > 0 && t.requestShare === 0) reasons.push(`${m}: background work — ${t.eventsIn} events in, no synchronous callers, "different infrastructure needs"`);
  }
  return reasons;
}

/** A topology file that keeps the core monolith and moves the recommended modules into one service. */
export function suggestedTopology(modules: readonly string[], extracted: readonly string[], name: string): string {
  const core = modules.filter((m) => !extracted.includes(m));
  const service = extracted.join('-');
  return [
    "import { defineTopology } from '@cleavejs/core';",
    '',
    `/** Suggested by \`cleave advise\`: the core monolith keeps ${core.join(', ')}; ${extracted.join(' and ')} move out. */`,
    `export const ${name.replace(/[^A-Za-z0-9]/g, '_')} = defineTopology({`,
    `  name: '${name}',`,
    '  services: {',
    `    core: { modules: [${core.map((m) => `'${m}'`).join(', ')}], roles: ['gateway'], port: 4000 },`,
    `    '${service}': { modules: [${extracted.map((m) => `'${m}'`).join(', ')}], port: 4001 },`,
    '  },',
    '});',
    '',
  ].join('\n');
}
