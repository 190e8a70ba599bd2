import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation, Padding } from '../../src/ir/attrs.js';
import type { TransposeConvAttrs } from '../../src/ops/transpose-conv.js';
import type { DType, Quantization, TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import { transposeConv, type TransposeConvQuantParams } from '../../src/ops/transpose-conv.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

function attrs(over: Partial<TransposeConvAttrs> = {}): TransposeConvAttrs {
  return { padding: 'VALID', strideH: 1, strideW: 1, activation: 'NONE', ...over };
}

function perChannel(scales: number[]): Quantization {
  return { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 };
}

function shapeSpec(shape: number[]): TensorSpec {
  return { shape: [4], dtype: 'int32', data: Int32Array.from(shape) };
}

interface Int8Case {
  outShape: number[];
  input: { shape: number[]; data: number[]; zp?: number; scale?: number };
  filter: { shape: number[]; data: number[]; scales?: number[] };
  bias?: number[];
  output?: { scale?: number; zp?: number };
  attrs?: Partial<TransposeConvAttrs>;
}

function runInt8(c: Int8Case) {
  const a = attrs(c.attrs);
  const inputs: (TensorSpec | undefined)[] = [
    shapeSpec(c.outShape),
    { shape: c.filter.shape, dtype: 'int8', quant: perChannel(c.filter.scales ?? [1]), data: Int8Array.from(c.filter.data) },
    { shape: c.input.shape, dtype: 'int8', quant: { scale: c.input.scale ?? 1, zeroPoint: c.input.zp ?? 0 } },
    c.bias ? { shape: [c.bias.length], dtype: 'int32', data: Int32Array.from(c.bias) } : undefined,
  ];
  const ctx = singleOpContext('TRANSPOSE_CONV', a, inputs, [
    { shape: c.outShape, dtype: 'int8', quant: { scale: c.output?.scale ?? 1, zeroPoint: c.output?.zp ?? 0 } },
  ]);
  expect(transposeConv.inferShapes(ctx)).toEqual([c.outShape]);
  const params = transposeConv.prepare(ctx) as TransposeConvQuantParams;
  const out = new Int8Array(elementCount(c.outShape));
  transposeConv.evaluate(params, [inputs[0]!.data, inputs[1]!.data, Int8Array.from(c.input.data), inputs[3]?.data], [out]);
  return { out: Array.from(out), params };
}

describe('TRANSPOSE_CONV int8 hand-checked', () => {
  it('stride 2 VALID scatters one weight block per input pixel', () => {
    const r = runInt8({
      outShape: [1, 4, 4, 1],
      input: { shape: [1, 2, 2, 1], data: [1, 2, 3, 4] },
      filter: { shape: [1, 2, 2, 1], data: [1, 2, 3, 4] },
      attrs: { strideH: 2, strideW: 2 },
    });
    expect(r.out).toEqual([1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16]);
  });

  it('SAME stride 2 with a 3x3 kernel: overlaps add, odd padding crops the end', () => {
    const r = runInt8({
      outShape: [1, 4, 4, 1],
      input: { shape: [1, 2, 2, 1], data: [0, 0, 0, 0], zp: -1 }, // real 1 everywhere
      filter: { shape: [1, 3, 3, 1], data: new Array(9).fill(1) },
      attrs: { padding: 'SAME', strideH: 2, strideW: 2 },
    });
    expect([r.params.padHeight, r.params.padHeightOffset, r.params.padWidth, r.params.padWidthOffset]).toEqual([0, 1, 0, 1]);
    expect(r.out).toEqual([1, 1, 2, 1, 1, 1, 2, 1, 2, 2, 4, 2, 1, 1, 2, 1]);
  });

  it('SAME stride 1 crops one row/column each side', () => {
    const r = runInt8({
      outShape: [1, 3, 3, 1],
      input: { shape: [1, 3, 3, 1], data: new Array(9).fill(1) },
      filter: { shape: [1, 3, 3, 1], data: new Array(9).fill(1) },
      attrs: { padding: 'SAME' },
    });
    expect(r.params.padHeight).toBe(1);
    expect(r.out).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });

  it('per-channel, bias, output zero point, RELU6 and saturation', () => {
    // Two output channels from two input channels; 1x1 kernel.
    const r = runInt8({
      outShape: [1, 1, 2, 2],
      input: { shape: [1, 1, 2, 2], data: [10, 20, -10, 100] },
      filter: { shape: [2, 1, 1, 2], data: [1, 1, 2, 1], scales: [1, 0.5] },
      bias: [5, -1],
      output: { zp: -20, scale: 1 },
      attrs: { activation: 'RELU6' },
    });
    // RELU6 range: [-20, -20 + 6] = [-20, -14].
    // pixel 0: ch0 30+5 = 35 -> 15 -> -14; ch1 (40-1)*0.5 = 19.5 -> 20 -> 0 -> -14
    // pixel 1: ch0 90+5 = 95 -> 75 -> -14; ch1 (80-1)*0.5 = 39.5 -> 40 -> 20 -> -14
    expect(r.out).toEqual([-14, -14, -14, -14]);
    const plain = runInt8({
      outShape: [1, 1, 2, 2],
      input: { shape: [1, 1, 2, 2], data: [10, 20, -100, 100] },
      filter: { shape: [2, 1, 1, 2], data: [1, 1, 2, 1], scales: [1, 0.5] },
      bias: [5, -1],
      output: { zp: -20 },
    });
    // pixel 1: ch0 0+5 -> -15; ch1 (-100-1)*0.5 = -50.5 -> -50 -> -70
    expect(plain.out).toEqual([15, 0, -15, -70]);
  });

  it.each<[FusedActivation, number]>([
    ['NONE', -128],
    ['RELU', 0],
  ])('fused %s', (activation, expected) => {
    const r = runInt8({
      outShape: [1, 1, 1, 1],
      input: { shape: [1, 1, 1, 1], data: [-100] },
      filter: { shape: [1, 1, 1, 1], data: [3] },
      attrs: { activation },
    });
    expect(r.out).toEqual([expected]);
  });

  it('MACs, shape checks and the output_shape operand', () => {
    const mk = (outShape: number[], shapeConst = true) =>
      singleOpContext(
        'TRANSPOSE_CONV',
        attrs({ strideH: 2, strideW: 2, padding: 'SAME' }),
        [
          shapeConst ? shapeSpec(outShape) : { shape: [4], dtype: 'int32' },
          { shape: [8, 3, 3, 4], dtype: 'int8' },
          { shape: [1, 5, 5, 4], dtype: 'int8' },
        ],
        [{ shape: outShape, dtype: 'int8' }],
      );
    expect(transposeConv.macs(mk([1, 10, 10, 8]))).toBe(5 * 5 * 4 * 9 * 8);
    expect(() => transposeConv.inferShapes(mk([1, 10, 10, 7]))).toThrow(GraphError);
    // A run-time output_shape: the declared output must be one the input, strides and padding give.
    expect(transposeConv.inferShapes(mk([1, 10, 10, 8], false))).toEqual([[1, 10, 10, 8]]);
    expect(transposeConv.inferShapes(mk([1, 9, 10, 8], false))).toEqual([[1, 9, 10, 8]]);
    expect(() => transposeConv.inferShapes(mk([1, 11, 10, 8], false))).toThrow(/height 9\.\.10, width 9\.\.10/);
    expect(() => transposeConv.inferShapes(mk([1, 1, 1, 8], false))).toThrow(GraphError);
  });
});

describe('TRANSPOSE_CONV 16x8 and float', () => {
  function ctx16(biasType: DType | undefined, biasData?: TensorData) {
    return singleOpContext(
      'TRANSPOSE_CONV',
      attrs(),
      [
        shapeSpec([1, 1, 2, 1]),
        { shape: [1, 1, 1, 1], dtype: 'int8', quant: perChannel([0.5]), data: Int8Array.from([-3]) },
        { shape: [1, 1, 2, 1], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } },
        biasType ? { shape: [1], dtype: biasType, data: biasData } : undefined,
      ],
      [{ shape: [1, 1, 2, 1], dtype: 'int16', quant: { scale: 1, zeroPoint: 0 } }],
    );
  }

  it('16x8 with int64 or int16 bias: int64 scratch, 64-bit requantization', () => {
    for (const [t, data] of [
      ['int64', BigInt64Array.from([-1n])],
      ['int16', Int16Array.from([-1])],
    ] as const) {
      const ctx = ctx16(t, data);
      const p = transposeConv.prepare(ctx) as TransposeConvQuantParams;
      expect(p.bias16).toBe(t === 'int16');
      const out = new Int16Array(2);
      transposeConv.evaluate(p, [ctx.inputs[0]!.data, ctx.inputs[1]!.data, Int16Array.from([300, -30000]), data], [out]);
      // (-900 - 1) * 0.5 = -450.5 -> -450 (rounds half up); (90000 - 1) * 0.5 = 44999.5 saturates
      expect(Array.from(out)).toEqual([-450, 32767]);
    }
  });

  it('16x8 rejects an int32 bias (TFLM would misread it)', () => {
    expect(() => transposeConv.prepare(ctx16('int32', Int32Array.from([1])))).toThrow(UnsupportedOpError);
  });

  it('float32', () => {
    const ctx = singleOpContext(
      'TRANSPOSE_CONV',
      attrs({ strideW: 2 }),
      [
        shapeSpec([1, 1, 4, 1]),
        { shape: [1, 1, 2, 1], dtype: 'float32', data: Float32Array.from([0.5, -1]) },
        { shape: [1, 1, 2, 1], dtype: 'float32' },
        { shape: [1], dtype: 'float32', data: Float32Array.from([0.25]) },
      ],
      [{ shape: [1, 1, 4, 1], dtype: 'float32' }],
    );
    const p = transposeConv.prepare(ctx);
    const out = new Float32Array(4);
    transposeConv.evaluate(p, [ctx.inputs[0]!.data, ctx.inputs[1]!.data, Float32Array.from([2, 4]), ctx.inputs[3]!.data], [out]);
    expect(Array.from(out)).toEqual([1.25, -1.75, 2.25, -3.75]);
  });

  it('rejects int8 activations with int16 weights', () => {
    const ctx = singleOpContext(
      'TRANSPOSE_CONV',
      attrs(),
      [
        shapeSpec([1, 1, 1, 1]),
        { shape: [1, 1, 1, 1], dtype: 'int16', quant: perChannel([1]) },
        { shape: [1, 1, 1, 1], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 } },
      ],
      [{ shape: [1, 1, 1, 1], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 } }],
    );
    expect(() => transposeConv.prepare(ctx)).toThrow(/TRANSPOSE_CONV does not support input int8, weights int16/);
  });
});

