import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation, Padding } from '../../src/ir/attrs.js';
import type { Conv2DAttrs } from '../../src/ops/conv2d.js';
import type { Quantization, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { conv2d, type Conv2DParams, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

function attrs(over: Partial<Conv2DAttrs> = {}): Conv2DAttrs {
  return { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', ...over };
}

interface Int8Conv {
  input: { shape: number[]; data: number[]; scale?: number; zp?: number };
  filter: { shape: number[]; data: number[]; scales?: number[] };
  bias?: number[];
  output?: { scale?: number; zp?: number };
  attrs?: Partial<Conv2DAttrs>;
}

function perChannel(scales: number[], dim: number): Quantization {
  return { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: dim };
}

/** Runs a small int8 conv through infer/prepare/evaluate; returns the output and its shape. */
function runInt8(c: Int8Conv): { out: number[]; shape: number[]; params: Conv2DParams } {
  const a = attrs(c.attrs);
  const inputSpec: TensorSpec = {
    shape: c.input.shape,
    dtype: 'int8',
    quant: { scale: c.input.scale ?? 1, zeroPoint: c.input.zp ?? 0 },
  };
  const filterSpec: TensorSpec = {
    shape: c.filter.shape,
    dtype: 'int8',
    quant: perChannel(c.filter.scales ?? [1], 0),
    data: Int8Array.from(c.filter.data),
  };
  const biasSpec: TensorSpec | undefined = c.bias ? { shape: [c.bias.length], dtype: 'int32', data: Int32Array.from(c.bias) } : undefined;
  const probe = singleOpContext('CONV_2D', a, [inputSpec, filterSpec, biasSpec], [{ shape: [], dtype: 'int8' }]);
  const [shape] = conv2d.inferShapes(probe);
  const ctx = singleOpContext('CONV_2D', a, [inputSpec, filterSpec, biasSpec], [
    { shape, dtype: 'int8', quant: { scale: c.output?.scale ?? 1, zeroPoint: c.output?.zp ?? 0 } },
  ]);
  const params = conv2d.prepare(ctx);
  const out = new Int8Array(elementCount(shape));
  conv2d.evaluate(params, [Int8Array.from(c.input.data), filterSpec.data, biasSpec?.data], [out]);
  return { out: Array.from(out), shape, params };
}

describe('CONV_2D int8 hand-checked', () => {
  it('VALID 2x2 over 3x3 with bias, identity requantization', () => {
    const r = runInt8({
      input: { shape: [1, 3, 3, 1], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
      filter: { shape: [1, 2, 2, 1], data: [1, 2, 3, 4] },
      bias: [10],
    });
    expect(r.shape).toEqual([1, 2, 2, 1]);
    // windows: 1+4+12+20=37, 2+6+15+24=47, 4+10+21+32=67, 5+12+24+36=77; +10 bias
    expect(r.out).toEqual([47, 57, 77, 87]);
  });

  it('input zero point: input offset is -zp and padding contributes real zero', () => {
    // SAME, stride 2, 3x3 over 4x4: out 2x2, total padding 1 -> 0 before, 1 after (the offset).
    // Every input is zp+1 (real 1), every weight 1: windows see 9, 6, 6, 4 real pixels.
    const r = runInt8({
      input: { shape: [1, 4, 4, 1], data: new Array(16).fill(-4), zp: -5 },
      filter: { shape: [1, 3, 3, 1], data: new Array(9).fill(1) },
      attrs: { padding: 'SAME', strideH: 2, strideW: 2 },
      output: { zp: 3 },
    });
    expect(r.shape).toEqual([1, 2, 2, 1]);
    const p = r.params as Conv2DQuantParams;
    expect([p.padHeight, p.padHeightOffset, p.padWidth, p.padWidthOffset]).toEqual([0, 1, 0, 1]);
    expect(p.inputOffset).toBe(5);
    expect(r.out).toEqual([12, 9, 9, 7]);
  });

  it('SAME with even total padding pads both sides equally', () => {
    // 3x3 over 3x3, stride 1: total 2 -> 1 each side; corner sees 4 pixels, centre 9.
    const r = runInt8({
      input: { shape: [1, 3, 3, 1], data: new Array(9).fill(1) },
      filter: { shape: [1, 3, 3, 1], data: new Array(9).fill(1) },
      attrs: { padding: 'SAME' },
    });
    expect(r.out).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });

  it('saturates to the int8 range', () => {
    const r = runInt8({
      input: { shape: [1, 1, 1, 2], data: [127, -128] },
      filter: { shape: [2, 1, 1, 2], data: [127, 0, 0, 127] },
    });
    expect(r.out).toEqual([127, -128]);
  });

  it('rounds ties away from zero (multiplier 0.25)', () => {
    // input scale 0.5 * weight scale 0.5 / output scale 1 = 0.25.
    // acc -6 -> -1.5 -> -2; 6 -> 1.5 -> 2; -5 -> -1.25 -> -1; -2 -> -0.5 -> -1; 2 -> 0.5 -> 1.
    // acc 1 -> 0.25 -> 1: double rounding (the doubling high multiply rounds 0.5 up to 1, then
    // the rounding shift rounds 1/2 up again), as TFLM's default MultiplyByQuantizedMultiplier does.
    const r = runInt8({
      input: { shape: [1, 1, 6, 1], data: [-6, 6, -5, -2, 2, 1], scale: 0.5 },
      filter: { shape: [1, 1, 1, 1], data: [1], scales: [0.5] },
    });
    const p = r.params as Conv2DQuantParams;
    expect([p.outputMultiplier[0], p.outputShift[0]]).toEqual([2 ** 30, -1]);
    expect(r.out).toEqual([-2, 2, -1, -1, 1, 1]);
  });

  it.each<[FusedActivation, number[]]>([
    ['NONE', [-60, -5, 117, 30]],
    ['RELU', [-10, -5, 117, 30]],
    ['RELU6', [-10, -5, 110, 30]],
    ['RELU_N1_TO_1', [-30, -5, 10, 10]],
  ])('fused %s clamps in quantized units (scale 0.05, zp -10)', (activation, expected) => {
    // Identity multiplier: output = acc + zp. RELU6 max = -10 + round(6 / 0.05) = 110.
    const r = runInt8({
      input: { shape: [1, 1, 4, 1], data: [-50, 5, 127, 40], scale: 0.05 },
      filter: { shape: [1, 1, 1, 1], data: [1] },
      output: { scale: 0.05, zp: -10 },
      attrs: { activation },
    });
    expect(r.out).toEqual(expected);
  });

  it('per-channel weights requantize each output channel with its own scale', () => {
    const r = runInt8({
      input: { shape: [1, 1, 2, 1], data: [10, -7] },
      filter: { shape: [2, 1, 1, 1], data: [3, 3], scales: [1, 0.5] },
    });
    // channel 0: 3x; channel 1: 1.5x -> 15, -10.5 -> -10 (SRDHM ties on a negative product go up)
    expect(r.out).toEqual([30, 15, -21, -10]);
  });

  it('grouped convolution reads each group its own input channels', () => {
    const r = runInt8({
      input: { shape: [1, 1, 1, 4], data: [1, 2, 3, 4] },
      filter: { shape: [2, 1, 1, 2], data: [1, 1, 1, -1] },
    });
    expect((r.params as Conv2DQuantParams).groups).toBe(2);
    expect(r.out).toEqual([3, -1]);
  });

  it('dilation spreads the taps', () => {
    const r = runInt8({
      input: { shape: [1, 1, 5, 1], data: [1, 2, 3, 4, 5] },
      filter: { shape: [1, 1, 2, 1], data: [1, 1] },
      attrs: { dilationW: 2 },
    });
    expect(r.shape).toEqual([1, 1, 3, 1]);
    expect(r.out).toEqual([4, 6, 8]);
  });

  it('reports MACs per group', () => {
    const ctx = singleOpContext(
      'CONV_2D',
      attrs({ padding: 'SAME' }),
      [
        { shape: [2, 5, 5, 8], dtype: 'int8' },
        { shape: [6, 3, 3, 4], dtype: 'int8' },
      ],
      [{ shape: [2, 5, 5, 6], dtype: 'int8' }],
    );
    expect(conv2d.macs(ctx)).toBe(2 * 5 * 5 * 6 * 3 * 3 * 4);
  });

  it('rejects shapes that do not agree', () => {
    const ctx = singleOpContext(
      'CONV_2D',
      attrs(),
      [
        { shape: [1, 5, 5, 6], dtype: 'int8' },
        { shape: [4, 3, 3, 4], dtype: 'int8' },
      ],
      [{ shape: [], dtype: 'int8' }],
    );
    expect(() => conv2d.inferShapes(ctx)).toThrow(GraphError);
    expect(() => conv2d.inferShapes(ctx)).toThrow(/op #0 CONV_2D/);
  });
});

describe('CONV_2D 16x8 and float hand-checked', () => {
  it('16x8: int64 bias, 64-bit requantization, saturation to int16', () => {
    const inSpec: TensorSpec = { shape: [1, 1, 3, 1], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } };
    const fSpec: TensorSpec = { shape: [1, 1, 1, 1], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 }, data: Int8Array.from([100]) };
    const bSpec: TensorSpec = { shape: [1], dtype: 'int64', data: BigInt64Array.from([1000000000n]) };
    const ctx = singleOpContext('CONV_2D', attrs(), [inSpec, fSpec, bSpec], [{ shape: [1, 1, 3, 1], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } }]);
    const p = conv2d.prepare(ctx) as Conv2DQuantParams;
    expect([p.kind, p.accumulator]).toEqual(['int16', 'int64']);
    const out = new Int16Array(3);
    // a huge bias saturates everything high
    conv2d.evaluate(p, [Int16Array.from([1, -300, 32767]), fSpec.data, bSpec.data], [out]);
    expect(Array.from(out)).toEqual([32767, 32767, 32767]);
    conv2d.evaluate(p, [Int16Array.from([1, -300, 200]), fSpec.data, BigInt64Array.from([-5n])], [out]);
    expect(Array.from(out)).toEqual([95, -30005, 19995]);
    conv2d.evaluate(p, [Int16Array.from([1, -400, 400]), fSpec.data, undefined], [out]);
    expect(Array.from(out)).toEqual([100, -32768, 32767]);
  });

  it('16x8 with int32 bias picks the int32 accumulator', () => {
    const ctx = singleOpContext(
      'CONV_2D',
      attrs(),
      [
        { shape: [1, 1, 1, 1], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } },
        { shape: [1, 1, 1, 1], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 }, data: Int8Array.from([2]) },
        { shape: [1], dtype: 'int32', data: Int32Array.from([7]) },
      ],
      [{ shape: [1, 1, 1, 1], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } }],
    );
    const p = conv2d.prepare(ctx) as Conv2DQuantParams;
    expect(p.accumulator).toBe('int32');
    const out = new Int16Array(1);
    conv2d.evaluate(p, [Int16Array.from([-1000]), Int8Array.from([2]), Int32Array.from([7])], [out]);
    expect(out[0]).toBe(-1993);
  });

  it('float32: plain multiply-add, bias and RELU6', () => {
    const ctx = singleOpContext(
      'CONV_2D',
      attrs({ activation: 'RELU6' }),
      [
        { shape: [1, 2, 2, 1], dtype: 'float32' },
        { shape: [2, 2, 2, 1], dtype: 'float32', data: Float32Array.from([0.5, 0.5, 0.5, 0.5, -1, 0, 0, 0]) },
        { shape: [2], dtype: 'float32', data: Float32Array.from([0.25, 0]) },
      ],
      [{ shape: [1, 1, 1, 2], dtype: 'float32' }],
    );
    const p = conv2d.prepare(ctx);
    const out = new Float32Array(2);
    conv2d.evaluate(p, [Float32Array.from([1, 2, 3, 4]), ctx.inputs[1]!.data, ctx.inputs[2]!.data], [out]);
    expect(Array.from(out)).toEqual([5.25, 0]);
    conv2d.evaluate(p, [Float32Array.from([10, 2, 3, 4]), ctx.inputs[1]!.data, ctx.inputs[2]!.data], [out]);
    expect(Array.from(out)).toEqual([6, 0]);
    // Lowered to the single-precision kernel (tested against evaluate in float-kernels.test.ts).
    const em = conv2d.emitC!(p, { inputs: ['a', 'b', 'c'], outputs: ['d'] }, { prefix: 'op0' });
    expect(em.call).toBe('  tinyml_conv2d_f32(&op0_params, a, b, c, d);');
    expect(em.decls).toMatch(/\.activation_min = 0\.0+f,\n  \.activation_max = 6\.0+f,/);
  });

  it('rejects unsupported dtype combinations', () => {
    const mk = (i: 'int8' | 'int16' | 'uint8', w: 'int8' | 'int16', b: 'int32' | 'int64' | undefined) =>
      singleOpContext(
        'CONV_2D',
        attrs(),
        [
          { shape: [1, 1, 1, 1], dtype: i, quant: { scale: 1, zeroPoint: 0 } },
          { shape: [1, 1, 1, 1], dtype: w, quant: { scale: 1, zeroPoint: 0 } },
          b ? { shape: [1], dtype: b } : undefined,
        ],
        [{ shape: [1, 1, 1, 1], dtype: i, quant: { scale: 1, zeroPoint: 0 } }],
      );
    expect(() => conv2d.prepare(mk('int8', 'int16', 'int32'))).toThrow(UnsupportedOpError);
    expect(() => conv2d.prepare(mk('int16', 'int16', 'int64'))).toThrow(UnsupportedOpError);
    expect(() => conv2d.prepare(mk('int8', 'int8', 'int64'))).toThrow(/input int8, weights int8, bias int64/);
    expect(() => conv2d.prepare(mk('uint8', 'int8', 'int32'))).toThrow(UnsupportedOpError);
  });
});

