/**
 * Timing harness shared by the benchmarks: each scenario runs a whole batch of N calls
 * per timed sample (a per-call timer would cost more than the ~20 ns calls it measures),
 * and scenarios take turns sample by sample so slow drift of the machine spreads evenly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';

export interface Scenario {
  readonly id: string;
  readonly label: string;
  /** Runs `n` calls back to back; the harness times the whole batch. */
  readonly batch: (n: number) => Promise<void>;
}

/** Nanoseconds per call over the samples of one scenario. */
export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export interface MeasureOptions {
  /** Calls per timed sample. */
  readonly n: number;
  readonly samples: number;
  /** Untimed batches of `n` run first, per scenario, to let the JIT settle. */
  readonly warmup: number;
}

export async function measure(scenarios: readonly Scenario[], options: MeasureOptions): Promise<Map<string, Stats>> {
  for (let i = 0; i < options.warmup; i++) {
    for (const s of scenarios) await s.batch(options.n);
  }
  const times = new Map<string, number[]>(scenarios.map((s) => [s.id, []]));
  for (let round = 0; round < options.samples; round++) {
    // Rotate who goes first, so no scenario always runs right after the same neighbour.
    for (let k = 0; k < scenarios.length; k++) {
      const s = scenarios[(round + k) % scenarios.length]!;
      const start = process.hrtime.bigint();
      await s.batch(options.n);
      const elapsed = Number(process.hrtime.bigint() - start);
      times.get(s.id)!.push(elapsed / options.n);
    }
  }
  return new Map([...times].map(([id, ns]) => [id, stats(ns)]));
}

function stats(ns: number[]): Stats {
  const sorted = [...ns].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples: ns };
}

/** Plain-text table, columns padded; numeric-looking cells are right-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = /^[-+]?[\d.,]+(x| ns)?$/;
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function ns(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}x`;
}

/** Where and on what a result was measured: goes into every JSON result. */
export function environment() {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
  };
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
