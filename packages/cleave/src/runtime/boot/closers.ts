import type { Logger } from '../../telemetry/logger.ts';

type Close = () => Promise<unknown> | void;

/**
 * What a boot has opened, closed in reverse order. Each wiring registers the close of a
 * resource right where it opens it, so a boot that fails part-way and a normal stop run
 * the same closes (AdonisJS's and Moleculer's lifecycles do the same): a relay never
 * outlives the database it polls, a socket never outlives its handlers.
 */
export class Closers {
  readonly #stack: { readonly name: string; readonly close: Close }[] = [];
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Registers `close` for a resource just opened; it runs before everything opened earlier. */
  add(name: string, close: Close): void {
    this.#stack.push({ name, close });
  }

  /** Runs every close once, last registered first; one that fails is logged and the rest still run. */
  closeAll(): Promise<void> {
    this.#closing ??= (async () => {
      for (let entry = this.#stack.pop(); entry !== undefined; entry = this.#stack.pop()) {
        try {
          await entry.close();
        } catch (err) {
          this.#logger.warn({ err, resource: entry.name }, 'closing failed');
        }
      }
    })();
    return this.#closing;
  }
}
