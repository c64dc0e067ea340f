import { performance } from 'node:perf_hooks';
import { percentiles } from './load.ts';

// What the raw broker floors of bench/events-throughput.ts share: the publishing rhythm
// (the relay's: a batch sent, its acknowledgements awaited together, then the next) and
// the bookkeeping of what the consumer received.

/** Publishes messages `from` until `to` (exclusive; negative: warm-up) in batches of `batch`, each awaited before the next. */
export async function publishInBatches(from: number, to: number, batch: number, send: (first: number, end: number) => Promise<unknown>): Promise<void> {
  for (let b = from; b < to; b += batch) await send(b, Math.min(to, b + batch));
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

  /** Resolves when `target` messages (warm-up included) arrived, at that time. */
  async until(target: number): Promise<number> {
    while (this.received < target) await new Promise((resolve) => setTimeout(resolve, 2));
    return performance.now();
  }
}
