import { errors } from '../errors/framework-errors.ts';

/**
 * Stops waiting for `work` at `deadline` (the work itself goes on: JavaScript can't
 * cancel it). Used where a caller asked for a bound on an in-process call — an explicit
 * `timeoutMs`, a saga step — so the monolith answers in time as the HTTP transport does.
 * Not on every call: a timer costs ~0.5 µs, more than the rest of a call.
 */
export function withDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    work.catch(() => {}); // abandoned: its own failure has no one left to tell
    return Promise.reject(errors.DEADLINE_EXCEEDED(`${what}: no time left`));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(errors.DEADLINE_EXCEEDED(`${what} did not answer within ${remaining} ms`)), remaining);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
