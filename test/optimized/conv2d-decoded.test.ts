/**
 * The decoded rows of conv2d_dsp.c (p->decoded_rows, convDecodedBlocks): pointwise layers of depth
 * 32, 64 or 128 from 16 pixels (int8 under 96 pixels; int4, int2 and ternary at any size) run
 * channel-outer, the columns of a chunk of blocks of four pixels written once and each channel's
 * row decoded once a chunk into an int16 row (int8: SXTB16; signed sub-byte fields: the AND's
 * pairs, shifted back after the row), the last pixels past the whole blocks by the usual loop.
 * Bit for bit against CONV_2D's evaluate on an emulated Cortex-M4 (-O2, the assembly): depths 32
 * (k4 = 8: one pass of 8 groups), 64 and 128; 16, 36 (VWW's 6x6), 37, 39 and 95 pixels (one chunk,
 * or several, the last shorter: depth 128 takes 9 blocks a chunk, 64 takes 18, 32 takes 36),
 * sub-byte 150 and 156 pixels too; FOLDED (the path) and FAST (which keeps the usual loops).
 * Sub-byte layers in place (output over input, no wider out than in) take decoded rows only in
 * the room the memory plan gives them beyond their announced scratch (ctx.scratchBytes,
 * plan/memory-plan.ts growScratchIntoRoom): the chunks that fit, none when four blocks do not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2dDspVariant, convDecodedBlocks, convDecodedBytes } from '../../src/ops/optimized/conv2d.js';
import { pointwiseExpandInPlaceOk, pointwiseInPlaceOk } from '../../src/ops/pointwise-in-place.js';
import { inPlaceVariant } from './in-place-variant.js';
import { M4_TARGET, evaluateCases, runVariantCasesOnQemu, values } from './harness.js';
import { planOptions } from '../../src/ops/optimized/common.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import type { VariantCase } from './harness.js';
import type { TensorData } from '../../src/ir/types.js';
import { asSubByteCase } from '../subbyte/cases.js';
import { emittedC, pointwiseCase as pointwise, pointwiseLabel, subBytePointwiseCases, subByteConvVariant as sbVariant, itBitExactFoldedAndFast } from './pointwise-cases.js';

const DEPTHS = [64, 128, 32];
/** [rows, width]: 16, 36, 37, 39 and 95 pixels. */
const SHAPES: [number, number][] = [
  [4, 4],
  [6, 6],
  [1, 37],
  [3, 13],
  [5, 19],
];
const int8Cases = DEPTHS.flatMap((inC, d) => SHAPES.map(([h, w], i) => pointwise(91_000 + 10 * d + i, inC, 3 + ((d + 2 * i) % 7), h, w)));
const KINDS: SubByteKind[] = ['int4', 'int2', 'ternary'];
const SB_SHAPES: [number, number][] = [...SHAPES, [10, 15], [12, 13]];
const sb = subBytePointwiseCases(KINDS, DEPTHS, SB_SHAPES, (i, d, k) => (i + d + k) % 2 === 0, 92_000, (i) => 4 + (i % 3));
const sbCases = sb.cases;
const label = pointwiseLabel(sb);

function decodedBlocks(variant: typeof sbVariant, c: VariantCase): number {
  const decls = emittedC(variant, c).decls;
  return Number(/\.decoded_rows = (\d+)/.exec(decls)?.[1] ?? -1);
}

describe('conv2d_dsp.c decoded rows of small pointwise layers vs CONV_2D evaluate', () => {
  afterAll(() => {
    planOptions.fold = true;
  });

  it('FOLDED cases take the decoded rows, in chunks of at most 9 (depth 128), 18 (64) or 36 (32) blocks; FAST ones do not', () => {
    planOptions.fold = true;
    const most = (p: Conv2DQuantParams) => ({ 128: 9, 64: 18, 32: 36 })[p.inputDepth]!;
    for (const [variant, cases] of [[conv2dDspVariant, int8Cases], [sbVariant, sbCases]] as const) {
      for (const c of cases) {
        const p = c.params as Conv2DQuantParams;
        const blocks = (p.outputHeight * p.outputWidth) >> 2;
        const chunk = decodedBlocks(variant, c);
        expect(chunk).toBe(convDecodedBlocks(p, undefined, variant === sbVariant));
        expect(chunk).toBeGreaterThan(0);
        expect(chunk).toBeLessThanOrEqual(most(p));
        expect(Math.ceil(blocks / chunk)).toBe(Math.ceil(blocks / most(p)));
      }
    }
    // The chunking: 23 blocks of depth 128 run as 8 + 8 + 7, of depth 64 as 12 + 11.
    expect(int8Cases.filter((c) => (c.params as Conv2DQuantParams).outputWidth === 19).map((c) => decodedBlocks(conv2dDspVariant, c))).toEqual([12, 8, 23]);
    planOptions.fold = false;
    expect(int8Cases.map((c) => decodedBlocks(conv2dDspVariant, c)).every((b) => b === 0)).toBe(true);
    planOptions.fold = true;
  });

  itBitExactFoldedAndFast(int8Cases, sbCases, label);
});

