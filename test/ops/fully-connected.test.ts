import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { FullyConnectedAttrs } from '../../src/ops/fully-connected.js';
import type { DType, Quantization, TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import { fullyConnected, type FullyConnectedQuantParams } from '../../src/ops/fully-connected.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

function attrs(over: Partial<FullyConnectedAttrs> = {}): FullyConnectedAttrs {
  return { activation: 'NONE', keepNumDims: false, ...over };
}

function quant(scales: number[], zeroPoints?: number[]): Quantization {
  return { scale: scales, zeroPoint: zeroPoints ?? scales.map(() => 0), quantizedDimension: 0 };
}

interface Int8Case {
  input: { shape: number[]; data: number[]; scale?: number; zp?: number };
  weights: { shape: number[]; data: number[]; scales?: number[]; zp?: number };
  bias?: number[];
  output?: { scale?: number; zp?: number };
  attrs?: Partial<FullyConnectedAttrs>;
}

function runInt8(c: Int8Case) {
  const a = attrs(c.attrs);
  const inputSpec: TensorSpec = { shape: c.input.shape, dtype: 'int8', quant: { scale: c.input.scale ?? 1, zeroPoint: c.input.zp ?? 0 } };
  const scales = c.weights.scales ?? [1];
  const wSpec: TensorSpec = {
    shape: c.weights.shape,
    dtype: 'int8',
    quant: quant(scales, scales.map(() => c.weights.zp ?? 0)),
    data: Int8Array.from(c.weights.data),
  };
  const bSpec: TensorSpec | undefined = c.bias ? { shape: [c.bias.length], dtype: 'int32', data: Int32Array.from(c.bias) } : undefined;
  const [shape] = fullyConnected.inferShapes(singleOpContext('FULLY_CONNECTED', a, [inputSpec, wSpec, bSpec], [{ shape: [], dtype: 'int8' }]));
  const ctx = singleOpContext('FULLY_CONNECTED', a, [inputSpec, wSpec, bSpec], [
    { shape, dtype: 'int8', quant: { scale: c.output?.scale ?? 1, zeroPoint: c.output?.zp ?? 0 } },
  ]);
  const params = fullyConnected.prepare(ctx) as FullyConnectedQuantParams;
  const out = new Int8Array(elementCount(shape));
  fullyConnected.evaluate(params, [Int8Array.from(c.input.data), wSpec.data, bSpec?.data], [out]);
  return { out: Array.from(out), shape, params };
}

describe('FULLY_CONNECTED int8 hand-checked', () => {
  it('dot products plus bias', () => {
    const r = runInt8({
      input: { shape: [1, 3], data: [1, 2, 3] },
      weights: { shape: [2, 3], data: [1, 1, 1, 1, -1, 2] },
      bias: [0, 10],
    });
    expect(r.shape).toEqual([1, 2]);
    expect(r.out).toEqual([6, 15]);
  });

  it('flattens leading dimensions into batches; keep_num_dims keeps them', () => {
    const w = { shape: [2, 3], data: [1, 0, 0, 0, 0, 1] };
    const data = [1, 2, 3, 4, 5, 6];
    expect(runInt8({ input: { shape: [2, 1, 3], data }, weights: w }).shape).toEqual([2, 2]);
    const kept = runInt8({ input: { shape: [2, 1, 3], data }, weights: w, attrs: { keepNumDims: true } });
    expect(kept.shape).toEqual([2, 1, 2]);
    expect(kept.out).toEqual([1, 3, 4, 6]);
    const flat = runInt8({ input: { shape: [1, 1, 1, 6], data }, weights: w });
    expect(flat.shape).toEqual([2, 2]);
    expect(flat.params.batches).toBe(2);
  });

  it('applies input, weights and output zero points', () => {
    // real input = q + 3; real weights = q - 2 (per-tensor weights zero point); output zp 5.
    const r = runInt8({
      input: { shape: [1, 2], data: [-3, -1], zp: -3 },
      weights: { shape: [1, 2], data: [3, 5], zp: 2 },
      output: { zp: 5 },
    });
    expect(r.params.weightsOffset).toBe(-2);
    // (3-2)*0 + (5-2)*2 = 6, + 5
    expect(r.out).toEqual([11]);
  });

  it('per-tensor multiplier uses the float32 product of the scales (GetQuantizedConvolutionMultipler)', () => {
    const r = runInt8({
      input: { shape: [1, 1], data: [1], scale: 0.1 },
      weights: { shape: [1, 1], data: [1], scales: [0.3] },
      output: { scale: 0.7 },
    });
    // The double product would give 1472560321.
    expect([r.params.outputMultiplier[0], r.params.outputShift[0]]).toEqual([1472560299, -4]);
  });

  it('per-channel weights, rounding and saturation', () => {
    const r = runInt8({
      input: { shape: [1, 2], data: [10, -3] },
      weights: { shape: [3, 2], data: [1, 1, 3, 0, 100, 100], scales: [1, 0.25, 2] },
    });
    expect(r.params.perChannel).toBe(true);
    // 7 -> 7; 30 * 0.25 = 7.5 -> 8; 700 * 2 saturates
    expect(r.out).toEqual([7, 8, 127]);
  });

  it.each<[FusedActivation, number[]]>([
    ['NONE', [-60, -5, 117]],
    ['RELU', [-10, -5, 117]],
    ['RELU6', [-10, -5, 110]],
    ['RELU_N1_TO_1', [-30, -5, 10]],
  ])('fused %s', (activation, expected) => {
    const r = runInt8({
      input: { shape: [3, 1], data: [-50, 5, 127], scale: 0.05 },
      weights: { shape: [1, 1], data: [1] },
      output: { scale: 0.05, zp: -10 },
      attrs: { activation },
    });
    expect(r.out).toEqual(expected);
  });

  it('MACs and shape errors', () => {
    const mk = (inShape: number[], keepNumDims = false) =>
      singleOpContext('FULLY_CONNECTED', attrs({ keepNumDims }), [{ shape: inShape, dtype: 'int8' }, { shape: [10, 8], dtype: 'int8' }], [{ shape: [], dtype: 'int8' }]);
    expect(fullyConnected.macs(mk([4, 8]))).toBe(4 * 10 * 8);
    expect(() => fullyConnected.inferShapes(mk([1, 12]))).toThrow(GraphError);
    expect(() => fullyConnected.inferShapes(mk([2, 4, 2], true))).toThrow(/keep_num_dims/);
    expect(fullyConnected.inferShapes(mk([2, 4, 2]))).toEqual([[2, 10]]);
  });
});

describe('FULLY_CONNECTED 16x8 and float', () => {
  function ctx16(bias: 'int64' | 'int32' | undefined, biasData?: TensorData) {
    return singleOpContext(
      'FULLY_CONNECTED',
      attrs(),
      [
        { shape: [1, 2], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } },
        { shape: [2, 2], dtype: 'int8', quant: quant([1, 0.5]), data: Int8Array.from([100, 100, -3, 0]) },
        bias ? { shape: [2], dtype: bias, data: biasData } : undefined,
      ],
      [{ shape: [1, 2], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } }],
    );
  }

  it('16x8 with int64 bias uses the 64-bit requantization (rounds half up)', () => {
    const bias = BigInt64Array.from([0n, -1n]);
    const p = fullyConnected.prepare(ctx16('int64', bias)) as FullyConnectedQuantParams;
    expect(p.accumulator).toBe('int64');
    const out = new Int16Array(2);
    fullyConnected.evaluate(p, [Int16Array.from([300, 5]), Int8Array.from([100, 100, -3, 0]), bias], [out]);
    // 100*305 = 30500; (-900 - 1) * 0.5 = -450.5 -> -450
    expect(Array.from(out)).toEqual([30500, -450]);
  });

  it('16x8 with int32 bias uses the int32 accumulator and double rounding', () => {
    const bias = Int32Array.from([0, -1]);
    const p = fullyConnected.prepare(ctx16('int32', bias)) as FullyConnectedQuantParams;
    expect(p.accumulator).toBe('int32');
    const out = new Int16Array(2);
    fullyConnected.evaluate(p, [Int16Array.from([300, 5]), Int8Array.from([100, 100, -3, 0]), bias], [out]);
    // -450.5 through SaturatingRoundingDoublingHighMul also gives -450
    expect(Array.from(out)).toEqual([30500, -450]);
    fullyConnected.evaluate(p, [Int16Array.from([32767, 32767]), Int8Array.from([100, 100, -3, 0]), bias], [out]);
    expect(out[0]).toBe(32767);
  });

  it('float32', () => {
    const ctx = singleOpContext(
      'FULLY_CONNECTED',
      attrs({ activation: 'RELU' }),
      [
        { shape: [1, 2], dtype: 'float32' },
        { shape: [2, 2], dtype: 'float32', data: Float32Array.from([0.5, 0.25, -1, 0]) },
        { shape: [2], dtype: 'float32', data: Float32Array.from([1, 0.5]) },
      ],
      [{ shape: [1, 2], dtype: 'float32' }],
    );
    const p = fullyConnected.prepare(ctx);
    const out = new Float32Array(2);
    fullyConnected.evaluate(p, [Float32Array.from([2, 4]), ctx.inputs[1]!.data, ctx.inputs[2]!.data], [out]);
    expect(Array.from(out)).toEqual([3, 0]);
  });

  it('rejects unsupported dtype combinations', () => {
    const mk = (i: DType, w: DType, o: DType) =>
      singleOpContext(
        'FULLY_CONNECTED',
        attrs(),
        [
          { shape: [1, 1], dtype: i, quant: { scale: 1, zeroPoint: 0 } },
          { shape: [1, 1], dtype: w, quant: { scale: 1, zeroPoint: 0 } },
        ],
        [{ shape: [1, 1], dtype: o, quant: { scale: 1, zeroPoint: 0 } }],
      );
    expect(() => fullyConnected.prepare(mk('int8', 'int8', 'int16'))).toThrow(UnsupportedOpError);
    expect(() => fullyConnected.prepare(mk('float32', 'int8', 'int8'))).toThrow(/FULLY_CONNECTED does not support input float32, weights int8/);
    // Float input and output with int8 weights is a hybrid layer (ops/hybrid/), no longer refused.
    expect((fullyConnected.prepare(mk('float32', 'int8', 'float32')) as { kind: string }).kind).toBe('hybrid');
  });
});

