/**
 * The unrolled channel loop of conv2d_dsp.c (TINYML_ROWS: a row's units entered by one computed
 * jump where its first pass starts, then whole passes of 16 groups) against CONV_2D's evaluate,
 * bit for bit, on an emulated Cortex-M4: row lengths chosen for every entry point that matters.
 * int8 rows (int8 and int16 streams): one group, a pass exactly, one group more than a pass and
 * three passes. Sub-byte rows: every combination of the prologue's parts (k4 % 4 groups; for
 * binary k4 % 8) and of an odd whole word (int2, ternary, binary: two words a unit), rows with no
 * whole unit, one pass exactly, and several passes. Nine pixels each: two blocks of four in the
 * assembly loop and a last pixel in the C one.
 */
import { describe, expect, it } from 'vitest';
import { conv2d, type Conv2DAttrs, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { SUBBYTE_DSP_VARIANTS } from '../../src/ops/subbyte/dsp.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import { HOST_DSP_TARGET, expectBitExactOnQemu, type VariantCase } from './harness.js';
import { convCaseOfShape } from './random-cases.js';
import { asSubByteCase } from '../subbyte/cases.js';
import { conv } from '../quantize/helpers.js';

const attrs: Conv2DAttrs = conv(1, 'VALID', 'NONE');
/** A pointwise layer of k4 groups (input depth 4 * k4) over `pixels` pixels in one row. */
const pointwise = (seed: number, k4: number, outC: number, pixels = 9): VariantCase =>
  convCaseOfShape(seed, { batches: 1, inH: 1, inW: pixels, inC: 4 * k4, outC, fh: 1, fw: 1, perChannel: true }, attrs);

/**
 * int8: k4 1, 16, 17, 33, 32, 2, 4 and 8, over 9 pixels (int8 stream) and 100 (int16 stream): with
 * int16 rows 2, 4 and 8 groups take straight loops of their own (VWW's 8-, 16- and 32-channel inputs).
 */
const INT8_K4 = [1, 16, 17, 33, 32, 2, 4, 8];
const int8Cases = [...INT8_K4.map((k4, i) => pointwise(61_000 + i, k4, 6)), ...INT8_K4.map((k4, i) => pointwise(61_100 + i, k4, 5, 100))];

/**
 * Sub-byte row lengths (k4) per width. int4 (two words = 4 groups a unit, 4 units a pass): parts
 * 1, 2, 1 + 2 alone and before units, one pass, a pass and a part, three passes. int2 and ternary
 * (two words = 8 groups a unit, 2 units a pass): an odd word alone, with parts, with units, and
 * passes. binary (two words = 16 groups a unit, one a pass): parts 1, 2, 4 and all three, an odd
 * word, one and several passes. Rows under four groups (k4 1, 2, 3) take the short channel loop
 * (TINYML_ROWS_SHORT) at every width, k4 2 (VWW's 8-channel pointwise layer) without the bit tests
 * of its parts. Rows of
 * exactly one pass with no prologue (int8 and int4 k4 16, int2 and ternary 16, binary 16: KWS's
 * 64-channel pointwise layers) take the straight channel loop (TINYML_ROWS_ONE), and so do rows of
 * exactly two passes (k4 32 at every width: VWW's 128-channel pointwise layers), their body twice,
 * and rows of exactly one LDRD unit (int4 k4 4, int2 and ternary k4 8) or two (int4 k4 8).
 */
const SB_K4: Record<SubByteKind, number[]> = {
  int4: [1, 2, 3, 4, 7, 16, 19, 48, 32, 8],
  int2: [1, 2, 3, 4, 7, 8, 12, 16, 17, 36, 39, 32],
  ternary: [2, 5, 12, 16, 33, 32, 8],
  binary: [1, 3, 7, 8, 15, 16, 24, 39, 63, 64, 32, 2],
};
const sbCases = (Object.entries(SB_K4) as [SubByteKind, number[]][]).flatMap(([kind, k4s], k) =>
  k4s.map((k4, i) => asSubByteCase(conv2d, pointwise(62_000 + 100 * k + i, k4, 5), kind, 63_000 + 100 * k + i)),
);
const sbVariant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === 'conv2d_s8_dsp_subbyte')!;

function label(c: VariantCase, i: number): string {
  const p = c.params as Conv2DQuantParams & { weightEncoding?: string };
  return `case ${i} (${p.weightEncoding ?? 'int8'}): k4 ${p.inputDepth / 4}, ${p.outputWidth} pixels, ${p.outputDepth} channels`;
}

function emit(variant: typeof sbVariant, c: VariantCase) {
  return variant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
}

describe('conv2d_dsp.c unrolled rows vs CONV_2D evaluate', () => {
  it('the cases take the kernels and layouts they are meant for', () => {
    expect(int8Cases.map((c) => /_dsp(_w16)?(?:_nf)?\(/.exec(emit(conv2dDspVariant, c).call)?.[1] ?? '')).toEqual([...INT8_K4.map(() => ''), ...INT8_K4.map(() => '_w16')]);
    // Each width's DSP entry point, the signed-field layout for int4, int2 and ternary.
    const entries = sbCases.map((c) => /tinyml_conv2d_s8_dsp_(sb\ds?)/.exec(emit(sbVariant, c).call)?.[1]);
    const want = (Object.entries(SB_K4) as [SubByteKind, number[]][]).flatMap(([kind, k4s]) => k4s.map(() => (kind === 'int4' ? 'sb4s' : kind === 'binary' ? 'sb1' : 'sb2s')));
    expect(entries).toEqual(want);
  });

  it('bit-exact on an emulated Cortex-M4 (int8 and sub-byte rows)', { timeout: 600_000 }, async () => {
    await expectBitExactOnQemu(conv2dDspVariant, conv2d, int8Cases, label);
    await expectBitExactOnQemu(sbVariant, conv2d, sbCases, label);
  });
});
