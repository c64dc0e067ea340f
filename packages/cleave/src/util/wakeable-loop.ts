/** What one pass of a loop reports: whether it found work, and when work is next due. */
export interface PassResult {
  readonly worked: boolean;
  readonly nextInMs?: number;
}

/** The safety-net poll of an idle loop (work is announced by a wake-up, not found by polling). */
export const IDLE_POLL_MS = 2_000;

/**
 * How far the safety-net poll backs off while a loop stays idle: each empty pass doubles the
 * wait, from IDLE_POLL_MS up to this. Work is announced by a wake-up (same process) and
 * found at start; the poll only catches a write by another process (a replica of the same
 * service that crashed before relaying, an operator's replay). An idle monolith has three
 * loops per module: at a 2 s poll they cost ~1 % of a core in queries alone (issue 8).
 */
export const IDLE_POLL_MAX_MS = 16_000;

/** First delay after a failed pass (a broker or database outage); doubles up to 5 s. */
const RETRY_BASE_MS = 250;

/**
 * A background loop that runs `pass` until it reports no work, then sleeps until woken
 * or until `idleMs` passes. The outbox relay, the inbox worker and the saga runner are
 * such loops: nudged right after a commit (or an event's arrival) for low latency,
 * polling only as a safety net — every poll of every module is a query, and an idle app
 * should cost next to nothing (bench/embedded-database.ts measures idle CPU).
 */
export abstract class WakeableLoop {
  #running = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;
  #pending = false;

  /** @param maxIdleMs the longest idle wait once backed off (default `idleMs`: no back-off). */
  constructor(
    private readonly idleMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly maxIdleMs: number = idleMs,
  ) {}

  /** One pass over the work. */
  protected abstract pass(): Promise<PassResult>;

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#done = this.#run();
  }

  wake(): void {
    this.#pending = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#done;
  }

  async #run(): Promise<void> {
    let failures = 0;
    let idlePasses = 0;
    while (this.#running) {
      // A wake-up (work just committed) or a pass that found work: back to the short poll.
      if (this.#pending) idlePasses = 0;
      let sleepMs = Math.min(this.idleMs * 2 ** idlePasses, Math.max(this.idleMs, this.maxIdleMs));
      this.#pending = false;
      try {
        const { worked, nextInMs } = await this.pass();
        failures = 0;
        if (worked) {
          idlePasses = 0;
          continue;
        }
        idlePasses = Math.min(idlePasses + 1, 30);
        if (nextInMs !== undefined) sleepMs = Math.max(0, Math.min(sleepMs, nextInMs));
      } catch (err) {
        this.onError(err);
        failures++;
        sleepMs = Math.min(RETRY_BASE_MS * 2 ** failures, 5_000);
      }
      if (this.#pending || !this.#running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}