function randomCase(rand: () => number, kind: 'int8' | 'int16', bias: 'none' | 'int32' | 'int64'): CKernelCase {
  const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const depth = ri(1, 40);
  const units = ri(1, 12);
  const batches = ri(1, 3);
  const keepNumDims = rand() < 0.3;
  const inShape = keepNumDims ? [batches, 1, depth] : rand() < 0.5 ? [batches, depth] : [1, batches * depth];
  const a = attrs({ activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[ri(0, 3)], keepNumDims });
  const pc = rand() < 0.5;
  const scales = Array.from({ length: pc ? units : 1 }, () => 0.002 + rand() * 0.03);
  const inScale = 0.01 + rand() * 0.1;
  const range = kind === 'int8' ? 128 : 32768;
  const outScale = (inScale * scales[0] * range * 128 * Math.sqrt(depth) * (0.2 + rand())) / (kind === 'int8' ? 60 : 15000);
  const inputSpec: TensorSpec = { shape: inShape, dtype: kind, quant: { scale: inScale, zeroPoint: kind === 'int8' ? ri(-128, 127) : 0 } };
  // Per-tensor weights may carry a (nonstandard) zero point; TFLM honours it on that path.
  const wZp = !pc && rand() < 0.3 ? ri(-5, 5) : 0;
  const wData = randomInt8(units * depth, rand, -127, 127);
  const wSpec: TensorSpec = { shape: [units, depth], dtype: 'int8', quant: quant(scales, scales.map(() => wZp)), data: wData };
  let bSpec: TensorSpec | undefined;
  if (bias === 'int32') bSpec = { shape: [units], dtype: 'int32', data: randomInt32(units, rand, -30000, 30000) };
  if (bias === 'int64') bSpec = { shape: [units], dtype: 'int64', data: BigInt64Array.from(randomInt32(units, rand, -5000000, 5000000), (v) => BigInt(v)) };
  const [shape] = fullyConnected.inferShapes(singleOpContext('FULLY_CONNECTED', a, [inputSpec, wSpec, bSpec], [{ shape: [], dtype: kind }]));
  const ctx = singleOpContext('FULLY_CONNECTED', a, [inputSpec, wSpec, bSpec], [
    { shape, dtype: kind, quant: { scale: outScale, zeroPoint: kind === 'int8' ? ri(-100, 100) : ri(-3, 3) } },
  ]);
  const n = elementCount(inShape);
  const input = kind === 'int8' ? randomInt8(n, rand) : randomInt16(n, rand);
  return { ctx, params: fullyConnected.prepare(ctx), inputs: [input, wData, bSpec?.data] };
}

