/**
 * Pointwise CONV_2D cases for the DSP kernel tests that cover int8 and sub-byte rows on the same
 * shapes (the block walk, decoded rows): the cases, the sub-byte variant, a label naming each
 * case's weights, and the emitted C the tests read the kernel's choices from.
 */
import { conv2d, type Conv2DAttrs, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { SUBBYTE_DSP_VARIANTS } from '../../src/ops/subbyte/dsp.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import { it } from 'vitest';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { planOptions } from '../../src/ops/optimized/common.js';
import { HOST_DSP_TARGET, expectBitExactOnQemu, type VariantCase } from './harness.js';
import { convCaseOfShape } from './random-cases.js';
import { asSubByteCase } from '../subbyte/cases.js';
import { conv } from '../quantize/helpers.js';

const attrs: Conv2DAttrs = conv(1, 'VALID', 'NONE');

/** A pointwise layer of input depth inC over h rows of w pixels. */
export const pointwiseCase = (seed: number, inC: number, outC: number, h: number, w: number): VariantCase =>
  convCaseOfShape(seed, { batches: 1, inH: h, inW: w, inC, outC, fh: 1, fw: 1, perChannel: true }, attrs);

export const subByteConvVariant = SUBBYTE_DSP_VARIANTS.find((v) => v.name === 'conv2d_s8_dsp_subbyte')!;

/** Sub-byte cases: each kind x depth over the shapes `keep` selects, seeds from `seed`. */
export function subBytePointwiseCases(
  kinds: SubByteKind[],
  depths: number[],
  shapes: [number, number][],
  keep: (i: number, d: number, k: number) => boolean,
  seed: number,
  outC: (i: number) => number,
): { cases: VariantCase[]; kinds: SubByteKind[] } {
  const caseKinds: SubByteKind[] = [];
  const cases = kinds.flatMap((kind, k) =>
    depths.flatMap((inC, d) =>
      shapes
        .filter((_, i) => keep(i, d, k))
        .map(([h, w], i) => {
          caseKinds.push(kind);
          return asSubByteCase(conv2d, pointwiseCase(seed + 100 * k + 10 * d + i, inC, outC(i), h, w), kind, seed + 1_000 + 100 * k + 10 * d + i);
        }),
    ),
  );
  return { cases, kinds: caseKinds };
}

/** "case i (kind): depth, pixels, channels", the kind int8 unless the case is one of `sb`'s. */
export function pointwiseLabel(sb: { cases: VariantCase[]; kinds: SubByteKind[] }): (c: VariantCase, i: number) => string {
  return (c, i) => {
    const p = c.params as Conv2DQuantParams;
    const kind = sb.cases.includes(c) ? sb.kinds[sb.cases.indexOf(c)] : 'int8';
    return `case ${i} (${kind}): depth ${p.inputDepth}, ${p.outputHeight * p.outputWidth} pixels, ${p.outputDepth} channels`;
  };
}

/** The C a variant emits for a case (its declarations and call), weights as constants. */
export function emittedC(variant: typeof subByteConvVariant, c: VariantCase): { decls: string; call: string } {
  const e = variant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)), scratch: 'buf' });
  return { decls: e.decls, call: e.call };
}

/**
 * Two tests: the int8 cases on the DSP conv variant and the sub-byte ones on `subByteConvVariant`,
 * bit-exact on an emulated Cortex-M4 against CONV_2D evaluate, FOLDED and then FAST
 * (`planOptions.fold`, set back to FOLDED after each; the caller's afterAll does it on failure).
 */
export function itBitExactFoldedAndFast(int8Cases: VariantCase[], sbCases: VariantCase[], label: (c: VariantCase, i: number) => string): void {
  for (const fold of [true, false]) {
    it(`bit-exact on an emulated Cortex-M4, ${fold ? 'FOLDED' : 'FAST'} (int8 and sub-byte rows)`, { timeout: 600_000 }, async () => {
      planOptions.fold = fold;
      await expectBitExactOnQemu(conv2dDspVariant, conv2d, int8Cases, label);
      await expectBitExactOnQemu(subByteConvVariant, conv2d, sbCases, label);
      planOptions.fold = true;
    });
  }
}