// ---------------------------------------------------------------------------------------------
// C kernel vs evaluate on random cases
// ---------------------------------------------------------------------------------------------

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function randomCase(rand: () => number, kind: 'int8' | 'int16', bias: 'none' | 'int32' | 'int64'): CKernelCase {
  const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  for (;;) {
    const groups = rand() < 0.25 ? ri(2, 3) : 1;
    const fIC = ri(1, 5);
    const inC = fIC * groups;
    const outC = groups * ri(1, 4);
    const fH = ri(1, 4);
    const fW = ri(1, 4);
    const a = attrs({
      padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
      strideH: ri(1, 3),
      strideW: ri(1, 3),
      dilationH: rand() < 0.3 ? 2 : 1,
      dilationW: rand() < 0.3 ? ri(2, 3) : 1,
      activation: ACTIVATIONS[ri(0, 3)],
    });
    const batches = ri(1, 2);
    const inH = ri(1, 9);
    const inW = ri(1, 9);
    const inShape = [batches, inH, inW, inC];
    const fShape = [outC, fH, fW, fIC];
    const taps = fH * fW * fIC;
    const inScale = 0.01 + rand() * 0.1;
    const pc = rand() < 0.6;
    const fScales = Array.from({ length: pc ? outC : 1 }, () => 0.002 + rand() * 0.03);
    const range = kind === 'int8' ? 128 : 32768;
    // Output scale so that typical accumulators land inside the output range (some saturate).
    const outScale = (inScale * fScales[0] * range * 128 * Math.sqrt(taps) * (0.2 + rand())) / (kind === 'int8' ? 60 : 15000);
    const inZp = kind === 'int8' ? ri(-128, 127) : 0;
    const outZp = kind === 'int8' ? ri(-100, 100) : 0;
    const inputSpec: TensorSpec = { shape: inShape, dtype: kind, quant: { scale: inScale, zeroPoint: inZp } };
    const filterData = randomInt8(elementCount(fShape), rand, -127, 127);
    const filterSpec: TensorSpec = { shape: fShape, dtype: 'int8', quant: perChannel(fScales, 0), data: filterData };
    let biasSpec: TensorSpec | undefined;
    if (bias === 'int32') biasSpec = { shape: [outC], dtype: 'int32', data: randomInt32(outC, rand, -30000, 30000) };
    if (bias === 'int64') {
      biasSpec = { shape: [outC], dtype: 'int64', data: BigInt64Array.from(randomInt32(outC, rand, -4000000, 4000000), (v) => BigInt(v) * BigInt(ri(1, 3))) };
    }
    const probe = singleOpContext('CONV_2D', a, [inputSpec, filterSpec, biasSpec], [{ shape: [], dtype: kind }]);
    let shape: number[];
    try {
      [shape] = conv2d.inferShapes(probe);
    } catch (e) {
      if (e instanceof GraphError) continue; // window larger than the input: draw again
      throw e;
    }
    const ctx = singleOpContext('CONV_2D', a, [inputSpec, filterSpec, biasSpec], [{ shape, dtype: kind, quant: { scale: outScale, zeroPoint: outZp } }]);
    const input: TensorData = kind === 'int8' ? randomInt8(elementCount(inShape), rand) : randomInt16(elementCount(inShape), rand);
    return { ctx, params: conv2d.prepare(ctx), inputs: [input, filterData, biasSpec?.data] };
  }
}