describe('conv2d_dsp.c decoded rows of sub-byte layers in place, in the room the plan gives', () => {
  // Depth 32 (k4 = 8) and 64 (16), as many channels out or fewer (the chunks in order); 12x12 and
  // 11x13 (3 pixels past the blocks), VWW's 24x24 at depth 32; widening, the chunks from the last
  // pixel down (descending): depth 16 (k4 = 4, one pass of 4 groups) as VWW's 24x24x16 -> 32,
  // 7x9 (3 pixels past the blocks, run first) and 32 -> 40.
  const shapes: [number, number, number, number][] = [
    [32, 32, 12, 12],
    [64, 64, 12, 12],
    [64, 60, 11, 13],
    [32, 28, 24, 24],
    [16, 32, 12, 12],
    [16, 24, 7, 9],
    [32, 40, 10, 10],
  ];
  const kinds: SubByteKind[] = [];
  const cases = KINDS.flatMap((kind, k) =>
    shapes.map(([inC, outC, h, w], i) => {
      kinds.push(kind);
      return asSubByteCase(conv2d, pointwise(93_000 + 10 * k + i, inC, outC, h, w), kind, 93_500 + 10 * k + i);
    }),
  );
  const inPlaceLabel = pointwiseLabel({ cases, kinds });
  const consts = (c: VariantCase): (TensorData | undefined)[] => c.inputs.map((d, i) => (i > 0 ? d : undefined));
  const announced = (c: VariantCase) => sbVariant.inPlaceScratchBytes!(c.params, consts(c))!;
  const most = (c: VariantCase) => sbVariant.scratchRoomBytes!(c.params, consts(c), undefined, true)!;
  /**
   * The room each case gets: all of it, about a third (several chunks), too little for four blocks,
   * and five blocks' (chunks of five: rows decoded as the AND gives them; larger chunks, more
   * blocks than k4 + 2, take them decoded exactly, conv2d_dsp.c dec_channels).
   */
  const rooms = [
    most,
    (c: VariantCase) => Math.floor(most(c) / 3 / 16) * 16,
    (c: VariantCase) => convDecodedBytes(c.params as Conv2DQuantParams, 3),
    (c: VariantCase) => convDecodedBytes(c.params as Conv2DQuantParams, 5),
  ];
  const emitted = (c: VariantCase, room: number) =>
    sbVariant.emitC(c.params, { inputs: ['buf', 'w', 'b'], outputs: ['buf'] }, { prefix: 'x', target: M4_TARGET, constants: consts(c), scratch: 's', scratchBytes: room, inPlace: true }).decls;

  it('ask for room in place only, and take the chunks that fit in what they get', () => {
    planOptions.fold = true;
    for (const c of cases) {
      const p = c.params as Conv2DQuantParams;
      expect(pointwiseInPlaceOk(p) || pointwiseExpandInPlaceOk(p)).toBe(true);
      expect(sbVariant.scratchRoomBytes!(c.params, consts(c), undefined, false)).toBeUndefined();
      const blocks = (p.outputHeight * p.outputWidth) >> 2;
      expect(most(c)).toBe(Math.max(announced(c), convDecodedBytes(p, blocks)));
      const got = rooms.map((r) => Number(/\.decoded_rows = (\d+)/.exec(emitted(c, r(c)))![1]));
      expect(got[0]).toBe(blocks);
      expect(got[1]).toBeGreaterThanOrEqual(4);
      expect(got[1]).toBeLessThan(blocks);
      expect(convDecodedBytes(p, got[1])).toBeLessThanOrEqual(rooms[1](c));
      expect(got[2]).toBe(0);
      expect(got[3]).toBe(5);
      // Widening layers run the kernel directly, the chunks from the last pixel down.
      expect(/\.descending = (\d+)/.exec(emitted(c, most(c)))![1]).toBe(pointwiseExpandInPlaceOk(p) ? '1' : '0');
      // The announced scratch alone: none.
      expect(Number(/\.decoded_rows = (\d+)/.exec(emitted(c, announced(c)))![1])).toBe(0);
    }
  });

  it('bit-exact in place on an emulated Cortex-M4 in each room', { timeout: 600_000 }, async () => {
    planOptions.fold = true;
    const want = evaluateCases(conv2d, cases);
    for (const room of rooms) {
      const variant = inPlaceVariant('CONV_2D', 'conv2d_s8_dsp_subbyte in place with room', (p, n, ctx) => {
        const c = cases.find((x) => x.params === p)!;
        return sbVariant.emitC(p, n, { ...ctx, target: M4_TARGET, scratchBytes: room(c) });
      }, (p) => room(cases.find((x) => x.params === p)!), cases);
      const got = await runVariantCasesOnQemu(variant, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), `${inPlaceLabel(c, i)}, room ${room(c)} B`).toEqual(values(want[i][0])));
    }
  });
});
