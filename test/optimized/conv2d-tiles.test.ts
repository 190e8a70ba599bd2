/**
 * conv2d_s8_dsp's blocking (firmware/kernels/arm/conv2d_dsp.c) against CONV_2D's evaluate, bit for
 * bit, on shapes chosen for its tails: the dot product's 1, 2 and 4-group steps (k4 % 4 = 0..3),
 * the last block of 1, 2 or 3 pixels (mm_4x1 for one or two, with 1..3 channels past the last four),
 * blocks of four pixels built together (pointwise, windows inside the image, at its left and right
 * edges, a block that runs past the row's end, 1x1 stride 2), int8 and int16 weight streams, the
 * FOLDED and FAST modes, per-tensor records repeated in the stream, a fused clamp (the C loop).
 * On an emulated Cortex-M4 (the assembly) and on the host (the portable fallbacks).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { conv2d, type Conv2DAttrs, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { RQ_FAST, RQ_FAST_FOLDED, planOptions } from '../../src/ops/optimized/common.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { HOST_DSP_TARGET, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';
import { convCaseOfShape, type ConvShape } from './random-cases.js';
import { conv } from '../quantize/helpers.js';

const attrs = (stride: number, padding: 'SAME' | 'VALID', activation: 'NONE' | 'RELU' | 'RELU6' = 'NONE'): Conv2DAttrs => conv(stride, padding, activation);
const shape = (inH: number, inW: number, inC: number, outC: number, f: number, perChannel = true): ConvShape => ({ batches: 1, inH, inW, inC, outC, fh: f, fw: f, perChannel });

const cases: VariantCase[] = [
  // Pointwise: 25 pixels (last block 1), k4 2, 13 channels (4x1's last group of 1).
  convCaseOfShape(1, shape(5, 5, 8, 13, 1), attrs(1, 'VALID')),
  // 18 pixels (last block 2), k4 5 (one group then the loop), 6 channels.
  convCaseOfShape(2, shape(3, 6, 20, 6, 1), attrs(1, 'VALID')),
  // 7 pixels (last block 3: the C loop), k4 7 (1 + 2 + 4 groups), per tensor.
  convCaseOfShape(3, shape(7, 1, 28, 7, 1, false), attrs(1, 'VALID')),
  // int16 rows (>= 96 pixels): 99 pixels (last block 3), k4 16; 97 pixels (last block 1), k4 3, 15 channels.
  convCaseOfShape(4, shape(11, 9, 64, 9, 1), attrs(1, 'VALID')),
  convCaseOfShape(5, shape(97, 1, 12, 15, 1), attrs(1, 'VALID')),
  // 98 pixels (last block 2) with int16 rows and a per-tensor record.
  convCaseOfShape(6, shape(14, 7, 16, 10, 1, false), attrs(1, 'VALID')),
  // 3x3 "same": edge blocks, a row of 10 (the third block of each row runs into the next row).
  convCaseOfShape(7, shape(9, 10, 8, 11, 3), attrs(1, 'SAME')),
  // 3x3 "same" on 12x12 with int16 rows (144 pixels), k4 27.
  convCaseOfShape(8, shape(12, 12, 12, 5, 3), attrs(1, 'SAME')),
  // 3x3 "valid" and 3x3 stride 2 "same".
  convCaseOfShape(9, shape(8, 11, 4, 6, 3), attrs(1, 'VALID')),
  convCaseOfShape(10, shape(13, 17, 8, 9, 3), attrs(2, 'SAME')),
  // 1x1 stride 2 (a ResNet shortcut): four pixels two input pixels apart.
  convCaseOfShape(11, shape(16, 16, 16, 18, 1), attrs(2, 'VALID')),
  // A fused clamp (RELU6): the C loop, blocks of 4 and a last block of 1.
  convCaseOfShape(12, shape(5, 5, 16, 6, 1), attrs(1, 'VALID', 'RELU6')),
];

function emitted(c: VariantCase) {
  return conv2dDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
}

function label(c: VariantCase, i: number): string {
  const p = c.params as Conv2DQuantParams;
  return `case ${i}: ${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight} s${p.strideHeight} -> ${p.outputHeight}x${p.outputWidth}x${p.outputDepth}`;
}

describe('conv2d_s8_dsp blocking and tails vs CONV_2D evaluate', () => {
  afterAll(() => {
    planOptions.fold = true;
  });

  it('the cases take the paths they are meant for', () => {
    const em = cases.map(emitted);
    expect(em.filter((e) => /tinyml_conv2d_s8_dsp_w16(_nf)?\(/.test(e.call)).length).toBe(4);
    // (TINYML_RQ_NOFIX, 4, on the layers whose clamp makes the sign correction dead.)
    expect(em.every((e) => (Number(/\.mode = (\d+),/.exec(e.decls)![1]) & 3) === RQ_FAST_FOLDED)).toBe(true);
    planOptions.fold = false;
    expect(cases.every((c) => Number(/\.mode = (\d+),/.exec(emitted(c).decls)![1]) === RQ_FAST)).toBe(true);
    planOptions.fold = true;
  });

  it('bit-exact on an emulated Cortex-M4, FOLDED (-O2) and FAST (-Os)', { timeout: 300_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesOnQemu(conv2dDspVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
    planOptions.fold = false;
    const got2 = await runVariantCasesOnQemu(conv2dDspVariant, cases, '-Os');
    planOptions.fold = true;
    cases.forEach((c, i) => expect(values(got2[i][0]), `FAST -Os ${label(c, i)}`).toEqual(values(want[i][0])));
  });

  it('bit-exact on the host (portable DSP fallbacks)', { timeout: 180_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesInC(conv2dDspVariant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), label(c, i)).toEqual(values(want[i][0])));
  });
});
