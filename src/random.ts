/**
 * The seeded pseudo-random stream tinyml uses wherever a result must not depend on Math.random
 * (shuffling training data, the random inputs a deployed model is checked on): mulberry32, a
 * 32-bit state giving doubles in [0, 1). The same seed gives the same stream on every machine.
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
