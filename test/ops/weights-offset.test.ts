/**
 * Weights with a per-tensor zero point (legacy uint8 models, whose uint8 weights become int8 with
 * zero point z - 128): CONV_2D and DEPTHWISE_CONV_2D subtract it as TFLite's uint8 kernels do,
 * in the reference, the host path and the portable C kernels (the DSP conv stores such weights
 * minus their zero point as int16: test/optimized/conv2d.test.ts; the other variants decline
 * them); per-channel or 16x8 weights zero points, and TRANSPOSE_CONV's, are refused.
 */
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { Padding } from '../../src/ir/attrs.js';
import type { TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import type { Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { transposeConv } from '../../src/ops/transpose-conv.js';
import { findKernelVariant } from '../../src/ops/kernel-variants.js';
import '../../src/ops/optimized/index.js';
import '../../src/ops/optimized-mve/index.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt32, randomInt8, rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

const q = (scale: number, zeroPoint: number) => ({ scale, zeroPoint });

function convCtx(wZp: number | number[], kind: 'int8' | 'int16' = 'int8') {
  const zps = Array.isArray(wZp) ? wZp : [wZp];
  const attrs = { padding: 'VALID' as Padding, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' as const };
  return singleOpContext(
    'CONV_2D',
    attrs,
    [
      { shape: [1, 1, 1, 2], dtype: kind, quant: q(1, 0) },
      { shape: [zps.length, 1, 1, 2], dtype: 'int8', quant: { scale: zps.map(() => 1), zeroPoint: zps, quantizedDimension: 0 }, data: Int8Array.from({ length: zps.length * 2 }, (_, i) => [10, 20][i % 2]) },
    ],
    [{ shape: [1, 1, 1, zps.length], dtype: kind, quant: q(1, 0) }],
  );
}

describe('weights zero point in CONV_2D and DEPTHWISE_CONV_2D', () => {
  it('is subtracted from every weight: (10 - 8) * 3 + (20 - 8) * 5 = 66', () => {
    const ctx = convCtx(8);
    const p = conv2d.prepare(ctx) as Conv2DQuantParams;
    expect(p.weightsOffset).toBe(-8);
    for (const run of [conv2d.evaluate, conv2d.reference!]) {
      const out = new Int8Array(1);
      run(p, [Int8Array.from([3, 5]), ctx.inputs[1]!.data], [out]);
      expect(Array.from(out)).toEqual([66]);
    }
  });

  it('is refused per channel, with 16x8 activations and in TRANSPOSE_CONV', () => {
    expect(() => conv2d.prepare(convCtx([0, 3]))).toThrow(/zero points 0, 3.*only per tensor/);
    expect(() => conv2d.prepare(convCtx(4, 'int16'))).toThrow(UnsupportedOpError);
    const tc = singleOpContext(
      'TRANSPOSE_CONV',
      { padding: 'VALID', strideH: 1, strideW: 1, activation: 'NONE' },
      [
        { shape: [4], dtype: 'int32', data: Int32Array.from([1, 2, 2, 1]) },
        { shape: [1, 2, 2, 1], dtype: 'int8', quant: q(1, 5), data: new Int8Array(4) },
        { shape: [1, 1, 1, 1], dtype: 'int8', quant: q(1, 0) },
      ],
      [{ shape: [1, 2, 2, 1], dtype: 'int8', quant: q(1, 0) }],
    );
    expect(() => transposeConv.prepare(tc)).toThrow(/TRANSPOSE_CONV weights .* non-zero zero point/);
  });

  it('keeps the MVE conv and the size-optimized DSP conv for symmetric weights only', () => {
    const withZp = conv2d.prepare(convCtx(8));
    const without = conv2d.prepare(convCtx(0));
    const m4 = { core: 'cortex-m4', dsp: true, mve: false };
    const m55 = { core: 'cortex-m55', dsp: true, mve: true };
    expect(findKernelVariant('CONV_2D', without, m55)?.name).toBe('conv2d_s8_mve');
    expect(findKernelVariant('CONV_2D', withZp, m55)?.name).toBe('conv2d_s8_dsp');
    expect(findKernelVariant('CONV_2D', withZp, m4)?.name).toBe('conv2d_s8_dsp');
    expect(findKernelVariant('CONV_2D', without, m4, 'size')?.name).toBe('conv2d_s8_dsp');
    expect(findKernelVariant('CONV_2D', withZp, m4, 'size')).toBeUndefined();
  });
});

function randomCase(def: AnyOpDef, rand: () => number): CKernelCase | undefined {
  const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const depthwise = def === depthwiseConv2d;
  const inC = ri(1, 5);
  const mult = depthwise && rand() < 0.3 ? 2 : 1;
  const outC = depthwise ? inC * mult : ri(1, 5);
  const fH = ri(1, 3);
  const fW = ri(1, 3);
  const attrs = {
    padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
    strideH: ri(1, 2),
    strideW: ri(1, 2),
    dilationH: 1,
    dilationW: rand() < 0.3 ? 2 : 1,
    activation: (['NONE', 'RELU', 'RELU6'] as const)[ri(0, 2)],
    ...(depthwise ? { depthMultiplier: mult } : {}),
  };
  const inShape = [1, ri(1, 8), ri(1, 8), inC];
  const fShape = depthwise ? [1, fH, fW, outC] : [outC, fH, fW, inC];
  const taps = fH * fW * (depthwise ? 1 : inC);
  const inScale = 0.02;
  const wScale = 0.01;
  // The shifted zero point of uint8 weights: anything in int8.
  const wZp = ri(-128, 127);
  const outScale = (inScale * wScale * 128 * 200 * Math.sqrt(taps)) / 60;
  const inputSpec: TensorSpec = { shape: inShape, dtype: 'int8', quant: q(inScale, ri(-128, 127)) };
  const filterData = randomInt8(elementCount(fShape), rand);
  const filterSpec: TensorSpec = { shape: fShape, dtype: 'int8', quant: q(wScale, wZp), data: filterData };
  const biasSpec: TensorSpec = { shape: [outC], dtype: 'int32', data: randomInt32(outC, rand, -20000, 20000) };
  const type = depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D';
  let shape: number[];
  try {
    [shape] = def.inferShapes(singleOpContext(type, attrs as never, [inputSpec, filterSpec, biasSpec], [{ shape: [], dtype: 'int8' }]));
  } catch (e) {
    if (e instanceof GraphError) return undefined;
    throw e;
  }
  const ctx = singleOpContext(type, attrs as never, [inputSpec, filterSpec, biasSpec], [{ shape, dtype: 'int8', quant: q(outScale, ri(-50, 50)) }]);
  const input: TensorData = randomInt8(elementCount(inShape), rand);
  return { ctx, params: def.prepare(ctx), inputs: [input, filterData, biasSpec.data] };
}

describe('weights zero point: portable C kernels match the reference', () => {
  for (const def of [conv2d, depthwiseConv2d] as AnyOpDef[]) {
    it(`${def.type}: random shapes, zero points of inputs and weights`, () => {
      const rand = rng(def === conv2d ? 77 : 78);
      const cases: CKernelCase[] = [];
      while (cases.length < 30) {
        const c = randomCase(def, rand);
        if (c) cases.push(c);
      }
      expect(cases.filter((c) => (c.params as { weightsOffset: number }).weightsOffset !== 0).length).toBeGreaterThan(25);
      const got = runOpCasesInC(def, cases);
      const want = runOpCasesInTs(def, cases);
      cases.forEach((_, i) => expect(Array.from(got[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
      const distinct = new Set(want.flatMap((o) => Array.from(o[0] as Int8Array))).size;
      expect(distinct).toBeGreaterThan(20);
    });
  }
});
