/**
 * Comparing an output with a golden one: integer tensors byte for byte, float32 tensors within a
 * relative error of each output's range (deploy's floatOutputError).
 */
import { expect } from 'vitest';
import { floatOutputError } from '../../src/deploy/verify.js';
import type { DType } from '../../src/ir/types.js';
import { tensorDataFromBytes } from '../../src/ir/types.js';

/** The host float tolerance of test/golden/float-golden.test.ts. */
export const HOST_FLOAT_TOLERANCE = 1e-5;

export function expectGoldenOutput(dtype: DType, got: Uint8Array, want: Uint8Array, what: string, tolerance = HOST_FLOAT_TOLERANCE): void {
  if (dtype !== 'float32') {
    expect(Array.from(got), what).toEqual(Array.from(want));
    return;
  }
  const w = tensorDataFromBytes('float32', want) as Float32Array;
  const g = tensorDataFromBytes('float32', got) as Float32Array;
  expect(g.length, what).toBe(w.length);
  expect(floatOutputError(w, g, tolerance).error, what).toBeLessThanOrEqual(tolerance);
}