function randomCase(rand: () => number, kind: 'int8' | 'int16', bias: 'none' | 'wide' | 'int16'): CKernelCase {
  const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
  const sH = ri(1, 3);
  const sW = ri(1, 3);
  const fH = ri(1, 4);
  const fW = ri(1, 4);
  const inH = ri(1, 6);
  const inW = ri(1, 6);
  const inC = ri(1, 5);
  const outC = ri(1, 5);
  const batches = ri(1, 2);
  const outSize = (inS: number, s: number, f: number) => {
    const choice = ri(0, 2);
    if (choice === 0) return inS * s;
    if (choice === 1) return (inS - 1) * s + f;
    return Math.max(1, (inS - 1) * s + 1 + ri(0, s - 1));
  };
  const outShape = [batches, outSize(inH, sH, fH), outSize(inW, sW, fW), outC];
  const a = attrs({ padding, strideH: sH, strideW: sW, activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[ri(0, 3)] });
  const pc = rand() < 0.6;
  const scales = Array.from({ length: pc ? outC : 1 }, () => 0.002 + rand() * 0.03);
  const inScale = 0.01 + rand() * 0.1;
  const range = kind === 'int8' ? 128 : 32768;
  // Each output collects up to ceil(f/s)^2 * inC products.
  const overlap = Math.ceil(fH / sH) * Math.ceil(fW / sW) * inC;
  const outScale = (inScale * scales[0] * range * 128 * Math.sqrt(overlap) * (0.2 + rand())) / (kind === 'int8' ? 60 : 15000);
  const fShape = [outC, fH, fW, inC];
  const fData = randomInt8(elementCount(fShape), rand, -127, 127);
  let bSpec: TensorSpec | undefined;
  if (bias === 'wide' && kind === 'int8') bSpec = { shape: [outC], dtype: 'int32', data: randomInt32(outC, rand, -20000, 20000) };
  if (bias === 'wide' && kind === 'int16') bSpec = { shape: [outC], dtype: 'int64', data: BigInt64Array.from(randomInt32(outC, rand, -3000000, 3000000), (v) => BigInt(v)) };
  if (bias === 'int16') bSpec = { shape: [outC], dtype: 'int16', data: randomInt16(outC, rand) };
  const inShape = [batches, inH, inW, inC];
  const ctx = singleOpContext(
    'TRANSPOSE_CONV',
    a,
    [
      shapeSpec(outShape),
      { shape: fShape, dtype: 'int8', quant: perChannel(scales), data: fData },
      { shape: inShape, dtype: kind, quant: { scale: inScale, zeroPoint: kind === 'int8' ? ri(-128, 127) : 0 } },
      bSpec,
    ],
    [{ shape: outShape, dtype: kind, quant: { scale: outScale, zeroPoint: kind === 'int8' ? ri(-100, 100) : 0 } }],
  );
  expect(transposeConv.inferShapes(ctx)).toEqual([outShape]);
  const n = elementCount(inShape);
  const input = kind === 'int8' ? randomInt8(n, rand) : randomInt16(n, rand);
  return { ctx, params: transposeConv.prepare(ctx), inputs: [ctx.inputs[0]!.data, fData, input, bSpec?.data] };
}

