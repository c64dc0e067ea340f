/**
 * The embedded default, measured: the reference app's monolith (`cleave start`, as
 * `npm start` runs it) on each embedded database, against the same app on the PostgreSQL
 * server (DATABASE_URL, a fresh database) in the same run.
 *
 *   pglite     one PGlite instance per module (CLEAVE_EMBEDDED=pglite; the old default)
 *   embedded   one PostgreSQL server per data directory, a schema per module (the default)
 *   server     a PostgreSQL server the team runs (the reference for the ratios)
 *
 * A single PGlite instance for all modules of a service is not a candidate: it is one
 * connection, so a handler's transaction that calls another module waits for itself
 * (ADR 0002; data/embedded-postgres.test.ts shows the embedded server doesn't).
 *
 * Figures per variant: first start on an empty data dir until /healthz answers (and
 * /readyz), restart on the same data dir, memory of all the app's processes after a few
 * requests (RSS summed, and PSS, which counts PostgreSQL's shared buffers once), CPU used
 * while idle, and the data dir's size. For `server`, the server's own processes are not
 * counted (they are shared infrastructure), as in the figure the issue started from.
 * Targets (ratio to `server`): first start and restart <= 1.5x, memory <= 1.5x, idle CPU
 * <= 1% of a core, data dir <= 60 MB.
 *
 * BENCH_EMBEDDED_RUNS (default 3) starts per variant; medians are reported.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../examples/saas/test/support/postgres.ts';
import { environment, formatTable, ratio, writeJson } from './lib/measure.ts';
import { freePort, isMain } from './lib/load.ts';

const repoRoot = new URL('..', import.meta.url).pathname;
const cleaveBin = join(repoRoot, 'packages/cleave/bin/cleave.mjs');
const runs = Number(process.env.BENCH_EMBEDDED_RUNS ?? 3);
const idleSeconds = Number(process.env.BENCH_EMBEDDED_IDLE_S ?? 10);

type Variant = 'pglite' | 'embedded' | 'server';

interface Sample {
  readonly firstStartMs: number;
  readonly restartMs: number;
  readonly rssMb: number;
  readonly pssMb: number;
  readonly idleCpuPct: number;
  readonly dataDirMb: number;
}

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly ms: number;
}

async function start(dataDir: string, env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const began = performance.now();
  // Only the variant's own database settings: the bench's DATABASE_URL is the reference server's.
  const { DATABASE_URL: _server, CLEAVE_EMBEDDED: _embedded, ...inherited } = process.env;
  const child = spawn(process.execPath, [cleaveBin, '--config', join(repoRoot, 'cleave.config.ts'), 'start'], {
    cwd: repoRoot,
    env: { ...inherited, ...env, CLEAVE_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', CLEAVE_EVENTS: 'local' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cleave start exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, port, ms: performance.now() - began };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The app's processes: the node process, and the embedded server's (its own process group). */
function appProcesses(nodePid: number, dataDir: string): number[] {
  const pids = [nodePid];
  try {
    const postmaster = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(entry) === postmaster || Number(fields[1]) === postmaster) pids.push(Number(entry));
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // not the embedded server
  }
  return pids;
}

function memoryMb(pids: readonly number[]): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return { rss: rss / 1024, pss: pss / 1024 };
}

/** User + system CPU ticks per process. */
function cpuTicks(pids: readonly number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // exited meanwhile
    }
  }
  return ticks;
}

/** CPU ticks spent between two readings: a process born in between counts whole; one that exited is lost (an undercount, said in the table's note). */
function ticksBetween(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0;
  for (const [pid, ticks] of after) spent += ticks - (before.get(pid) ?? 0);
  return spent;
}

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

async function warm(port: number): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 20; i++) await fetch(`${base}/api/v1/products`).then((r) => r.arrayBuffer());
  await fetch(`${base}/readyz`).then((r) => r.arrayBuffer());
}