function expectSame(cases: CKernelCase[]): void {
  // Params are plain data: they survive a JSON round trip unchanged.
  cases.forEach((c) => expect(JSON.parse(JSON.stringify(c.params))).toEqual(c.params));
  const c = runOpCasesInC(conv2d, cases);
  const ts = runOpCasesInTs(conv2d, cases);
  cases.forEach((_, i) => {
    expect(Array.from(c[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(ts[i][0] as Int8Array));
  });
  // The cases must exercise the clamp without being all saturated.
  const all = ts.flatMap((o) => Array.from(o[0] as Int8Array));
  const distinct = new Set(all).size;
  expect(distinct).toBeGreaterThan(20);
}

describe('CONV_2D C kernel matches evaluate', () => {
  it('int8: random shapes, strides, padding, dilation, groups, zero points, per-channel/per-tensor', () => {
    const rand = rng(1234);
    const cases = Array.from({ length: 60 }, (_, i) => randomCase(rand, 'int8', i % 4 === 0 ? 'none' : 'int32'));
    expectSame(cases);
  });

  it('16x8: int64 bias, none, and int32 bias', () => {
    const rand = rng(99);
    const cases = Array.from({ length: 45 }, (_, i) => randomCase(rand, 'int16', (['int64', 'none', 'int32'] as const)[i % 3]));
    expectSame(cases);
  });

  it('emits per-channel arrays and a params struct', () => {
    const rand = rng(5);
    const c = randomCase(rand, 'int8', 'int32');
    const em = conv2d.emitC!(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'op7' });
    expect(em.decls).toMatch(/static const int32_t op7_mult\[\d+\]/);
    expect(em.decls).toMatch(/static const tinyml_conv2d_params op7_params/);
    expect(em.call).toContain('tinyml_conv2d_s8(&op7_params, in, w, b, out)');
    expect(em.kernels).toEqual(['conv2d.c']);
  });
});

describe('CONV_2D evaluate speed', () => {
  it('runs a 3x3x32->32 conv on 48x48 (~21 M MACs) quickly', () => {
    const rand = rng(7);
    const ctx = singleOpContext(
      'CONV_2D',
      attrs({ padding: 'SAME' }),
      [
        { shape: [1, 48, 48, 32], dtype: 'int8', quant: { scale: 0.05, zeroPoint: 3 } },
        { shape: [32, 3, 3, 32], dtype: 'int8', quant: perChannel(Array.from({ length: 32 }, () => 0.01), 0), data: randomInt8(32 * 9 * 32, rand) },
        { shape: [32], dtype: 'int32', data: randomInt32(32, rand, -1000, 1000) },
      ],
      [{ shape: [1, 48, 48, 32], dtype: 'int8', quant: { scale: 2, zeroPoint: 0 } }],
    );
    const p = conv2d.prepare(ctx);
    const out = allocTensorData('int8', 48 * 48 * 32);
    const input = randomInt8(48 * 48 * 32, rand);
    const t0 = performance.now();
    conv2d.evaluate(p, [input, ctx.inputs[1]!.data, ctx.inputs[2]!.data], [out]);
    const ms = performance.now() - t0;
    expect(conv2d.macs(ctx)).toBe(48 * 48 * 32 * 9 * 32);
    expect(ms).toBeLessThan(2000);
  });
});
