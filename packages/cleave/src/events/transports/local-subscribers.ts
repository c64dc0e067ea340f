import type { EventEnvelope } from '../event-envelope.ts';
import type { AcceptEvents } from '../event-transport.ts';

/** The subscribing modules hosted in this process, and how to hand them events. */
export class LocalSubscribers {
  readonly #byName = new Map<string, Map<string, AcceptEvents>>();

  add(module: string, names: readonly string[], accept: AcceptEvents): void {
    for (const name of names) {
      const modules = this.#byName.get(name) ?? new Map<string, AcceptEvents>();
      modules.set(module, accept);
      this.#byName.set(name, modules);
    }
  }

  /** Hands each event to every local subscriber of its name (optionally only `module`'s). */
  async deliver(events: readonly EventEnvelope[], onlyModule?: string): Promise<void> {
    const batches = new Map<AcceptEvents, EventEnvelope[]>();
    for (const event of events) {
      for (const [module, accept] of this.#byName.get(event.name) ?? []) {
        if (onlyModule !== undefined && module !== onlyModule) continue;
        let batch = batches.get(accept);
        if (!batch) batches.set(accept, (batch = []));
        batch.push(event);
      }
    }
    await Promise.all([...batches].map(([accept, batch]) => accept(batch)));
  }

  clear(): void {
    this.#byName.clear();
  }
}
