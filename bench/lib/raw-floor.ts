import { performance } from 'node:perf_hooks';
import type { ScenarioResult } from '../events-throughput.ts';
import { percentiles } from './load.ts';
import { cpuSnapshot, cpuUse } from './stage-profile.ts';

// What the raw broker floors of bench/events-throughput.ts share: the publishing rhythm
// (the relay's: a batch sent, its acknowledgements awaited together, then the next) and
// the bookkeeping of what the consumer received.

/** Publishes messages `from` until `to` (exclusive; negative: warm-up) in batches of `batch`, each awaited before the next. */
export async function publishInBatches(from: number, to: number, batch: number, send: (first: number, end: number) => Promise<unknown>): Promise<void> {
  for (let b = from; b < to; b += batch) await send(b, Math.min(to, b + batch));
}

/** Starts `fire(k)` for k < count at `rate` per second, on schedule (not after the previous one finished). */
export async function paced(count: number, rate: number, fire: (k: number) => Promise<unknown>): Promise<void> {
  const start = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let k = 0; k < count; k++) {
    const wait = start + (k * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(fire(k));
  }
  await Promise.all(pending);
}

export const latencySummary = (ms: readonly number[]) => {
  const p = percentiles(ms);
  return { p50: p.p50, p99: p.p99, max: p.max, mean: p.mean };
};

/** What a raw consumer saw of messages 0..n-1 (warm-up ones, i < 0, are only counted): each once, and how late. */
export class Receipts {
  readonly seen: Uint8Array;
  readonly latency: Float64Array;
  received = 0;
  duplicates = 0;

  constructor(readonly n: number) {
    this.seen = new Uint8Array(n);
    this.latency = new Float64Array(n).fill(NaN);
  }

  /** A message whose payload carries its number `i` and `sentAt` (performance.now() before it was sent). */
  record(p: { readonly i: number; readonly sentAt: number }): void {
    if (p.i >= 0) {
      if (this.seen[p.i]) this.duplicates++;
      else this.latency[p.i] = performance.now() - p.sentAt;
      this.seen[p.i] = 1;
    }
    this.received++;
  }

  get missing(): number {
    let missing = 0;
    for (const s of this.seen) if (!s) missing++;
    return missing;
  }

  /** Latency of messages [start, end) that arrived. */
  latencyMs(start = 0, end = this.n) {
    return latencySummary(Array.from(this.latency.subarray(start, end)).filter((v) => !Number.isNaN(v)));
  }

  /** Resolves when `target` messages (warm-up included) arrived, at that time; throws when none arrives for `stallMs`. */
  async until(target: number, stallMs = 30_000): Promise<number> {
    let last = this.received;
    let lastChange = performance.now();
    while (this.received < target) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (this.received !== last) {
        last = this.received;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > stallMs) {
        throw new Error(`raw consumer: stuck at ${this.received}/${target} messages for ${stallMs / 1000} s`);
      }
    }
    return performance.now();
  }
}

/** What every raw floor is told: where, how many (after a warm-up), how many per batch, and each message. */
export interface RawFloorOptions {
  readonly url: string;
  readonly n: number;
  readonly warmup: number;
  /** Messages per batch, each batch acknowledged before the next is sent (the relay's batch). */
  readonly batch: number;
  /** The message of event `i` (negative: warm-up); JSON with `i` and `sentAt` (performance.now()). */
  readonly payload: (i: number) => string;
}

/** After the timed run: `count` more messages, one at a time at `rate`/s, numbered from N (latency under light load). */
export interface PacedRun {
  readonly count: number;
  readonly rate: number;
  /** Sends message `i` alone. */
  readonly sendOne: (i: number) => Promise<unknown>;
}

/**
 * Runs a raw floor once its consumer records into `receipts` (sized N, plus the paced
 * messages if any): the warm-up, then N messages timed from the first send until the last
 * arrived, with the CPU used meanwhile; then the paced run, if there is one.
 */
export async function runRawFloor(
  o: RawFloorOptions,
  receipts: Receipts,
  send: (first: number, end: number) => Promise<unknown>,
  row: {
    readonly id: string;
    readonly label: string;
    readonly verified?: () => Readonly<Record<string, number>>;
    readonly notes: readonly string[];
    readonly paced?: PacedRun;
  },
): Promise<ScenarioResult> {
  await publishInBatches(-o.warmup, 0, o.batch, send);
  await receipts.until(o.warmup);
  const before = cpuSnapshot('cleave_bench_');
  const t0 = performance.now();
  await publishInBatches(0, o.n, o.batch, send);
  const tPublished = performance.now();
  const tDone = await receipts.until(o.warmup + o.n);
  const after = cpuSnapshot('cleave_bench_');
  const pacedCount = row.paced?.count ?? 0;
  if (row.paced) {
    const { count, rate, sendOne } = row.paced;
    await paced(count, rate, (k) => sendOne(o.n + k));
    await receipts.until(o.warmup + o.n + count);
  }
  const { missing, duplicates, received } = receipts;
  const seconds = (tDone - t0) / 1000;
  return {
    id: row.id,
    label: row.label,
    n: o.n,
    warmup: o.warmup,
    eventsPerSec: o.n / seconds,
    seconds,
    publishPerSec: o.n / ((tPublished - t0) / 1000),
    publishSeconds: (tPublished - t0) / 1000,
    latencyMs: receipts.latencyMs(0, o.n),
    pacedLatencyMs: receipts.latencyMs(o.n, o.n + pacedCount),
    verified: { received: received - o.warmup, ...(row.paced ? { paced: pacedCount } : {}), missing, duplicates, ...row.verified?.(), ok: missing === 0 && duplicates === 0 },
    cpu: cpuUse(before, after),
    notes: row.notes,
  };
}