function expectSame(cases: CKernelCase[]): void {
  // Params are plain data: they survive a JSON round trip unchanged.
  cases.forEach((c) => expect(JSON.parse(JSON.stringify(c.params))).toEqual(c.params));
  const c = runOpCasesInC(transposeConv, cases);
  const ts = runOpCasesInTs(transposeConv, cases);
  cases.forEach((_, i) => expect(Array.from(c[i][0] as Int8Array), `case ${i}`).toEqual(Array.from(ts[i][0] as Int8Array)));
  expect(new Set(ts.flatMap((o) => Array.from(o[0] as Int8Array))).size).toBeGreaterThan(20);
}

describe('TRANSPOSE_CONV C kernel matches evaluate', () => {
  it('int8 random cases', () => {
    const rand = rng(31337);
    expectSame(Array.from({ length: 60 }, (_, i) => randomCase(rand, 'int8', i % 4 === 0 ? 'none' : 'wide')));
  });

  it('16x8 random cases (int64, int16 and no bias)', () => {
    const rand = rng(2718);
    expectSame(Array.from({ length: 45 }, (_, i) => randomCase(rand, 'int16', (['wide', 'int16', 'none'] as const)[i % 3])));
  });

  it('takes its accumulators from the planned scratch (int32, or int64 for 16x8, per output element) and keeps no buffer of its own', () => {
    const c8 = randomCase(rng(9), 'int8', 'wide');
    const p8 = c8.params as TransposeConvQuantParams;
    const n8 = p8.batches * p8.outputHeight * p8.outputWidth * p8.outputDepth;
    expect(transposeConv.scratchBytes!(p8)).toBe(4 * n8);
    const em = transposeConv.emitC!(p8, { inputs: ['shape', 'w', 'x', 'b'], outputs: ['y'] }, { prefix: 'op5', scratch: '(tinyml_arena + 96)' });
    expect(em.decls).not.toMatch(/static (?!const)/);
    expect(em.call).toContain('tinyml_transpose_conv_s8(&op5_params, x, w, b, y, ((int32_t *)(void *)((tinyml_arena + 96))))');
    const p16 = randomCase(rng(10), 'int16', 'wide').params as TransposeConvQuantParams;
    expect(transposeConv.scratchBytes!(p16)).toBe(8 * p16.batches * p16.outputHeight * p16.outputWidth * p16.outputDepth);
    expect(transposeConv.emitC!(p16, { inputs: ['shape', 'w', 'x', 'b'], outputs: ['y'] }, { prefix: 'op6', scratch: 's' }).call).toContain('((int64_t *)(void *)(s))');
  });

  it('refuses to emit without planned scratch', () => {
    const p = randomCase(rng(9), 'int8', 'wide').params as TransposeConvQuantParams;
    expect(() => transposeConv.emitC!(p, { inputs: ['shape', 'w', 'x', 'b'], outputs: ['y'] }, { prefix: 'op5' })).toThrow(/op5 \(transpose_conv\) needs \d+ bytes of scratch but the memory plan gave it none/);
  });
});

