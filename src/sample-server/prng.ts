/**
 * A small seeded pseudo-random number generator for the synthetic sample data.
 *
 * Why our own: the data must be byte-identical for the same seed on every machine and every
 * Node version, so it cannot depend on `Math.random`, on a library's internal algorithm that may
 * change between releases, or on downloaded data. mulberry32 is 32-bit, fast and good enough for
 * test data (it is not, and need not be, cryptographically secure).
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A float in [min, max) rounded to `decimals` places. */
  decimal(min: number, max: number, decimals: number): number;
}

/** Creates a generator whose whole sequence is fixed by `seed` (any integer). */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    // mulberry32 (public domain, Tommy Ettinger)
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick() needs a non-empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    chance: (p) => next() < p,
    decimal: (min, max, decimals) => {
      const factor = 10 ** decimals;
      return Math.round((min + next() * (max - min)) * factor) / factor;
    },
  };
}

/**
 * Derives an independent stream for one part of the data (e.g. one patient), so that patient 7
 * gets the same data whether the server was asked for 10 patients or 60.
 */
export function deriveSeed(seed: number, stream: number): number {
  // splitmix32-style mixing of (seed, stream) into a new 32-bit seed
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  return (h ^ (h >>> 15)) >>> 0;
}
