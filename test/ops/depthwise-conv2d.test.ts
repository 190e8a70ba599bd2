import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation, Padding } from '../../src/ir/attrs.js';
import type { DepthwiseConv2DAttrs } from '../../src/ops/depthwise-conv2d.js';
import type { Quantization, TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import { depthwiseConv2d, type DepthwiseConv2DParams, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

function attrs(over: Partial<DepthwiseConv2DAttrs> = {}): DepthwiseConv2DAttrs {
  return { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 1, ...over };
}

function perChannel(scales: number[], dim: number): Quantization {
  return { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: dim };
}

interface Int8Case {
  input: { shape: number[]; data: number[]; scale?: number; zp?: number };
  filter: { shape: number[]; data: number[]; scales?: number[] };
  bias?: number[];
  output?: { scale?: number; zp?: number };
  attrs?: Partial<DepthwiseConv2DAttrs>;
}

function runInt8(c: Int8Case): { out: number[]; shape: number[]; params: DepthwiseConv2DParams } {
  const a = attrs(c.attrs);
  const inputSpec: TensorSpec = { shape: c.input.shape, dtype: 'int8', quant: { scale: c.input.scale ?? 1, zeroPoint: c.input.zp ?? 0 } };
  const filterSpec: TensorSpec = { shape: c.filter.shape, dtype: 'int8', quant: perChannel(c.filter.scales ?? [1], 3), data: Int8Array.from(c.filter.data) };
  const biasSpec: TensorSpec | undefined = c.bias ? { shape: [c.bias.length], dtype: 'int32', data: Int32Array.from(c.bias) } : undefined;
  const probe = singleOpContext('DEPTHWISE_CONV_2D', a, [inputSpec, filterSpec, biasSpec], [{ shape: [], dtype: 'int8' }]);
  const [shape] = depthwiseConv2d.inferShapes(probe);
  const ctx = singleOpContext('DEPTHWISE_CONV_2D', a, [inputSpec, filterSpec, biasSpec], [
    { shape, dtype: 'int8', quant: { scale: c.output?.scale ?? 1, zeroPoint: c.output?.zp ?? 0 } },
  ]);
  const params = depthwiseConv2d.prepare(ctx);
  const out = new Int8Array(elementCount(shape));
  depthwiseConv2d.evaluate(params, [Int8Array.from(c.input.data), filterSpec.data, biasSpec?.data], [out]);
  return { out: Array.from(out), shape, params };
}

describe('DEPTHWISE_CONV_2D int8 hand-checked', () => {
  it('depth multiplier 2: output channel = in_channel * 2 + m', () => {
    const r = runInt8({
      input: { shape: [1, 1, 1, 2], data: [3, -2] },
      filter: { shape: [1, 1, 1, 4], data: [1, 2, 3, 4] },
      bias: [0, 1, 0, -1],
      attrs: { depthMultiplier: 2 },
    });
    expect(r.shape).toEqual([1, 1, 1, 4]);
    expect(r.out).toEqual([3, 7, -6, -9]);
  });

  it('SAME 3x3 keeps channels apart and pads with real zero', () => {
    // channel 0: input 1 (zp -1 -> q 0), weights 1; channel 1: input 2 (q 1), weights -1.
    const r = runInt8({
      input: { shape: [1, 3, 3, 2], data: new Array(9).fill([0, 1]).flat(), zp: -1 },
      filter: { shape: [1, 3, 3, 2], data: new Array(9).fill([1, -1]).flat() },
      attrs: { padding: 'SAME' },
    });
    const counts = [4, 6, 4, 6, 9, 6, 4, 6, 4];
    expect(r.out).toEqual(counts.flatMap((n) => [n, -2 * n]));
  });

  it('SAME stride 2 puts the odd padding at the end', () => {
    const r = runInt8({
      input: { shape: [1, 4, 4, 1], data: new Array(16).fill(1) },
      filter: { shape: [1, 3, 3, 1], data: new Array(9).fill(1) },
      attrs: { padding: 'SAME', strideH: 2, strideW: 2 },
    });
    const p = r.params as DepthwiseConv2DQuantParams;
    expect([p.padHeight, p.padHeightOffset]).toEqual([0, 1]);
    expect(r.out).toEqual([9, 6, 6, 4]);
  });

  it('per-channel scales along dimension 3, rounding and saturation', () => {
    // channel 0 x1, channel 1 x0.5 (-7*3*0.5 = -10.5 -> -10), channel 2 x8 saturates.
    const r = runInt8({
      input: { shape: [1, 1, 1, 3], data: [10, -7, 100] },
      filter: { shape: [1, 1, 1, 3], data: [3, 3, 3], scales: [1, 0.5, 8] },
    });
    const p = r.params as DepthwiseConv2DQuantParams;
    expect(p.perChannel).toBe(true);
    expect(r.out).toEqual([30, -10, 127]);
  });

  it.each<[FusedActivation, number[]]>([
    ['NONE', [-60, -5, 117]],
    ['RELU', [-10, -5, 117]],
    ['RELU6', [-10, -5, 110]],
  ])('fused %s', (activation, expected) => {
    const r = runInt8({
      input: { shape: [1, 1, 3, 1], data: [-50, 5, 127], scale: 0.05 },
      filter: { shape: [1, 1, 1, 1], data: [1] },
      output: { scale: 0.05, zp: -10 },
      attrs: { activation },
    });
    expect(r.out).toEqual(expected);
  });

  it('dilation and MACs', () => {
    const r = runInt8({
      input: { shape: [1, 5, 1, 1], data: [1, 2, 3, 4, 5] },
      filter: { shape: [1, 2, 1, 1], data: [1, -1] },
      attrs: { dilationH: 2 },
    });
    expect(r.out).toEqual([-2, -2, -2]);
    const ctx = singleOpContext(
      'DEPTHWISE_CONV_2D',
      attrs({ padding: 'SAME', depthMultiplier: 2 }),
      [
        { shape: [1, 10, 10, 8], dtype: 'int8' },
        { shape: [1, 3, 3, 16], dtype: 'int8' },
      ],
      [{ shape: [1, 10, 10, 16], dtype: 'int8' }],
    );
    expect(depthwiseConv2d.macs(ctx)).toBe(10 * 10 * 16 * 9);
  });

  it('rejects inconsistent shapes', () => {
    const mk = (filterShape: number[], mult: number) =>
      singleOpContext(
        'DEPTHWISE_CONV_2D',
        attrs({ depthMultiplier: mult }),
        [
          { shape: [1, 4, 4, 3], dtype: 'int8' },
          { shape: filterShape, dtype: 'int8' },
        ],
        [{ shape: [], dtype: 'int8' }],
      );
    expect(() => depthwiseConv2d.inferShapes(mk([1, 3, 3, 4], 1))).toThrow(GraphError);
    expect(() => depthwiseConv2d.inferShapes(mk([2, 3, 3, 3], 1))).toThrow(GraphError);
    expect(() => depthwiseConv2d.inferShapes(mk([1, 3, 3, 6], 3))).toThrow(/depth_multiplier 3/);
    expect(depthwiseConv2d.inferShapes(mk([1, 3, 3, 6], 2))).toEqual([[1, 2, 2, 6]]);
  });
});

describe('DEPTHWISE_CONV_2D 16x8 and float', () => {
  it('16x8 with int64 bias', () => {
    const ctx = singleOpContext(
      'DEPTHWISE_CONV_2D',
      attrs({ depthMultiplier: 2 }),
      [
        { shape: [1, 1, 2, 1], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } },
        { shape: [1, 1, 1, 2], dtype: 'int8', quant: perChannel([1, 0.5], 3), data: Int8Array.from([100, -3]) },
        { shape: [2], dtype: 'int64', data: BigInt64Array.from([7n, -1n]) },
      ],
      [{ shape: [1, 1, 2, 2], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } }],
    );
    const p = depthwiseConv2d.prepare(ctx) as DepthwiseConv2DQuantParams;
    expect([p.kind, p.accumulator]).toEqual(['int16', 'int64']);
    const out = new Int16Array(4);
    depthwiseConv2d.evaluate(p, [Int16Array.from([1000, -20001]), ctx.inputs[1]!.data, ctx.inputs[2]!.data], [out]);
    // ch0: 100x + 7 (saturates for -20001); ch1: (-3x - 1) * 0.5, the 64-bit path rounds half up
    expect(Array.from(out)).toEqual([32767, -1500, -32768, 30001]);
  });

  it('float32', () => {
    const ctx = singleOpContext(
      'DEPTHWISE_CONV_2D',
      attrs({ activation: 'RELU' }),
      [
        { shape: [1, 2, 1, 2], dtype: 'float32' },
        { shape: [1, 2, 1, 2], dtype: 'float32', data: Float32Array.from([0.5, 1, 0.25, -1]) },
        undefined,
      ],
      [{ shape: [1, 1, 1, 2], dtype: 'float32' }],
    );
    const p = depthwiseConv2d.prepare(ctx);
    const out = new Float32Array(2);
    depthwiseConv2d.evaluate(p, [Float32Array.from([2, 3, 4, 1]), ctx.inputs[1]!.data, undefined], [out]);
    expect(Array.from(out)).toEqual([2, 2]);
  });

  it('rejects unsupported dtype combinations', () => {
    const mk = (i: 'int8' | 'int16', w: 'int8' | 'int16', b: 'int32' | 'int64') =>
      singleOpContext(
        'DEPTHWISE_CONV_2D',
        attrs(),
        [
          { shape: [1, 1, 1, 1], dtype: i, quant: { scale: 1, zeroPoint: 0 } },
          { shape: [1, 1, 1, 1], dtype: w, quant: { scale: 1, zeroPoint: 0 } },
          { shape: [1], dtype: b },
        ],
        [{ shape: [1, 1, 1, 1], dtype: i, quant: { scale: 1, zeroPoint: 0 } }],
      );
    // TFLM's depthwise 16x8 kernel only takes int64 bias.
    expect(() => depthwiseConv2d.prepare(mk('int16', 'int8', 'int32'))).toThrow(UnsupportedOpError);
    expect(() => depthwiseConv2d.prepare(mk('int8', 'int16', 'int32'))).toThrow(/DEPTHWISE_CONV_2D/);
  });
});

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function randomCase(rand: () => number, kind: 'int8' | 'int16', withBias: boolean): CKernelCase {
  const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  for (;;) {
    const inC = ri(1, 6);
    const mult = rand() < 0.6 ? 1 : ri(2, 3);
    const outC = inC * mult;
    const fH = ri(1, 4);
    const fW = ri(1, 4);
    const a = attrs({
      padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
      strideH: ri(1, 3),
      strideW: ri(1, 3),
      dilationH: rand() < 0.3 ? 2 : 1,
      dilationW: rand() < 0.3 ? ri(2, 3) : 1,
      activation: ACTIVATIONS[ri(0, 3)],
      depthMultiplier: mult,
    });
    const inShape = [ri(1, 2), ri(1, 10), ri(1, 10), inC];
    const fShape = [1, fH, fW, outC];
    const taps = fH * fW;
    const inScale = 0.01 + rand() * 0.1;
    const pc = rand() < 0.6;
    const fScales = Array.from({ length: pc ? outC : 1 }, () => 0.002 + rand() * 0.03);
    const range = kind === 'int8' ? 128 : 32768;
    const outScale = (inScale * fScales[0] * range * 128 * Math.sqrt(taps) * (0.2 + rand())) / (kind === 'int8' ? 60 : 15000);
    const inputSpec: TensorSpec = { shape: inShape, dtype: kind, quant: { scale: inScale, zeroPoint: kind === 'int8' ? ri(-128, 127) : 0 } };
    const filterData = randomInt8(elementCount(fShape), rand, -127, 127);
    const filterSpec: TensorSpec = { shape: fShape, dtype: 'int8', quant: perChannel(fScales, 3), data: filterData };
    let biasSpec: TensorSpec | undefined;
    if (withBias && kind === 'int8') biasSpec = { shape: [outC], dtype: 'int32', data: randomInt32(outC, rand, -20000, 20000) };
    if (withBias && kind === 'int16') biasSpec = { shape: [outC], dtype: 'int64', data: BigInt64Array.from(randomInt32(outC, rand, -3000000, 3000000), (v) => BigInt(v)) };
    const probe = singleOpContext('DEPTHWISE_CONV_2D', a, [inputSpec, filterSpec, biasSpec], [{ shape: [], dtype: kind }]);
    let shape: number[];
    try {
      [shape] = depthwiseConv2d.inferShapes(probe);
    } catch (e) {
      if (e instanceof GraphError) continue;
      throw e;
    }
    const ctx = singleOpContext('DEPTHWISE_CONV_2D', a, [inputSpec, filterSpec, biasSpec], [
      { shape, dtype: kind, quant: { scale: outScale, zeroPoint: kind === 'int8' ? ri(-100, 100) : 0 } },
    ]);
    const input: TensorData = kind === 'int8' ? randomInt8(elementCount(inShape), rand) : randomInt16(elementCount(inShape), rand);
    return { ctx, params: depthwiseConv2d.prepare(ctx), inputs: [input, filterData, biasSpec?.data] };
  }
}

