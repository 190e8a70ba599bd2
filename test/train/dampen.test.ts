/**
 * Oscillation dampening (`finetune --dampen`): the gradient of λ·mean((clamp(w/s) − code)²) with
 * respect to the latent weights equals central finite differences of the term (away from the
 * rounding thresholds and clamp edges, where it is not differentiable), the ramp runs 0 → λ, and
 * only sub-byte uniform layers are dampened.
 */
import { describe, expect, it } from 'vitest';
import { dampeningLoss, dampeningWeight, isDampened } from '../../src/train/dampen.js';
import { weightRange, type WeightKind } from '../../src/train/fake-quant.js';
import { mulberry32 } from '../../src/random.js';

describe('oscillation dampening', () => {
  for (const kind of ['ternary', 'int2', 'int4', 'binary'] as WeightKind[]) {
    it(`${kind}: analytic gradient = finite differences`, () => {
      const r = mulberry32(7);
      const layout = { inner: 6, channels: 3 };
      const scales = Float32Array.of(0.05, 0.11, 0.02);
      // Spread over the whole clamp range and a little beyond it, in each channel's own steps.
      const reach = kind === 'binary' ? 1.3 : weightRange(kind).qmax * 1.3;
      const w = Float32Array.from({ length: 2 * 3 * 6 }, (_, i) => (r() * 2 - 1) * reach * scales[Math.floor(i / layout.inner) % layout.channels]);
      const lambda = 0.7;
      const dw = new Float32Array(w.length);
      const loss = dampeningLoss(w, scales, layout, kind, lambda, dw);
      expect(loss).toBeGreaterThan(0);
      let checked = 0;
      for (let i = 0; i < w.length; i++) {
        const s = scales[Math.floor(i / layout.inner) % layout.channels];
        const v = w[i] / s;
        // Not differentiable at the rounding thresholds (x.5) and the clamp edges: skip those.
        const frac = Math.abs(v - Math.trunc(v));
        if (Math.abs(frac - 0.5) < 0.02 || Math.abs(Math.abs(v) - Math.round(Math.abs(v))) < 0.02) continue;
        const h = 1e-3 * s;
        const plus = w.slice();
        const minus = w.slice();
        plus[i] += h;
        minus[i] -= h;
        const fd = (dampeningLoss(plus, scales, layout, kind, lambda) - dampeningLoss(minus, scales, layout, kind, lambda)) / (plus[i] - minus[i]);
        expect(dw[i]).toBeCloseTo(fd, 3);
        if (dw[i] !== 0) checked++;
      }
      // Enough weights inside the clamp carry a non-zero gradient for the check to mean something.
      expect(checked).toBeGreaterThan(5);
    });
  }

  it('ramps λ from 0 to its value by a half cosine; int8 and clustered layers are left alone', () => {
    expect(dampeningWeight(2, 0, 100)).toBe(0);
    expect(dampeningWeight(2, 50, 100)).toBeCloseTo(1, 12);
    expect(dampeningWeight(2, 100, 100)).toBeCloseTo(2, 12);
    expect(isDampened({ kind: 'ternary', levels: undefined })).toBe(true);
    expect(isDampened({ kind: 'int8', levels: undefined })).toBe(false);
    expect(isDampened({ kind: 'int8', levels: new Float32Array(4) })).toBe(false);
  });
});
