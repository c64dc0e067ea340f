import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface SupervisedService {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

export interface SupervisorOptions {
  readonly services: readonly SupervisedService[];
  readonly env: NodeJS.ProcessEnv;
  /** First restart delay; doubles per quick crash up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A child that ran this long before crashing restarts after the initial delay again. */
  readonly stableAfterMs?: number;
  /** How long a graceful stop may take before children are killed. */
  readonly stopTimeoutMs?: number;
  readonly log?: (message: string) => void;
}

interface Slot {
  readonly service: SupervisedService;
  child: ChildProcess | undefined;
  startedAt: number;
  backoffMs: number;
  restarts: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One OS process per service: starts them, restarts a crashed one with exponential
 * backoff, and on stop sends SIGTERM to all and waits (SIGKILL after a timeout).
 * Written here rather than taken from PM2 or similar: those are daemons with their own
 * state directories; a topology needs only this loop, in the foreground.
 */
export class Supervisor {
  readonly #options: Required<Omit<SupervisorOptions, 'log'>> & { log: (message: string) => void };
  readonly #slots: Slot[];
  #stopping = false;

  constructor(options: SupervisorOptions) {
    this.#options = {
      initialBackoffMs: 200,
      maxBackoffMs: 10_000,
      stableAfterMs: 10_000,
      stopTimeoutMs: 15_000,
      log: (message) => console.error(`[supervisor] ${message}`),
      ...options,
    };
    this.#slots = options.services.map((service) => ({ service, child: undefined, startedAt: 0, backoffMs: this.#options.initialBackoffMs, restarts: 0, timer: undefined }));
  }

  start(): void {
    for (const slot of this.#slots) this.#spawn(slot);
  }

  /** Process ids of the running children, by service. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.#slots.map((s) => [s.service.name, s.child?.pid]));
  }

  restarts(service: string): number {
    return this.#slots.find((s) => s.service.name === service)?.restarts ?? 0;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        clearTimeout(slot.timer);
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), this.#options.stopTimeoutMs);
        await exited;
        clearTimeout(killer);
      }),
    );
  }

  #spawn(slot: Slot): void {
    const { service } = slot;
    const child = spawn(service.command, [...service.args], { env: this.#options.env, stdio: 'inherit' });
    slot.child = child;
    slot.startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      const ranMs = Date.now() - slot.startedAt;
      if (ranMs >= this.#options.stableAfterMs) slot.backoffMs = this.#options.initialBackoffMs;
      const delay = slot.backoffMs;
      slot.backoffMs = Math.min(slot.backoffMs * 2, this.#options.maxBackoffMs);
      slot.restarts++;
      this.#options.log(`${service.name} exited (${signal ?? `code ${code}`}) after ${ranMs} ms; restarting in ${delay} ms`);
      slot.timer = setTimeout(() => this.#spawn(slot), delay);
    });
  }
}
