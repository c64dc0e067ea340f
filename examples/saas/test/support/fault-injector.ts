import type { SeededRandom } from './seeded-random.ts';
import type { SplitTarget } from './split-target.ts';
import { isReady, waitFor } from './wait-for.ts';

/** SIGKILL (the supervisor restarts the service) or SIGSTOP, then SIGCONT after a pause (a GC pause, a stalled VM). */
export type FaultKind = 'kill' | 'freeze';

export interface Fault {
  readonly kind: FaultKind;
  readonly service: string;
  readonly pid: number;
  readonly at: number;
  /** freeze: how long the process was stopped. */
  readonly pauseMs?: number;
  /** When the service answered /readyz again (a new pid after a kill). */
  readyAt?: number;
}

export interface FaultPlan {
  /** The services faults may hit. */
  readonly services: readonly string[];
  /** Pause between two injections. */
  readonly gapMs: readonly [number, number];
  /** How long a frozen process stays stopped. */
  readonly pauseMs: readonly [number, number];
  /** Share of faults that are kills (the rest are freezes). */
  readonly killShare: number;
  /** A service must have been ready this long before it is hit again (else the load stalls instead of crashing mid-way). */
  readonly minUpMs: number;
  /** Faults in progress at once, on different services. */
  readonly maxConcurrent: number;
  /** A service that is not ready again within this long fails the run. */
  readonly recoveryTimeoutMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills and freezes the services of a split deployment at random (seeded) moments, and
 * keeps the record a soak needs: what was hit, when, and when it answered again. The
 * pids come from each service's own `/_cleave/info` (SplitTarget.pidOf): a frozen service
 * can't answer, so it is never picked again before it is ready.
 */
export class FaultInjector {
  readonly faults: Fault[] = [];
  /** Recoveries in progress, by service. */
  readonly #recovering = new Map<string, Promise<void>>();
  readonly #readySince = new Map<string, number>();
  /** Stopped pids: SIGCONT on cleanup whatever happens, or the supervisor could never stop them. */
  readonly #frozen = new Set<number>();
  readonly #failures: unknown[] = [];

  constructor(private readonly target: SplitTarget, private readonly random: SeededRandom, private readonly plan: FaultPlan) {
    const now = Date.now();
    for (const s of plan.services) this.#readySince.set(s, now);
  }

  /** Injects faults until `stopAt`, then waits for every service to be ready again. */
  async run(stopAt: number): Promise<void> {
    while (Date.now() < stopAt && this.#failures.length === 0) {
      await sleep(this.random.between(this.plan.gapMs));
      if (Date.now() >= stopAt) break;
      if (this.#recovering.size >= this.plan.maxConcurrent) continue;
      const now = Date.now();
      const candidates = this.plan.services.filter((s) => !this.#recovering.has(s) && now - (this.#readySince.get(s) ?? now) >= this.plan.minUpMs);
      if (candidates.length === 0) continue;
      const service = this.random.pick(candidates);
      const kind: FaultKind = this.random.chance(this.plan.killShare) ? 'kill' : 'freeze';
      const pauseMs = Math.round(this.random.between(this.plan.pauseMs));
      let pid: number;
      try {
        pid = await this.target.pidOf(service);
      } catch {
        continue; // not answering right now (it may be restarting by itself): pick again later
      }
      this.#inject(kind, service, pid, pauseMs);
    }
    await Promise.all(this.#recovering.values());
    if (this.#failures.length > 0) throw this.#failures[0];
  }

  /** Resumes every process still stopped (after a failed run; safe to call twice). */
  thawAll(): void {
    for (const pid of this.#frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone already
      }
    }
    this.#frozen.clear();
  }

  /** [from, to] of every fault: from the signal to the service being ready again. */
  windows(now = Date.now()): { service: string; kind: FaultKind; from: number; to: number }[] {
    return this.faults.map((f) => ({ service: f.service, kind: f.kind, from: f.at, to: f.readyAt ?? now }));
  }

  /** Counts by kind and service, and recovery times, for the figures of a run. */
  summary(): { total: number; byKind: Record<string, number>; byService: Record<string, string>; recoveryMs: { kill: number[]; freeze: number[] } } {
    const byKind: Record<string, number> = {};
    const perService: Record<string, { kill: number; freeze: number }> = {};
    for (const f of this.faults) {
      byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
      const s = (perService[f.service] ??= { kill: 0, freeze: 0 });
      s[f.kind]++;
    }
    const byService = Object.fromEntries(Object.entries(perService).map(([s, n]) => [s, `${n.kill} kill, ${n.freeze} freeze`]));
    const recovery = (kind: FaultKind) => this.faults.filter((f) => f.kind === kind && f.readyAt !== undefined).map((f) => f.readyAt! - f.at - (f.pauseMs ?? 0));
    return { total: this.faults.length, byKind, byService, recoveryMs: { kill: recovery('kill'), freeze: recovery('freeze') } };
  }

  #inject(kind: FaultKind, service: string, pid: number, pauseMs: number): void {
    const url = this.target.services[service]!;
    const at = Date.now();
    const fault: Fault = kind === 'kill' ? { kind, service, pid, at } : { kind, service, pid, at, pauseMs };
    if (kind === 'kill') {
      process.kill(pid, 'SIGKILL');
    } else {
      process.kill(pid, 'SIGSTOP');
      this.#frozen.add(pid);
    }
    this.faults.push(fault);
    const recovered = (async () => {
      if (kind === 'freeze') {
        await sleep(pauseMs);
        process.kill(pid, 'SIGCONT');
        this.#frozen.delete(pid);
      }
      await waitFor(`${service} to be ready after ${kind} of pid ${pid}`, async () =>
        (kind === 'freeze' || (await this.target.pidOf(service)) !== pid) && (await isReady(url)), this.plan.recoveryTimeoutMs, 50);
      fault.readyAt = Date.now();
      this.#readySince.set(service, fault.readyAt);
    })()
      .catch((err: unknown) => {
        this.#failures.push(err);
      })
      .finally(() => this.#recovering.delete(service));
    this.#recovering.set(service, recovered);
  }
}
