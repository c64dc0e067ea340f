import { inspect } from 'node:util';

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Long enough for NATS, whose pull consumer may sit on a fetch for up to a second. */
export const DEFAULT_WAIT_MS = 20_000;

/**
 * Polls `probe` until it returns a truthy value (returned) or the deadline passes (throws,
 * with what was last seen). A probe that throws is retried: its error is what was seen.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as Truthy<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${inspect(last, { depth: 4 })}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
