/**
 * A background loop that runs `step` until it reports no work, then sleeps until woken
 * or until `idleMs` passes. Both the outbox relay and the inbox worker are such loops:
 * nudged right after a commit for low latency, polling as a safety net.
 */
export class WakeableLoop {
  #running = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;
  #pending = false;

  constructor(
    private readonly step: () => Promise<{ worked: boolean; nextInMs?: number }>,
    private readonly idleMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

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
    while (this.#running) {
      let sleepMs = this.idleMs;
      this.#pending = false;
      try {
        const { worked, nextInMs } = await this.step();
        failures = 0;
        if (worked) continue;
        if (nextInMs !== undefined) sleepMs = Math.max(0, Math.min(sleepMs, nextInMs));
      } catch (err) {
        this.onError(err);
        failures++;
        sleepMs = Math.min(this.idleMs * 2 ** failures, 5_000);
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