function expectSame(cases: CKernelCase[]): void {
  // Params are plain data: they survive a JSON round trip unchanged.
  cases.forEach((c) => expect(JSON.parse(JSON.stringify(c.params))).toEqual(c.params));
  const c = runOpCasesInC(fullyConnected, cases);
  const ts = runOpCasesInTs(fullyConnected, cases);
  cases.forEach((_, i) => expect(Array.from(c[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(ts[i][0] as Int8Array)));
  expect(new Set(ts.flatMap((o) => Array.from(o[0] as Int8Array))).size).toBeGreaterThan(20);
}

describe('FULLY_CONNECTED C kernel matches evaluate', () => {
  it('int8 random cases (per-tensor and per-channel, keep_num_dims)', () => {
    const rand = rng(2024);
    expectSame(Array.from({ length: 60 }, (_, i) => randomCase(rand, 'int8', i % 4 === 0 ? 'none' : 'int32')));
  });

  it('16x8 random cases (int64, int32 and no bias)', () => {
    const rand = rng(77);
    expectSame(Array.from({ length: 45 }, (_, i) => randomCase(rand, 'int16', (['int64', 'int32', 'none'] as const)[i % 3])));
  });

  it('emits arrays of one multiplier for per-tensor weights', () => {
    let c: CKernelCase;
    const rand = rng(1);
    do c = randomCase(rand, 'int8', 'int32');
    while ((c.params as FullyConnectedQuantParams).perChannel);
    const em = fullyConnected.emitC!(c.params, { inputs: ['x', 'w', 'b'], outputs: ['y'] }, { prefix: 'op4' });
    expect(em.decls).toContain('static const int32_t op4_mult[1]');
    expect(em.decls).toContain('.per_channel = 0,');
    expect(em.call).toContain('tinyml_fully_connected_s8(&op4_params, x, w, b, y)');
  });
});
