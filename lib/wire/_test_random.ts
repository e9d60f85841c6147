/**
 * Seedable random numbers for tests (fuzzing, hostile peers), so that a
 * failure can be replayed from its printed seed.
 *
 * @module
 */

/**
 * mulberry32: a small, fast, seedable PRNG returning floats in [0, 1).
 *
 * @example Usage
 * ```ts
 * import { mulberry32 } from "./_test_random.ts";
 * const a = mulberry32(7), b = mulberry32(7);
 * if (a() !== b()) throw new Error("same seed, same sequence");
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
