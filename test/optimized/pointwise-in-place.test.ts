/**
 * In-place pointwise convolution on the DSP kernel: random int8 1x1 stride-1 cases the rule
 * accepts (output depth <= input depth, one batch), and widening ones run in runs of pixels from
 * the last down (tinyml_conv2d_s8_dsp_in_place_expand), run with one buffer as input and output,
 * equal CONV_2D's reference bit for bit, on the host under AddressSanitizer (the buffer exactly
 * max(input, output) bytes, the scratch exactly the announced bytes) and on an emulated Cortex-M4.
 * The rule refuses a wider output, a second batch and strided or larger filters.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2DParams, Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { pointwiseExpandInPlaceOk, pointwiseExpandRuns, pointwiseInPlaceOk } from '../../src/ops/pointwise-in-place.js';
import { conv2dDspVariant, convScratchBytes } from '../../src/ops/optimized/conv2d.js';
import { convDspInPlaceBitExact } from './conv-in-place-tests.js';
import { HOST_DSP_TARGET, type VariantCase } from './harness.js';
import { convCaseOfShape, randomConvCase } from './random-cases.js';

function cases(seed: number, n: number, rule = pointwiseInPlaceOk): VariantCase[] {
  const out: VariantCase[] = [];
  for (let s = seed; out.length < n; s++) {
    const c = randomConvCase(s, 'pointwise');
    if (rule(c.params as Conv2DParams) && conv2dDspVariant.accepts(c.params, HOST_DSP_TARGET)) out.push(c);
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
    // A wider one runs in place too, through the widening driver (below).
    expect(conv2dDspVariant.inPlaceScratchBytes!({ ...p, outputDepth: p.inputDepth + 1 })).toBe(convScratchBytes({ ...p, outputDepth: p.inputDepth + 1 } as Conv2DQuantParams));
  });

  convDspInPlaceBitExact('dsp pointwise in place', all);
});

describe('in-place widening pointwise convolution (DSP kernel, runs of pixels from the last down)', () => {
  // VWW's 24x24x16 -> 24x24x32 first, then random widening shapes.
  const vww = convCaseOfShape(7, { batches: 1, inH: 24, inW: 24, inC: 16, outC: 32, fh: 1, fw: 1, perChannel: true }, { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6' });
  // Depth 8 -> 16 over 12x12 too (the block walk's depth-8 columns, TINYML_ROWS_NEXT_K2, walking down).
  const depth8 = convCaseOfShape(8, { batches: 1, inH: 12, inW: 12, inC: 8, outC: 16, perChannel: true, fh: 1, fw: 1 }, { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6' });
  const all = [vww, depth8, ...cases(22000, 15, pointwiseExpandInPlaceOk)];

  it('takes outputs wider than the input, in one run of every pixel (the kernel walks them from the last down)', () => {
    const p = vww.params as Conv2DParams;
    expect(pointwiseExpandInPlaceOk(p)).toBe(true);
    expect(pointwiseInPlaceOk(p)).toBe(false);
    expect(pointwiseExpandInPlaceOk({ ...p, outputDepth: p.inputDepth })).toBe(false);
    expect(pointwiseExpandInPlaceOk({ ...p, batches: 2 })).toBe(false);
    expect(conv2dDspVariant.inPlaceScratchBytes!(p)).toBe(convScratchBytes(p as Conv2DQuantParams));
    for (const c of all) {
      const q = c.params as Conv2DParams;
      const runs = pointwiseExpandRuns(q);
      expect(runs[0].e).toBe(q.inputHeight * q.inputWidth);
      expect(runs[runs.length - 1].s).toBe(0);
      expect(runs.length).toBe(1);
    }
    expect(pointwiseExpandRuns(p)).toEqual([{ s: 0, e: 576 }]);
  });

  convDspInPlaceBitExact('dsp widening pointwise in place', all);
});
