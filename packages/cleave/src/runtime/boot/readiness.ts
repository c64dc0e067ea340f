/**
 * What `/readyz` answers: every registered probe passes and the service is not draining.
 * Wirings add a probe for each dependency they open (a database).
 */
export class Readiness {
  readonly #probes: (() => Promise<boolean>)[] = [];
  #draining = false;

  add(probe: () => Promise<boolean>): void {
    this.#probes.push(probe);
  }

  /** From now on not ready: load balancers stop sending new work while requests finish. */
  drain(): void {
    this.#draining = true;
  }

  readonly check = async (): Promise<boolean> => {
    if (this.#draining) return false;
    const results = await Promise.all(this.#probes.map((probe) => probe().catch(() => false)));
    return results.every(Boolean);
  };
}
