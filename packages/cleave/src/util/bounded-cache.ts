/**
 * A Map with a size bound: when full, the oldest entry goes. Used for caches keyed by
 * tokens, where an unbounded map would let a client grow memory by sending new tokens.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(key, value);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
