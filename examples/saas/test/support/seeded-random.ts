import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * Random choices from one seed, so a run that found something can be run again with the
 * same choices (the timings of a real system still differ: the seed fixes what is done
 * and in which order, not when the kernel schedules it).
 */
export class SeededRandom {
  readonly #rng: RandomGenerator;
  constructor(readonly seed: number) {
    this.#rng = mersenne(seed);
  }

  /** A seed from the environment variable `name`, else a fresh one. */
  static seedFrom(value: string | undefined): number {
    if (value !== undefined && value !== '') {
      const seed = Number(value);
      if (!Number.isSafeInteger(seed)) throw new Error(`not an integer seed: ${value}`);
      return seed;
    }
    return Math.floor(Math.random() * 2 ** 31);
  }

  /** In [0, 1). */
  next(): number {
    return uniformFloat64(this.#rng);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  between([lo, hi]: readonly [number, number]): number {
    return lo + this.next() * (hi - lo);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A key of `weights`, each with its share of the total weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let x = this.next() * entries.reduce((n, [, w]) => n + w, 0);
    for (const [key, w] of entries) if ((x -= w) < 0) return key;
    return entries.at(-1)![0];
  }

  /** A shuffled copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
