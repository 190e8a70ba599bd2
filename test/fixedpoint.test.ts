import { describe, expect, it } from 'vitest';
import {
  INT32_MAX,
  INT32_MIN,
  frexp,
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../src/fixedpoint.js';

// Independent BigInt oracles, written from the gemmlowp definitions, not from our implementation.
function srdhmOracle(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, like C
}
function rdbpotOracle(x: number, e: number): number {
  const mask = (1n << BigInt(e)) - 1n;
  const bx = BigInt(x);
  const rem = bx & mask;
  const threshold = (mask >> 1n) + (bx < 0n ? 1n : 0n);
  return Number((bx >> BigInt(e)) + (rem > threshold ? 1n : 0n));
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s | 0;
  };
}

describe('saturatingRoundingDoublingHighMul', () => {
  it('saturates INT32_MIN * INT32_MIN', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
  });
  it('handles edge operands', () => {
    const edges = [INT32_MIN, INT32_MIN + 1, -1, 0, 1, 2, 1 << 30, INT32_MAX, INT32_MAX - 1, -(1 << 30), 12345, -12345];
    for (const a of edges) for (const b of edges) expect(saturatingRoundingDoublingHighMul(a, b)).toBe(srdhmOracle(a, b));
  });
  it('rounds ties away from zero for negative products', () => {
    // 2*a*b = -2^31 exactly half → -1 after rounding away from zero? (-2^30 + nudge) truncates to 0.
    expect(saturatingRoundingDoublingHighMul(-(1 << 15), 1 << 15)).toBe(srdhmOracle(-(1 << 15), 1 << 15));
    expect(saturatingRoundingDoublingHighMul(-1, 1 << 30)).toBe(0);
    expect(saturatingRoundingDoublingHighMul(-3, 1 << 30)).toBe(-1);
  });
  it('matches a BigInt oracle on 200k random pairs', () => {
    const r = lcg(7);
    for (let i = 0; i < 200_000; i++) {
      const a = r();
      const b = i % 3 === 0 ? r() >> (i % 31) : r();
      const got = saturatingRoundingDoublingHighMul(a, b);
      if (got !== srdhmOracle(a, b)) expect([a, b, got]).toEqual([a, b, srdhmOracle(a, b)]);
    }
  });
});

describe('roundingDivideByPOT', () => {
  it('is identity at shift 0', () => {
    for (const x of [INT32_MIN, -1, 0, 1, INT32_MAX]) expect(roundingDivideByPOT(x, 0)).toBe(x);
  });
  it('handles shift 31', () => {
    for (const x of [INT32_MIN, INT32_MIN + 1, -(1 << 30), -(1 << 30) - 1, -1, 0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX]) {
      expect(roundingDivideByPOT(x, 31)).toBe(rdbpotOracle(x, 31));
    }
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
  });
  it('rounds half away from zero for negatives', () => {
    expect(roundingDivideByPOT(-3, 1)).toBe(-2); // -1.5 → -2
    expect(roundingDivideByPOT(3, 1)).toBe(2); // 1.5 → 2
    expect(roundingDivideByPOT(-5, 2)).toBe(-1); // -1.25 → -1
    expect(roundingDivideByPOT(-6, 2)).toBe(-2); // -1.5 → -2
  });
  it('matches a BigInt oracle on random values and every shift', () => {
    const r = lcg(11);
    for (let i = 0; i < 50_000; i++) {
      const x = r();
      const e = i % 32;
      expect(roundingDivideByPOT(x, e)).toBe(rdbpotOracle(x, e));
    }
  });
});

describe('quantizeMultiplier', () => {
  it('represents powers of two and ordinary scales', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 1 << 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 1 << 30, shift: 1 });
    expect(quantizeMultiplier(0.25)).toEqual({ multiplier: 1 << 30, shift: -1 });
    expect(quantizeMultiplier(-0.5)).toEqual({ multiplier: -(1 << 30), shift: 0 });
  });
  it('rounds a significand of almost 1 up to 2^31 and renormalizes', () => {
    const almostOne = 1 - 2 ** -40;
    expect(quantizeMultiplier(almostOne)).toEqual({ multiplier: 1 << 30, shift: 1 });
  });
  it('flushes multipliers below 2^-32 to zero', () => {
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
  });
  it('reconstructs the real value closely', () => {
    for (const real of [0.0039215, 0.123456, 0.999, 1.5, 7.25, 0.00001234]) {
      const { multiplier, shift } = quantizeMultiplier(real);
      expect(multiplier).toBeGreaterThanOrEqual(1 << 30);
      expect(multiplier).toBeLessThan(2 ** 31);
      expect((multiplier * 2 ** (shift - 31)) / real).toBeCloseTo(1, 8);
    }
  });
  it('frexp normalizes into [0.5, 1)', () => {
    for (const x of [1, 2, 3, 0.1, 1e-30, 1e30, 2 ** 52, -0.75]) {
      const { fraction, exponent } = frexp(x);
      expect(Math.abs(fraction)).toBeGreaterThanOrEqual(0.5);
      expect(Math.abs(fraction)).toBeLessThan(1);
      expect(fraction * 2 ** exponent).toBe(x);
    }
  });
});

describe('multiplyByQuantizedMultiplier', () => {
  it('applies scale with shift 0, negative and positive shifts', () => {
    const half = quantizeMultiplier(0.5);
    expect(multiplyByQuantizedMultiplier(100, half.multiplier, half.shift)).toBe(50);
    // the high multiply breaks a tie upward: -50.5 → -50 (gemmlowp's nudge is 1 - 2^30 for negatives)
    expect(multiplyByQuantizedMultiplier(-101, half.multiplier, half.shift)).toBe(-50);
    const q = quantizeMultiplier(3.0);
    expect(multiplyByQuantizedMultiplier(-7, q.multiplier, q.shift)).toBe(-21);
    const tiny = quantizeMultiplier(2 ** -31);
    expect(multiplyByQuantizedMultiplier(INT32_MIN, tiny.multiplier, tiny.shift)).toBe(-1);
  });
  it('saturates at the int32 edge', () => {
    expect(multiplyByQuantizedMultiplier(INT32_MIN, INT32_MIN, 0)).toBe(INT32_MAX);
  });
  it('has a 64-bit variant for 16x8 kernels', () => {
    const q = quantizeMultiplier(0.5);
    expect(multiplyByQuantizedMultiplier64(1000n, q.multiplier, q.shift)).toBe(500);
    expect(multiplyByQuantizedMultiplier64(-1001n, q.multiplier, q.shift)).toBe(-500); // -500.5 rounds up (single rounding)
  });
});
