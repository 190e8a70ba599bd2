/**
 * The seeded pseudo-random stream tinyml uses wherever a result must not depend on Math.random
 * (shuffling training data, the random inputs a deployed model is checked on): mulberry32, a
 * 32-bit state giving doubles in [0, 1). The same seed gives the same stream on every machine.
 */
export function mulberry32(seed: number): () => number {
  const s = mulberry32Stream(seed);
  return () => s.next();
}

/** The same stream with its 32-bit state readable, so that a paused run (a training checkpoint) resumes it exactly. */
export interface RandomStream {
  next(): number;
  /** The state after the values drawn so far: mulberry32Stream(state) continues the stream. */
  readonly state: number;
}

export function mulberry32Stream(state: number): RandomStream {
  let a = state >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    get state() {
      return a;
    },
  };
}
