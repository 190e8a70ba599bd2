/**
 * The single-precision C kernels (firmware/kernels/*_f32.c) against the reference interpreter's
 * float path (each op's `evaluate`), on random shapes, compiled for the host. Float sums depend
 * on their order (the kernels block their loops, the interpreter accumulates in doubles), so
 * conv-like results are compared within a relative error of each output tensor's largest
 * magnitude; ops whose result is one rounding of one formula are compared exactly or to an ulp.
 */
import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/errors.js';
import type { FusedActivation, OpAttrs, OpType, Padding } from '../../src/ir/attrs.js';
import type { TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { hardSwish, leakyRelu, relu, relu6 } from '../../src/ops/activations.js';
import { add, sub } from '../../src/ops/add-sub.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { div } from '../../src/ops/div.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import { l2Normalization } from '../../src/ops/l2-normalization.js';
import { logistic, tanh } from '../../src/ops/logistic-tanh.js';
import { mul } from '../../src/ops/mul.js';
import { averagePool2d, maxPool2d } from '../../src/ops/pool2d.js';
import { prelu } from '../../src/ops/prelu.js';
import { mean, sum } from '../../src/ops/reduce.js';
import { rsqrt } from '../../src/ops/rsqrt.js';
import { softmax } from '../../src/ops/softmax.js';
import { transposeConv } from '../../src/ops/transpose-conv.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function randomF32(n: number, rand: () => number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/**
 * Runs the cases through the C kernel and `evaluate`; every output element must be within
 * `relTol` of the output tensor's largest magnitude (0: identical bits). Returns the outputs of
 * `evaluate` so callers can check the cases were not degenerate.
 */
function expectClose(def: AnyOpDef, cases: CKernelCase[], relTol: number): Float32Array[] {
  const c = runOpCasesInC(def, cases);
  const ts = runOpCasesInTs(def, cases);
  return cases.map((_, i) => {
    const got = c[i][0] as Float32Array;
    const want = ts[i][0] as Float32Array;
    expect(got.length).toBe(want.length);
    if (relTol === 0) {
      expect(Array.from(new Uint32Array(got.buffer)), `${def.type} case ${i}`).toEqual(Array.from(new Uint32Array(want.buffer)));
      return want;
    }
    const scale = Math.max(1e-30, ...Array.from(want, Math.abs));
    let worst = 0;
    let at = 0;
    for (let k = 0; k < want.length; k++) {
      const e = Math.abs(got[k] - want[k]) / scale;
      if (!(e <= worst)) {
        worst = e;
        at = k;
      }
    }
    expect(worst, `${def.type} case ${i}: element ${at} is ${got[at]}, expected ${want[at]}`).toBeLessThanOrEqual(relTol);
    return want;
  });
}

/** Builds a float32 one-op case; returns undefined when the drawn shapes are invalid for the op. */
function floatCase<T extends OpType>(
  def: AnyOpDef,
  type: T,
  attrs: OpAttrs[T],
  inputs: (TensorSpec | undefined)[],
  activations: (TensorData | undefined)[],
  outShape?: number[],
): CKernelCase | undefined {
  let shape = outShape;
  if (!shape) {
    try {
      [shape] = def.inferShapes(singleOpContext(type, attrs, inputs, [{ shape: [], dtype: 'float32' }]));
    } catch (e) {
      if (e instanceof GraphError) return undefined;
      throw e;
    }
  }
  const ctx = singleOpContext(type, attrs, inputs, [{ shape, dtype: 'float32' }]);
  return { ctx, params: def.prepare(ctx), inputs: inputs.map((s, i) => activations[i] ?? s?.data) };
}

/** Conv-like relative tolerance: float32 rounding over sums of up to a few hundred terms. */
const SUM_TOL = 2e-6;

describe('float32 C kernels vs the reference interpreter on random shapes', () => {
  it('CONV_2D: padding, strides, dilation, groups, 1x1 and bias', () => {
    const rand = rng(181);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    while (cases.length < 40) {
      const groups = rand() < 0.2 ? 2 : 1;
      const fIC = ri(1, 9);
      const outC = groups * ri(1, 9);
      const pointwise = rand() < 0.25;
      const fH = pointwise ? 1 : ri(1, 3);
      const fW = pointwise ? 1 : ri(1, 3);
      const a: OpAttrs['CONV_2D'] = {
        padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
        strideH: ri(1, 2),
        strideW: ri(1, 2),
        dilationH: pointwise ? 1 : ri(1, 2),
        dilationW: pointwise ? 1 : ri(1, 2),
        activation: ACTIVATIONS[ri(0, 3)],
      };
      const inShape = [ri(1, 2), ri(1, 11), ri(1, 11), fIC * groups];
      const fShape = [outC, fH, fW, fIC];
      const bias = rand() < 0.7 ? randomF32(outC, rand) : undefined;
      const c = floatCase(
        conv2d,
        'CONV_2D',
        a,
        [
          { shape: inShape, dtype: 'float32' },
          { shape: fShape, dtype: 'float32', data: randomF32(elementCount(fShape), rand, 0.5) },
          bias ? { shape: [outC], dtype: 'float32', data: bias } : undefined,
        ],
        [randomF32(elementCount(inShape), rand)],
      );
      if (c) cases.push(c);
    }
    // A realistic pointwise layer (VWW's 6x6x128 -> 128) and a first layer (3x3x3, stride 2).
    for (const [inShape, fShape, a] of [
      [[1, 6, 6, 128], [128, 1, 1, 128], { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6' }],
      [[1, 24, 24, 3], [8, 3, 3, 3], { padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'RELU' }],
    ] as [number[], number[], OpAttrs['CONV_2D']][]) {
      const outC = fShape[0];
      cases.push(
        floatCase(
          conv2d,
          'CONV_2D',
          a,
          [
            { shape: inShape, dtype: 'float32' },
            { shape: fShape, dtype: 'float32', data: randomF32(elementCount(fShape), rand, 0.2) },
            { shape: [outC], dtype: 'float32', data: randomF32(outC, rand) },
          ],
          [randomF32(elementCount(inShape), rand)],
        )!,
      );
    }
    const want = expectClose(conv2d, cases, SUM_TOL);
    // Not degenerate: many distinct, unclamped values.
    expect(new Set(want.flatMap((w) => Array.from(w))).size).toBeGreaterThan(2000);
  });

  it('DEPTHWISE_CONV_2D: multipliers 1 and 2+, padding, strides, dilation', () => {
    const rand = rng(182);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    while (cases.length < 40) {
      const inC = ri(1, 11);
      const mult = rand() < 0.7 ? 1 : ri(2, 3);
      const outC = inC * mult;
      const a: OpAttrs['DEPTHWISE_CONV_2D'] = {
        padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
        strideH: ri(1, 2),
        strideW: ri(1, 2),
        dilationH: ri(1, 2),
        dilationW: ri(1, 2),
        activation: ACTIVATIONS[ri(0, 3)],
        depthMultiplier: mult,
      };
      const inShape = [ri(1, 2), ri(1, 10), ri(1, 10), inC];
      const fShape = [1, ri(1, 3), ri(1, 3), outC];
      const bias = rand() < 0.7 ? randomF32(outC, rand) : undefined;
      const c = floatCase(
        depthwiseConv2d,
        'DEPTHWISE_CONV_2D',
        a,
        [
          { shape: inShape, dtype: 'float32' },
          { shape: fShape, dtype: 'float32', data: randomF32(elementCount(fShape), rand) },
          bias ? { shape: [outC], dtype: 'float32', data: bias } : undefined,
        ],
        [randomF32(elementCount(inShape), rand)],
      );
      if (c) cases.push(c);
    }
    const want = expectClose(depthwiseConv2d, cases, SUM_TOL);
    expect(new Set(want.flatMap((w) => Array.from(w))).size).toBeGreaterThan(1000);
  });

  it('FULLY_CONNECTED: batches, odd depths and unit counts, bias', () => {
    const rand = rng(183);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 30; k++) {
      const depth = ri(1, 70);
      const units = ri(1, 13);
      const batches = ri(1, 6);
      const bias = rand() < 0.7 ? randomF32(units, rand) : undefined;
      cases.push(
        floatCase(
          fullyConnected,
          'FULLY_CONNECTED',
          { activation: ACTIVATIONS[ri(0, 3)], keepNumDims: false },
          [
            { shape: [batches, depth], dtype: 'float32' },
            { shape: [units, depth], dtype: 'float32', data: randomF32(units * depth, rand, 0.3) },
            bias ? { shape: [units], dtype: 'float32', data: bias } : undefined,
          ],
          [randomF32(batches * depth, rand)],
        )!,
      );
    }
    // AD01's widest layer: 640 inputs, 128 units.
    cases.push(
      floatCase(
        fullyConnected,
        'FULLY_CONNECTED',
        { activation: 'RELU', keepNumDims: false },
        [
          { shape: [1, 640], dtype: 'float32' },
          { shape: [128, 640], dtype: 'float32', data: randomF32(128 * 640, rand, 0.05) },
          { shape: [128], dtype: 'float32', data: randomF32(128, rand) },
        ],
        [randomF32(640, rand)],
      )!,
    );
    expectClose(fullyConnected, cases, SUM_TOL);
  });

  it('TRANSPOSE_CONV: strides, SAME and VALID, bias (same summation order as the reference)', () => {
    const rand = rng(184);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    while (cases.length < 20) {
      const padding = (rand() < 0.5 ? 'SAME' : 'VALID') as Padding;
      const s = ri(1, 3);
      const [inH, inW, inC, outC, fH, fW] = [ri(1, 6), ri(1, 6), ri(1, 5), ri(1, 5), ri(1, 4), ri(1, 4)];
      const out = (i: number, f: number) => (padding === 'SAME' ? i * s : (i - 1) * s + f);
      const outShape = [1, out(inH, fH), out(inW, fW), outC];
      const fShape = [outC, fH, fW, inC];
      const bias = rand() < 0.7 ? randomF32(outC, rand) : undefined;
      const inputs: (TensorSpec | undefined)[] = [
        { shape: [4], dtype: 'int32', data: Int32Array.from(outShape) },
        { shape: fShape, dtype: 'float32', data: randomF32(elementCount(fShape), rand) },
        { shape: [1, inH, inW, inC], dtype: 'float32' },
        bias ? { shape: [outC], dtype: 'float32', data: bias } : undefined,
      ];
      const a: OpAttrs['TRANSPOSE_CONV'] = { padding, strideH: s, strideW: s, activation: ACTIVATIONS[ri(0, 3)] };
      try {
        transposeConv.inferShapes(singleOpContext('TRANSPOSE_CONV', a, inputs, [{ shape: outShape, dtype: 'float32' }]));
      } catch (e) {
        if (e instanceof GraphError) continue;
        throw e;
      }
      cases.push(floatCase(transposeConv, 'TRANSPOSE_CONV', a, inputs, [undefined, undefined, randomF32(inH * inW * inC, rand)], outShape)!);
    }
    expectClose(transposeConv, cases, SUM_TOL);
  });

  it('AVERAGE_POOL_2D and MAX_POOL_2D: clipped windows, strides, activations (exact)', () => {
    for (const def of [averagePool2d, maxPool2d]) {
      const rand = rng(185);
      const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
      const cases: CKernelCase[] = [];
      while (cases.length < 30) {
        const inShape = [ri(1, 2), ri(1, 9), ri(1, 9), ri(1, 6)];
        const a: OpAttrs['AVERAGE_POOL_2D'] = {
          padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
          strideH: ri(1, 3),
          strideW: ri(1, 3),
          filterH: ri(1, 4),
          filterW: ri(1, 4),
          activation: ACTIVATIONS[ri(0, 3)],
        };
        const c = floatCase(def, def.type as 'AVERAGE_POOL_2D', a, [{ shape: inShape, dtype: 'float32' }], [randomF32(elementCount(inShape), rand, 3)]);
        if (c) cases.push(c);
      }
      expectClose(def, cases, 0);
    }
  });

  it('ADD, SUB, MUL and DIV with and without broadcasting (exact)', () => {
    for (const def of [add, sub, mul, div]) {
      const rand = rng(186);
      const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
      const cases: CKernelCase[] = [];
      for (let k = 0; k < 24; k++) {
        const rank = ri(1, 4);
        const outShape = Array.from({ length: rank }, () => ri(1, 5));
        const same = k % 3 === 0;
        // Each input keeps a dim or broadcasts it (size 1), and may drop leading dims.
        const shapeOf = () => (same ? [...outShape] : outShape.slice(ri(0, rank - 1)).map((d) => (rand() < 0.4 ? 1 : d)));
        const s1 = shapeOf();
        const s2 = shapeOf();
        const c = floatCase(
          def,
          def.type as 'ADD',
          { activation: ACTIVATIONS[ri(0, 3)] },
          [
            { shape: s1, dtype: 'float32' },
            { shape: s2, dtype: 'float32' },
          ],
          [randomF32(elementCount(s1), rand, 4), randomF32(elementCount(s2), rand, 4)],
        );
        if (c) cases.push(c);
      }
      expect(cases.length).toBeGreaterThan(15);
      expectClose(def, cases, 0);
    }
  });

  it('RELU, RELU6, LEAKY_RELU and HARD_SWISH (exact)', () => {
    const rand = rng(187);
    for (const def of [relu, relu6, leakyRelu, hardSwish]) {
      const cases: CKernelCase[] = [];
      for (let k = 0; k < 6; k++) {
        const shape = [1, 1 + Math.floor(rand() * 40)];
        const attrs = (def === leakyRelu ? { alpha: 0.01 + rand() * 0.5 } : {}) as OpAttrs['LEAKY_RELU'];
        cases.push(floatCase(def, def.type as 'LEAKY_RELU', attrs, [{ shape, dtype: 'float32' }], [randomF32(shape[1], rand, 9)])!);
      }
      expectClose(def, cases, 0);
    }
  });

  it('LOGISTIC and TANH, across the cut-offs (to float precision)', () => {
    const rand = rng(188);
    for (const def of [logistic, tanh]) {
      const n = 400;
      const x = randomF32(n, rand, 20);
      x.set([0, -9.5, -8.5, 16, 17, 30, -30, 1e-3], 0);
      const c = floatCase(def, def.type as 'TANH', {}, [{ shape: [n], dtype: 'float32' }], [x])!;
      const got = runOpCasesInC(def, [c])[0][0] as Float32Array;
      const want = runOpCasesInTs(def, [c])[0][0] as Float32Array;
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i]), `${def.type}(${x[i]})`).toBeLessThanOrEqual(4e-7 * Math.max(Math.abs(want[i]), 1e-30));
    }
  });

  it('SOFTMAX over rows, with beta (to float precision)', () => {
    const rand = rng(189);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 10; k++) {
      const shape = [1 + Math.floor(rand() * 4), 1 + Math.floor(rand() * 20)];
      cases.push(floatCase(softmax, 'SOFTMAX', { beta: k % 2 ? 1 : 0.1 + rand() * 3 }, [{ shape, dtype: 'float32' }], [randomF32(shape[0] * shape[1], rand, 6)])!);
    }
    expectClose(softmax, cases, 5e-7);
  });

  it('MEAN and SUM over random axes (exact: same order as the reference)', () => {
    const rand = rng(190);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    for (const def of [mean, sum]) {
      const cases: CKernelCase[] = [];
      while (cases.length < 20) {
        const rank = ri(1, 4);
        const shape = Array.from({ length: rank }, () => ri(1, 5));
        const axes = Array.from({ length: ri(1, rank) }, () => ri(0, rank - 1));
        const c = floatCase(
          def,
          def.type as 'MEAN',
          { keepDims: rand() < 0.5 },
          [
            { shape, dtype: 'float32' },
            { shape: [axes.length], dtype: 'int32', data: Int32Array.from(axes) },
          ],
          [randomF32(elementCount(shape), rand, 5)],
        );
        // The axes are baked into the params; the C call does not read them.
        if (c) cases.push({ ...c, inputs: [c.inputs[0]] });
      }
      expectClose(def, cases, 0);
    }
  });

  it('DIV by zero and of zeros: infinities, NaN and signed zeros as IEEE division, then the clamp (exact)', () => {
    const x = Float32Array.from([1, -1, 0, -0, 0, 3, -3, 1e-30, 6]);
    const y = Float32Array.from([0, 0, 0, 5, -5, -0, 1e-30, 1e30, 2]);
    for (const activation of ['NONE', 'RELU6'] as FusedActivation[]) {
      const c = floatCase(div, 'DIV', { activation }, [{ shape: [x.length], dtype: 'float32' }, { shape: [y.length], dtype: 'float32' }], [x, y])!;
      expectClose(div, [c], 0);
    }
  });

  it('PRELU with alpha broadcast over some dimensions, and of the same shape (exact)', () => {
    const rand = rng(191);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 16; k++) {
      const shape = [1, ri(1, 5), ri(1, 5), ri(1, 6)];
      const alphaShape = k % 4 === 0 ? [...shape] : k % 4 === 1 ? [shape[3]] : [1, 1, shape[3]];
      cases.push(floatCase(prelu, 'PRELU', {}, [{ shape, dtype: 'float32' }, { shape: alphaShape, dtype: 'float32' }], [randomF32(elementCount(shape), rand, 3), randomF32(elementCount(alphaShape), rand, 2)])!);
    }
    expectClose(prelu, cases, 0);
  });

  it('RSQRT: one rounded square root and one rounded division, including 0, negatives and denormals (exact)', () => {
    const rand = rng(192);
    const x = Float32Array.from({ length: 200 }, () => rand() * 1000);
    x.set([0, -0, -1, 1, 4, 1e-40, 3.4e38, 0.25], 0);
    const c = floatCase(rsqrt, 'RSQRT', {}, [{ shape: [x.length], dtype: 'float32' }], [x])!;
    expectClose(rsqrt, [c], 0);
  });

  it('L2_NORMALIZATION over the last axis, with an all-zero row (exact: same order as the reference)', () => {
    const rand = rng(193);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 10; k++) {
      const shape = [1, 1 + Math.floor(rand() * 4), 1 + Math.floor(rand() * 30)];
      const x = randomF32(elementCount(shape), rand, 5);
      if (k === 0) x.fill(0, 0, shape[2]);
      cases.push(floatCase(l2Normalization, 'L2_NORMALIZATION', { activation: 'NONE' }, [{ shape, dtype: 'float32' }], [x])!);
    }
    const want = expectClose(l2Normalization, cases, 0);
    expect(Array.from(want[0].subarray(0, cases[0].ctx.inputs[0]!.shape[2]))).toEqual(new Array(cases[0].ctx.inputs[0]!.shape[2]).fill(0));
  });
});
