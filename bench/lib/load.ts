import type { ChildProcess } from 'node:child_process';
/**
 * Helpers for the benchmarks that time whole requests rather than ~100 ns calls: per-call
 * latency samples and their percentiles, a concurrency driver, free ports, and the check
 * that lets a benchmark file run itself when executed directly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Latency percentiles, in the unit of the samples (µs for the call benches, ms for orders). */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

/** Nearest-rank percentiles of samples, in their own unit. */
export function percentiles(samplesUs: readonly number[]): Percentiles {
  const sorted = Float64Array.from(samplesUs).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: sum / sorted.length, max: sorted[sorted.length - 1] ?? NaN };
}

/** Runs `call` one at a time, `count` times, and returns each call's latency in µs. */
export async function sequential(call: () => Promise<unknown>, count: number): Promise<number[]> {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await call();
    out[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return out;
}

export interface ThroughputResult {
  readonly callsPerSecond: number;
  readonly calls: number;
  readonly seconds: number;
  readonly latency: Percentiles;
}

/** Keeps `concurrency` calls in flight for `ms` milliseconds; counts completions. */
export async function closedLoop(call: () => Promise<unknown>, concurrency: number, ms: number): Promise<ThroughputResult> {
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const t = process.hrtime.bigint();
      await call();
      latencies.push(Number(process.hrtime.bigint() - t) / 1000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { callsPerSecond: latencies.length / seconds, calls: latencies.length, seconds, latency: percentiles(latencies) };
}

/** Microseconds, readable: 3 significant digits below 100, whole numbers above. */
export function us(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A whole number with thousands separators (calls/s, request counts). */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A port the OS says is free now (bind to 0, read, release). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** True when the module at `url` is the script node was started with (`tsx bench/x.ts`). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(url);
}

/** Polls `check` until it is true, failing early if `child` exits or after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what}: the process exited (${child.exitCode})`);
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/**
 * CPU seconds (user + system) used so far by `pid` and every process below it, from
 * /proc (Linux; undefined elsewhere). Under a shared machine's load, req/s swings with
 * what other processes do; CPU time per request barely does.
 */
export function processTreeCpuSeconds(pid: number): number | undefined {
  const ticksPerSecond = 100; // USER_HZ: 100 on every Linux this runs on
  const visit = (p: number): number => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      return 0;
    }
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let total = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    for (const task of safeList(`/proc/${p}/task`)) {
      for (const child of safeRead(`/proc/${p}/task/${task}/children`).split(' ').filter(Boolean)) total += visit(Number(child));
    }
    return total;
  };
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  return visit(pid);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
