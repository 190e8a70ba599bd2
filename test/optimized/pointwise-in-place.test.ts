/**
 * In-place pointwise convolution on the DSP kernel: random int8 1x1 stride-1 cases the rule
 * accepts (output depth <= input depth, one batch), run with one buffer as input and output,
 * equal CONV_2D's reference bit for bit, on the host under AddressSanitizer (the buffer exactly
 * max(input, output) bytes, the scratch exactly the announced bytes) and on an emulated Cortex-M4.
 * The rule refuses a wider output, a second batch and strided or larger filters.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2DParams } from '../../src/ops/conv2d.js';
import { pointwiseInPlaceOk } from '../../src/ops/pointwise-in-place.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { convDspInPlaceBitExact } from './conv-in-place-tests.js';
import { HOST_DSP_TARGET, type VariantCase } from './harness.js';
import { randomConvCase } from './random-cases.js';

function cases(seed: number, n: number): VariantCase[] {
  const out: VariantCase[] = [];
  for (let s = seed; out.length < n; s++) {
    const c = randomConvCase(s, 'pointwise');
    if (pointwiseInPlaceOk(c.params as Conv2DParams) && conv2dDspVariant.accepts(c.params, HOST_DSP_TARGET)) out.push(c);
  }
  return out;
}

describe('in-place pointwise convolution (DSP kernel)', () => {
  const all = cases(21000, 40);

  it('the rule takes output depth up to the input depth and refuses the rest', () => {
    const p = all[0].params as Conv2DParams;
    expect(all.some((c) => (c.params as Conv2DParams).outputDepth === (c.params as Conv2DParams).inputDepth || (c.params as Conv2DParams).outputDepth < (c.params as Conv2DParams).inputDepth)).toBe(true);
    expect(pointwiseInPlaceOk({ ...p, outputDepth: p.inputDepth + 1 })).toBe(false);
    expect(pointwiseInPlaceOk({ ...p, batches: 2 })).toBe(false);
    expect(pointwiseInPlaceOk({ ...p, strideWidth: 2 })).toBe(false);
    expect(pointwiseInPlaceOk({ ...p, filterHeight: 3 })).toBe(false);
    expect(conv2dDspVariant.inPlaceScratchBytes!({ ...p, outputDepth: p.inputDepth + 1 })).toBeUndefined();
  });

  convDspInPlaceBitExact('dsp pointwise in place', all);
});