async function sample(variant: Variant): Promise<Sample> {
  const dataDir = await mkdtemp(join(tmpdir(), `cleave-bench-${variant}-`));
  const database = variant === 'server' ? await createTestDatabase(process.env.DATABASE_URL as string, 'cleave_bench') : undefined;
  const env: Record<string, string> = variant === 'pglite' ? { CLEAVE_EMBEDDED: 'pglite' } : database ? { DATABASE_URL: database.url } : {};
  try {
    const first = await start(dataDir, env);
    await stop(first.child);
    const again = await start(dataDir, env);
    try {
      await warm(again.port);
      const pids = appProcesses(again.child.pid as number, dataDir);
      const memory = memoryMb(pids);
      const before = cpuTicks(pids);
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      const after = cpuTicks(appProcesses(again.child.pid as number, dataDir));
      const idleCpuPct = (ticksBetween(before, after) / clockTicks / idleSeconds) * 100;
      const du = execFileSync('du', ['-sk', dataDir], { encoding: 'utf8' });
      return {
        firstStartMs: first.ms,
        restartMs: again.ms,
        rssMb: memory.rss,
        pssMb: memory.pss,
        idleCpuPct,
        dataDirMb: Number(du.split('\t')[0]) / 1024,
      };
    } finally {
      await stop(again.child);
    }
  } finally {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function run(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    console.log('embedded-database: needs DATABASE_URL (the PostgreSQL server is the reference of every ratio); skipped');
    return;
  }
  const variants: Variant[] = ['server', 'embedded', 'pglite'];
  const samples = new Map<Variant, Sample[]>(variants.map((v) => [v, []]));
  // Variants take turns, so drift of a shared machine spreads over all of them.
  for (let i = 0; i < runs; i++) for (const v of variants) samples.get(v)!.push(await sample(v));
  const med = (v: Variant, key: keyof Sample) => median(samples.get(v)!.map((s) => s[key]));
  const fmt = (n: number, digits = 0) => n.toFixed(digits);
  const rows = variants.map((v) => [
    v,
    fmt(med(v, 'firstStartMs')),
    fmt(med(v, 'restartMs')),
    fmt(med(v, 'rssMb')),
    fmt(med(v, 'pssMb')),
    fmt(med(v, 'idleCpuPct'), 2),
    fmt(med(v, 'dataDirMb'), 1),
  ]);
  console.log(`reference app, monolith, \`cleave start\`; median of ${runs} runs per variant, taken in turns; idle CPU over ${idleSeconds} s\n`);
  console.log(formatTable(['variant', 'first start ms', 'restart ms', 'RSS MB', 'PSS MB', 'idle CPU %', 'data dir MB'], rows));

  const vs = (key: keyof Sample) => med('embedded', key) / med('server', key);
  const checks: [string, boolean, string][] = [
    ['first start <= 1.5x server', vs('firstStartMs') <= 1.5, ratio(vs('firstStartMs'))],
    ['restart <= 1.5x server', vs('restartMs') <= 1.5, ratio(vs('restartMs'))],
    ['memory (PSS, all processes) <= 1.5x server', vs('pssMb') <= 1.5, ratio(vs('pssMb'))],
    ['idle CPU <= 1% of a core', med('embedded', 'idleCpuPct') <= 1, `${fmt(med('embedded', 'idleCpuPct'), 2)} %`],
    ['empty data dir <= 60 MB', med('embedded', 'dataDirMb') <= 60, `${fmt(med('embedded', 'dataDirMb'), 1)} MB`],
  ];
  console.log('\nembedded (the default) against the PostgreSQL server:');
  for (const [what, pass, value] of checks) console.log(`${pass ? 'PASS' : 'MISS'}  ${what}: ${value}`);
  console.log(`(RSS ratio, counting shared buffers once per process: ${ratio(vs('rssMb'))}; pglite vs server: first start ${ratio(med('pglite', 'firstStartMs') / med('server', 'firstStartMs'))}, PSS ${ratio(med('pglite', 'pssMb') / med('server', 'pssMb'))})`);
  writeJson(join(repoRoot, 'bench/results/embedded-database.json'), { environment: environment(), runs, idleSeconds, samples: Object.fromEntries(samples) });
}

if (isMain(import.meta.url)) await run();