function expectSame(cases: CKernelCase[]): void {
  // Params are plain data: they survive a JSON round trip unchanged.
  cases.forEach((c) => expect(JSON.parse(JSON.stringify(c.params))).toEqual(c.params));
  const c = runOpCasesInC(depthwiseConv2d, cases);
  const ts = runOpCasesInTs(depthwiseConv2d, cases);
  cases.forEach((_, i) => expect(Array.from(c[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(ts[i][0] as Int8Array)));
  expect(new Set(ts.flatMap((o) => Array.from(o[0] as Int8Array))).size).toBeGreaterThan(20);
}

describe('DEPTHWISE_CONV_2D C kernel matches evaluate', () => {
  it('int8 random cases', () => {
    const rand = rng(4321);
    expectSame(Array.from({ length: 60 }, (_, i) => randomCase(rand, 'int8', i % 4 !== 0)));
  });

  it('16x8 random cases', () => {
    const rand = rng(8765);
    expectSame(Array.from({ length: 40 }, (_, i) => randomCase(rand, 'int16', i % 3 !== 0)));
  });

  it('emits the depthwise kernel call', () => {
    const c = randomCase(rng(3), 'int16', false);
    const em = depthwiseConv2d.emitC!(c.params, { inputs: ['in', 'w', undefined], outputs: ['out'] }, { prefix: 'op2' });
    expect(em.call).toContain('tinyml_depthwise_conv2d_s16(&op2_params, in, w, NULL, out)');
    expect(em.includes).toEqual(['depthwise_conv2d.h']);
  });
});

describe('DEPTHWISE_CONV_2D evaluate speed', () => {
  it('runs 3x3 depthwise on 96x96x64 quickly', () => {
    const rand = rng(11);
    const ctx = singleOpContext(
      'DEPTHWISE_CONV_2D',
      attrs({ padding: 'SAME' }),
      [
        { shape: [1, 96, 96, 64], dtype: 'int8', quant: { scale: 0.05, zeroPoint: 3 } },
        { shape: [1, 3, 3, 64], dtype: 'int8', quant: perChannel(new Array(64).fill(0.01), 3), data: randomInt8(9 * 64, rand) },
        { shape: [64], dtype: 'int32', data: randomInt32(64, rand, -1000, 1000) },
      ],
      [{ shape: [1, 96, 96, 64], dtype: 'int8', quant: { scale: 0.5, zeroPoint: 0 } }],
    );
    const p = depthwiseConv2d.prepare(ctx);
    const out = new Int8Array(96 * 96 * 64);
    const t0 = performance.now();
    depthwiseConv2d.evaluate(p, [randomInt8(96 * 96 * 64, rand), ctx.inputs[1]!.data, ctx.inputs[2]!.data], [out]);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
