/** Calibration range methods and quantization parameter math on synthetic distributions. */
import { describe, expect, it } from 'vitest';
import { asymmetricQParams, quantizeBias, quantizeWeights, symmetricQParams } from '../../src/quantize/qparams.js';
import { chooseRange, initHistograms, klThreshold, newStats, updateHistograms, updateMinMax, type TensorStats } from '../../src/quantize/ranges.js';
import { mulberry32 as rng } from '../../src/random.js';

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

function statsOf(values: Float32Array): TensorStats {
  const s = newStats();
  updateMinMax(s, values);
  initHistograms(s, 2048);
  updateHistograms(s, values);
  return s;
}

const asym = { dtype: 'int8' as const, symmetric: false };

describe('quantization parameters', () => {
  it('asymmetric int8 maps [0, 1] to scale 1/255, zero point -128', () => {
    const q = asymmetricQParams({ min: 0, max: 1 });
    expect(q.scale).toBe(Math.fround(1 / 255));
    expect(q.zeroPoint).toBe(-128);
  });

  it('asymmetric ranges always represent 0 exactly', () => {
    for (const [min, max] of [
      [-1, 3],
      [0.5, 2],
      [-5, -1],
      [-0.3, 0.7],
    ]) {
      const q = asymmetricQParams({ min, max });
      expect(q.zeroPoint).toBeGreaterThanOrEqual(-128);
      expect(q.zeroPoint).toBeLessThanOrEqual(127);
      expect(Number.isInteger(q.zeroPoint)).toBe(true);
    }
    expect(asymmetricQParams({ min: 0.5, max: 2 }).zeroPoint).toBe(-128);
    expect(asymmetricQParams({ min: -5, max: -1 }).zeroPoint).toBe(127);
  });

  it('symmetric int8 and int16 use zero point 0', () => {
    expect(symmetricQParams({ min: -2, max: 1 }, 'int8')).toEqual({ scale: Math.fround(2 / 127), zeroPoint: 0 });
    expect(symmetricQParams({ min: -2, max: 4 }, 'int16')).toEqual({ scale: Math.fround(4 / 32767), zeroPoint: 0 });
  });

  it('weights are symmetric, in [-127, 127], per channel along the given axis', () => {
    // [2 out, 3 in]: channel 0 max 1, channel 1 max 0.1
    const w = Float32Array.from([1, -0.5, 0.25, 0.1, -0.05, 0]);
    const q = quantizeWeights(w, [2, 3], 0);
    expect(q.quant.scale).toEqual([Math.fround(1 / 127), Math.fround(0.1 / 127)]);
    expect(q.quant.zeroPoint).toEqual([0, 0]);
    expect(Array.from(q.data)).toEqual([127, -64, 32, 127, -64, 0]);
    const t = quantizeWeights(w, [2, 3], undefined);
    expect(t.quant.scale).toEqual([Math.fround(1 / 127)]);
    expect(Array.from(t.data)).toEqual([127, -64, 32, 13, -6, 0]);
    // Depthwise 1HWC, axis 3
    const d = quantizeWeights(Float32Array.from([2, 0.5, -1, 0.25]), [1, 1, 2, 2], 3);
    expect(d.quant.scale).toEqual([Math.fround(2 / 127), Math.fround(0.5 / 127)]);
    expect(d.quant.quantizedDimension).toBe(3);
  });

  it('bias is quantized with input scale x weight scale, zero point 0', () => {
    const b = quantizeBias(Float32Array.from([1, -2]), 0.5, [0.01, 0.02], 'int32');
    expect(Array.from(b.data as Int32Array)).toEqual([200, -200]);
    expect(b.quant.scale).toEqual([Math.fround(0.005), Math.fround(0.01)]);
    const b64 = quantizeBias(Float32Array.from([1]), 0.5, [0.01], 'int64');
    expect(b64.data).toBeInstanceOf(BigInt64Array);
  });
});

describe('calibration ranges', () => {
  const r = rng(7);
  // A ReLU-like activation: mostly small, a long tail, one far outlier.
  const relu = new Float32Array(200000);
  for (let i = 0; i < relu.length; i++) relu[i] = Math.max(0, gaussian(r));
  relu[123] = 40;
  const reluStats = statsOf(relu);
  // A signed one.
  const signed = new Float32Array(200000);
  for (let i = 0; i < signed.length; i++) signed[i] = gaussian(r);
  signed[5] = -30;
  const signedStats = statsOf(signed);

  it('minmax is the observed range (with 0)', () => {
    expect(chooseRange(reluStats, asym, { method: 'minmax', percentile: 99.99 })).toEqual({ min: 0, max: 40 });
    const s = newStats();
    updateMinMax(s, Float32Array.from([1, 2, 3]));
    expect(chooseRange(s, asym, { method: 'minmax', percentile: 99.99 })).toEqual({ min: 0, max: 3 });
  });

  it('percentile and entropy clip the outlier and keep 0', () => {
    for (const method of ['percentile', 'entropy'] as const) {
      const rr = chooseRange(reluStats, asym, { method, percentile: 99.99 });
      expect(rr.min).toBe(0);
      expect(rr.max).toBeGreaterThan(2);
      expect(rr.max).toBeLessThan(10);
      const rs = chooseRange(signedStats, asym, { method, percentile: 99.99 });
      expect(rs.min).toBeLessThan(-2);
      expect(rs.min).toBeGreaterThan(-10);
      expect(rs.max).toBeGreaterThan(2);
    }
  });

  it('mse trades clipping against rounding noise', () => {
    // One outlier among 200,000 values costs less clipped part-way than dropped: MSE keeps most of it.
    const rr = chooseRange(reluStats, asym, { method: 'mse', percentile: 99.99 });
    expect(rr.min).toBe(0);
    expect(rr.max).toBeGreaterThan(4);
    expect(rr.max).toBeLessThan(40);
    // A Gaussian's rare extremes are clipped (the optimum for 8 bits is near 4 sigma).
    const sym = { dtype: 'int8' as const, symmetric: true };
    const rs = chooseRange(signedStats, sym, { method: 'mse', percentile: 99.99 });
    const minmax = chooseRange(signedStats, sym, { method: 'minmax', percentile: 99.99 });
    expect(rs.max).toBeGreaterThan(3);
    expect(rs.max).toBeLessThan(0.9 * Math.max(-minmax.min, minmax.max));
  });

  it('percentile 99.99 of a uniform [0, 1) sample is near 0.9999', () => {
    const u = new Float32Array(100000);
    for (let i = 0; i < u.length; i++) u[i] = r();
    const rr = chooseRange(statsOf(u), asym, { method: 'percentile', percentile: 99.9 });
    expect(rr.max).toBeGreaterThan(0.995);
    expect(rr.max).toBeLessThanOrEqual(1);
  });

  it('the KL threshold keeps a uniform distribution whole', () => {
    const h = new Float64Array(2048).fill(10);
    expect(klThreshold(h, 1, 128)).toBeGreaterThan(0.99);
  });
});
