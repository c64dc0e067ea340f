/**
 * Per-stage timing for the pipelines the event benchmark drives: named stages that
 * collect call durations (ms) and item counts, a hook that times every SQL statement a
 * `pg` client or PGlite instance runs (so BEGIN and COMMIT count too, which Kysely
 * plugins never see), and CPU snapshots of this process, the machine, PostgreSQL and
 * nats-server (from /proc, on Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { percentiles } from './load.ts';

export interface StageSummary {
  readonly stage: string;
  readonly calls: number;
  readonly items: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** totalMs as a share of the timed window: near 100 for a serial loop means it is saturated. */
  readonly pctOfWall: number;
}

export class Stage {
  readonly ms: number[] = [];
  items = 0;
  constructor(readonly name: string) {}
  add(ms: number, items = 1): void {
    this.ms.push(ms);
    this.items += items;
  }
  get totalMs(): number {
    let sum = 0;
    for (const v of this.ms) sum += v;
    return sum;
  }
  summary(wallMs: number): StageSummary {
    const p = percentiles(this.ms);
    const totalMs = this.totalMs;
    return {
      stage: this.name,
      calls: this.ms.length,
      items: this.items,
      totalMs,
      meanMs: this.ms.length ? totalMs / this.ms.length : 0,
      p50Ms: this.ms.length ? p.p50 : 0,
      p99Ms: this.ms.length ? p.p99 : 0,
      pctOfWall: (100 * totalMs) / wallMs,
    };
  }
}

/** Named stages; recording is on only while `enabled` (the timed window, not warm-up). */
export class StageSet {
  readonly #stages = new Map<string, Stage>();
  enabled = false;
  stage(name: string): Stage {
    let s = this.#stages.get(name);
    if (!s) this.#stages.set(name, (s = new Stage(name)));
    return s;
  }
  record(name: string, ms: number, items = 1): void {
    if (this.enabled) this.stage(name).add(ms, items);
  }
  has(name: string): boolean {
    return this.#stages.has(name);
  }
  names(): string[] {
    return [...this.#stages.keys()];
  }
}

export type StatementLabeler = (sql: string) => string;

type QueryFn = (text: unknown, values?: unknown) => unknown;

/**
 * Wraps `target.query` (a `pg.Client`, or a PGlite instance) so every statement sent as
 * text is timed into `stages` under `prefix + labeler(sql)`, until the promise settles.
 */
export function timeStatements(target: object, stages: StageSet, prefix: string, labeler: StatementLabeler): void {
  const holder = target as { query: QueryFn };
  const original = holder.query.bind(target) as QueryFn;
  holder.query = (text: unknown, values?: unknown) => {
    if (typeof text !== 'string' || !stages.enabled) return original(text, values);
    const start = performance.now();
    const result = original(text, values) as Promise<unknown>;
    return result.then((r) => {
      stages.record(prefix + labeler(text), performance.now() - start);
      return r;
    });
  };
}

export interface CpuSnapshot {
  readonly at: number;
  readonly node: NodeJS.CpuUsage;
  readonly elu: EventLoopUtilization;
  readonly machine: { busy: number; total: number } | undefined;
  /** Clock ticks (user + system) per pid of the processes we watch. */
  readonly procs: ReadonlyMap<number, { name: string; ticks: number }>;
}

export interface CpuUse {
  /** This process, in % of one core. */
  readonly nodePct: number;
  /** This process's main thread: share of the time the event loop was busy. */
  readonly eventLoopPct: number;
  /** All cores together, in % of the whole machine (100 = every core busy). */
  readonly machinePct: number | undefined;
  /** Per watched server program, in % of one core. */
  readonly serversPct: Readonly<Record<string, number>>;
  /** What the rest of the machine used (other programs, other sessions' databases), in % of one core. */
  readonly othersPct: number | undefined;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * `databasePrefix`: PostgreSQL backends serving databases named so count as ours
 * ("postgres (bench)"), with the server's shared processes (WAL writer, checkpointer…);
 * backends of other databases count as "postgres (other databases)".
 */
export function cpuSnapshot(databasePrefix: string): CpuSnapshot {
  return { at: performance.now(), node: process.cpuUsage(), elu: performance.eventLoopUtilization(), machine: machineTicks(), procs: processTicks(databasePrefix) };
}

export function cpuUse(from: CpuSnapshot, to: CpuSnapshot): CpuUse {
  const wallMs = to.at - from.at;
  const nodeUs = to.node.user - from.node.user + (to.node.system - from.node.system);
  const elu = performance.eventLoopUtilization(to.elu, from.elu);
  const machinePct = from.machine && to.machine ? (100 * (to.machine.busy - from.machine.busy)) / Math.max(1, to.machine.total - from.machine.total) : undefined;
  const serversPct: Record<string, number> = {};
  for (const [pid, { name, ticks }] of to.procs) {
    // A process started inside the window counts from 0; one that exited in it is lost.
    const used = ticks - (from.procs.get(pid)?.ticks ?? 0);
    serversPct[name] = (serversPct[name] ?? 0) + (100 * (used / CLOCK_TICKS) * 1000) / wallMs;
  }
  const nodePct = (100 * nodeUs) / 1000 / wallMs;
  const ours = nodePct + Object.entries(serversPct).reduce((sum, [name, v]) => (name.includes('other') ? sum : sum + v), 0);
  const othersPct = machinePct === undefined ? undefined : Math.max(0, machinePct * cpus().length - ours);
  return { nodePct, eventLoopPct: 100 * elu.utilization, machinePct, serversPct, othersPct };
}

function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

function processTicks(databasePrefix: string): Map<number, { name: string; ticks: number }> {
  const out = new Map<number, { name: string; ticks: number }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      let name: string;
      if (comm === 'nats-server') name = 'nats-server';
      else if (comm === 'postgres') {
        // Backends show "postgres: 15/main: <user> <database> <client> <state>" as their command line.
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const backend = /^postgres: \S+: \S+ (\S+) \S+\(\d+\)/.exec(cmdline);
        name = backend && !backend[1]!.startsWith(databasePrefix) ? 'postgres (other databases)' : 'postgres (bench)';
      } else continue;
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(pid), { name, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
