/**
 * How the inbox worker spreads one pass's due heads over its lanes (ADR 0024). The heads
 * of a pass are one event per aggregate, so any split of them gives each lane a set of
 * aggregates no other lane has in that pass.
 */

/**
 * Splits `items` (oldest first) into contiguous batches of at most `max`, as even as
 * possible (the lanes finish together). A lane opens for every `perLane` items, up to
 * `lanes`: while the worker keeps up, its few heads share one transaction (one commit);
 * a backlog spreads over every lane.
 */
export function splitIntoLanes<T>(items: readonly T[], lanes: number, max: number, perLane = 1): T[][] {
  if (items.length === 0) return [];
  const count = Math.max(Math.min(lanes, Math.ceil(items.length / perLane)), Math.ceil(items.length / max));
  const batches: T[][] = [];
  let start = 0;
  for (let b = 0; b < count; b++) {
    // The first `items.length % count` batches take one item more.
    const size = Math.floor(items.length / count) + (b < items.length % count ? 1 : 0);
    batches.push(items.slice(start, start + size));
    start += size;
  }
  return batches;
}

/**
 * The lanes of one pass: at most `size` batches in flight, each its own transaction. A
 * lane's failure is kept (the first one) and reported once every lane has settled, so a
 * pass never ends with a lane still running.
 */
export class Lanes {
  readonly #running = new Set<Promise<void>>();
  #failure: { readonly err: unknown } | undefined;

  constructor(readonly size: number) {}

  get free(): number {
    return this.size - this.#running.size;
  }

  get busy(): boolean {
    return this.#running.size > 0;
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Runs `work` in a free lane; `settled` is called when it is done, failed or not. */
  start(work: () => Promise<void>, settled: () => void): void {
    const running: Promise<void> = work()
      .catch((err: unknown) => {
        this.#failure ??= { err };
      })
      .finally(() => {
        this.#running.delete(running);
        settled();
      });
    this.#running.add(running);
  }

  /** Resolves when a lane is done (at once when none runs). */
  async next(): Promise<void> {
    if (this.#running.size > 0) await Promise.race(this.#running);
  }

  /** Waits for every lane, then rethrows the first failure, if any. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    if (this.#failure) throw this.#failure.err;
  }
}
