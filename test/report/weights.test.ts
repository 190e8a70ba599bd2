/**
 * Weight histograms: int8 weights are dequantized with the scale of their own channel (the
 * quantized dimension may be the first, as in dense and conv kernels, or the last, as in
 * depthwise kernels), and binning puts every value in exactly one bin, edges included.
 */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/ir/types.js';
import { dequantizeWeights, histogram } from '../../src/report/weights.js';

const int8 = (shape: number[], values: number[], scale: number[], quantizedDimension: number): Tensor => ({
  id: 0,
  name: 'w',
  shape,
  dtype: 'int8',
  data: Int8Array.from(values),
  quant: { scale, zeroPoint: scale.map(() => 0), quantizedDimension },
});

describe('dequantizeWeights', () => {
  it('uses the scale of each value\'s channel on the first dimension', () => {
    const t = int8([2, 3], [1, 2, 3, -1, -2, -3], [0.5, 0.25], 0);
    expect([...dequantizeWeights(t)]).toEqual([0.5, 1, 1.5, -0.25, -0.5, -0.75]);
  });

  it('uses the scale of each value\'s channel on the last dimension (depthwise)', () => {
    const t = int8([1, 2, 1, 2], [4, 4, 8, 8], [0.5, 0.125], 3);
    expect([...dequantizeWeights(t)]).toEqual([2, 0.5, 4, 1]);
  });

  it('uses one scale for a per-tensor weight', () => {
    expect([...dequantizeWeights(int8([2, 2], [-128, 0, 1, 127], [0.5], 0))]).toEqual([-64, 0, 0.5, 63.5]);
  });
});

describe('histogram', () => {
  it('counts every value once, the upper edge in the last bin', () => {
    const h = histogram([0, 0.1, 0.5, 0.99, 1], 0, 1, 4);
    expect(h.counts).toEqual([2, 0, 1, 2]);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('puts the 256 int8 codes 8 to a bin over [-128, 128)', () => {
    const codes = Array.from({ length: 256 }, (_, i) => i - 128);
    expect(histogram(codes, -128, 128, 32).counts).toEqual(new Array(32).fill(8));
  });
});