describe('TRANSPOSE_CONV with a run-time output_shape: the C kernel checks it', () => {
  function runtimeCase(shapeValue: number[]): CKernelCase {
    const rand = rng(77);
    const ctx = singleOpContext(
      'TRANSPOSE_CONV',
      attrs({ strideH: 2, strideW: 1, padding: 'SAME' }),
      [
        { shape: [4], dtype: 'int32' },
        { shape: [3, 3, 1, 2], dtype: 'int8', quant: perChannel([0.02, 0.03, 0.01]), data: randomInt8(18, rand) },
        { shape: [1, 4, 1, 2], dtype: 'int16', quant: { scale: 1e-4, zeroPoint: 0 } },
        { shape: [3], dtype: 'int64', data: BigInt64Array.from([100n, -2000n, 5n]) },
      ],
      [{ shape: [1, 8, 1, 3], dtype: 'int16', quant: { scale: 2e-4, zeroPoint: 0 } }],
    );
    return { ctx, params: transposeConv.prepare(ctx), inputs: [Int32Array.from(shapeValue), ctx.inputs[1]!.data, randomInt16(8, rand), ctx.inputs[3]!.data] };
  }
  it('the right value: the C kernel equals evaluate', () => {
    const c = runtimeCase([1, 8, 1, 3]);
    expect(Array.from(runOpCasesInC(transposeConv, [c], { sanitize: true })[0][0])).toEqual(Array.from(runOpCasesInTs(transposeConv, [c])[0][0]));
  });
  it('another value: the call returns TINYML_ERR_OUTPUT_SHAPE (2) instead of computing', () => {
    let status: number | undefined;
    try {
      runOpCasesInC(transposeConv, [runtimeCase([1, 7, 1, 3])]);
    } catch (e) {
      status = (e as { status?: number }).status;
    }
    expect(status).toBe(2);
  });
});
