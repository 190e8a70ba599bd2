import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { UnsupportedOpError, GraphError } from '../../src/errors.js';
import { dequantize, quantize } from '../../src/ops/quantize.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { singleOpContext, rng, randomInt8, randomInt16, randomInt32 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type Q = { scale: number; zeroPoint: number };

function ctxFor(def: AnyOpDef, inDt: DType, outDt: DType, n: number, qi?: Q, qo?: Q) {
  return singleOpContext(def.type, {} as never, [{ shape: [n], dtype: inDt, quant: qi }], [{ shape: [n], dtype: outDt, quant: qo }]);
}

function run(def: AnyOpDef, ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(def, [{ ctx, params: def.prepare(ctx), inputs: [x] }])[0][0]);
}

describe('QUANTIZE/DEQUANTIZE hand-checked', () => {
  it('float32 -> int8 rounds half away from zero and saturates; NaN gives the zero point', () => {
    const ctx = ctxFor(quantize, 'float32', 'int8', 8, undefined, { scale: 0.5, zeroPoint: -1 });
    const x = Float32Array.from([0.25, -0.25, 0.74, 100, -1000, NaN, Infinity, -Infinity]);
    expect(run(quantize, ctx, x)).toEqual([0, -2, 0, 127, -128, -1, 127, -128]);
  });
  it('float32 -> int16', () => {
    const ctx = ctxFor(quantize, 'float32', 'int16', 4, undefined, { scale: 2 ** -10, zeroPoint: 0 });
    expect(run(quantize, ctx, Float32Array.from([1, -1.5, 40, 2 ** -11]))).toEqual([1024, -1536, 32767, 1]);
  });
  it('requantizes int8 -> int8 (ties of the high multiply round up)', () => {
    const ctx = ctxFor(quantize, 'int8', 'int8', 4, { scale: 0.1, zeroPoint: 0 }, { scale: 0.2, zeroPoint: 5 });
    expect(run(quantize, ctx, Int8Array.from([3, -3, 127, -128]))).toEqual([7, 4, 69, -59]);
  });
  it('requantizes int8 <-> int16 and uint8 <-> int8', () => {
    const up = ctxFor(quantize, 'int8', 'int16', 2, { scale: 0.1, zeroPoint: 10 }, { scale: 0.001, zeroPoint: 0 });
    expect(run(quantize, up, Int8Array.from([11, -128]))).toEqual([100, -13800]);
    const down = ctxFor(quantize, 'int16', 'int8', 2, { scale: 0.001, zeroPoint: 0 }, { scale: 0.1, zeroPoint: 10 });
    expect(run(quantize, down, Int16Array.from([150, -32768]))).toEqual([12, -128]);
    const u8 = ctxFor(quantize, 'uint8', 'int8', 3, { scale: 0.05, zeroPoint: 128 }, { scale: 0.05, zeroPoint: 0 });
    expect(run(quantize, u8, Uint8Array.from([0, 128, 255]))).toEqual([-128, 0, 127]);
    const back = ctxFor(quantize, 'int8', 'uint8', 2, { scale: 0.05, zeroPoint: 0 }, { scale: 0.05, zeroPoint: 128 });
    expect(run(quantize, back, Int8Array.from([-128, 127]))).toEqual([0, 255]);
  });
  it('dequantizes int8, int16 and uint8', () => {
    expect(run(dequantize, ctxFor(dequantize, 'int8', 'float32', 2, { scale: 0.5, zeroPoint: 3 }), Int8Array.from([5, -128]))).toEqual([1, -65.5]);
    expect(run(dequantize, ctxFor(dequantize, 'int16', 'float32', 1, { scale: 2 ** -15, zeroPoint: 0 }), Int16Array.from([-32768]))).toEqual([-1]);
    expect(run(dequantize, ctxFor(dequantize, 'uint8', 'float32', 1, { scale: 0.1, zeroPoint: 128 }), Uint8Array.from([129]))).toEqual([Math.fround(0.1)]);
  });
  it('requantizes int16 -> int32 and int32 -> int16/int8 (TFLM: Requantize, int32 arithmetic)', () => {
    // 2^-15 -> 2^-20: x32 exactly; zero point 7 added.
    const up = ctxFor(quantize, 'int16', 'int32', 3, { scale: 2 ** -15, zeroPoint: 0 }, { scale: 2 ** -20, zeroPoint: 7 });
    expect(run(quantize, up, Int16Array.from([1, -32768, 32767]))).toEqual([39, -1048569, 1048551]);
    const down = ctxFor(quantize, 'int32', 'int16', 3, { scale: 2 ** -20, zeroPoint: 7 }, { scale: 2 ** -15, zeroPoint: 0 });
    expect(run(quantize, down, Int32Array.from([39, 7 + 16, 2 ** 31 - 1]))).toEqual([1, 1, 32767]);
    const i8 = ctxFor(quantize, 'int32', 'int8', 2, { scale: 0.001, zeroPoint: 0 }, { scale: 0.1, zeroPoint: -3 });
    // 250 * 0.001 / 0.1 = 2.5 rounds away from zero to 3, plus -3.
    expect(run(quantize, i8, Int32Array.from([250, -100000]))).toEqual([0, -128]);
    expect(() => quantize.prepare(ctxFor(quantize, 'float32', 'int32', 2, undefined, { scale: 0.1, zeroPoint: 0 }))).toThrow(/int8 or int16/);
  });
  it('rejects unsupported pairs', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    expect(() => quantize.prepare(ctxFor(quantize, 'int16', 'uint8', 2, q, q))).toThrow(UnsupportedOpError);
    expect(() => quantize.prepare(ctxFor(quantize, 'float32', 'float32', 2))).toThrow(UnsupportedOpError);
    expect(() => dequantize.prepare(ctxFor(dequantize, 'int32', 'float32', 2, q))).toThrow(/int32/);
    expect(() => quantize.prepare(ctxFor(quantize, 'float32', 'int8', 2))).toThrow(GraphError); // no output quantization
    const perChannel = { scale: [0.1, 0.2], zeroPoint: [0, 0], quantizedDimension: 0 };
    expect(() => quantize.prepare(singleOpContext('QUANTIZE', {} as never, [{ shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'int8', quant: perChannel }]))).toThrow(UnsupportedOpError);
  });
});

describe('QUANTIZE/DEQUANTIZE C kernels match evaluate', () => {
  it('QUANTIZE: float32 -> int8/int16 and every requantize pair', () => {
    const rand = rng(5);
    const cases: CKernelCase[] = [];
    const zp = (t: DType) => (t === 'int8' ? Math.floor(rand() * 256) - 128 : t === 'uint8' ? Math.floor(rand() * 256) : Math.floor(rand() * 100) - 50);
    for (let k = 0; k < 40; k++) {
      const outDt: DType = k % 2 ? 'int8' : 'int16';
      const n = 1 + Math.floor(rand() * 200);
      const q = { scale: Math.fround(10 ** (-4 + rand() * 4)), zeroPoint: zp(outDt) };
      const span = outDt === 'int8' ? 150 : 40000;
      const x = Float32Array.from({ length: n }, () => (rand() < 0.5 ? (Math.floor(rand() * 2 * span) - span + 0.5) * q.scale : (rand() * 2 - 1) * span * q.scale));
      if (k === 0) x.set([NaN, Infinity, -Infinity, 3e38, -3e38].slice(0, n));
      const ctx = ctxFor(quantize, 'float32', outDt, n, undefined, q);
      cases.push({ ctx, params: quantize.prepare(ctx), inputs: [x] });
    }
    const pairs: [DType, DType][] = [
      ['int8', 'int8'],
      ['int8', 'int16'],
      ['int16', 'int8'],
      ['int16', 'int16'],
      ['uint8', 'int8'],
      ['int8', 'uint8'],
      ['int8', 'int32'],
      ['int16', 'int32'],
      ['int32', 'int8'],
      ['int32', 'int16'],
    ];
    for (let k = 0; k < 100; k++) {
      const [a, b] = pairs[k % pairs.length];
      const n = 1 + Math.floor(rand() * 200);
      // int32 scales span more: int16 -> int32 multiplies up by up to 2^16, int32 -> int16 divides.
      const scale = (t: DType) => 10 ** ((t === 'int32' ? -8 : -4) + rand() * 4);
      const ctx = ctxFor(quantize, a, b, n, { scale: scale(a), zeroPoint: zp(a) }, { scale: scale(b), zeroPoint: zp(b) });
      const x =
        a === 'int8'
          ? randomInt8(n, rand)
          : a === 'int16'
            ? randomInt16(n, rand)
            : a === 'int32'
              ? randomInt32(n, rand, -2147483648, 2147483647)
              : Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      cases.push({ ctx, params: quantize.prepare(ctx), inputs: [x] });
    }
    // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
    for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
    const c = runOpCasesInC(quantize, cases, { sanitize: true });
    const ts = runOpCasesInTs(quantize, cases);
    for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
  });
  it('DEQUANTIZE: int8, int16, uint8 -> float32 bit for bit', () => {
    const rand = rng(6);
    const cases: CKernelCase[] = [];
    const types: DType[] = ['int8', 'int16', 'uint8'];
    for (let k = 0; k < 45; k++) {
      const dt = types[k % 3];
      const n = 1 + Math.floor(rand() * 200);
      const zp = dt === 'int8' ? Math.floor(rand() * 256) - 128 : dt === 'uint8' ? Math.floor(rand() * 256) : Math.floor(rand() * 100) - 50;
      const ctx = ctxFor(dequantize, dt, 'float32', n, { scale: 10 ** (-6 + rand() * 8), zeroPoint: zp });
      const x = dt === 'int8' ? randomInt8(n, rand) : dt === 'int16' ? randomInt16(n, rand) : Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      cases.push({ ctx, params: dequantize.prepare(ctx), inputs: [x] });
    }
    // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
    for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
    const c = runOpCasesInC(dequantize, cases);
    const ts = runOpCasesInTs(dequantize, cases);
    const bits = (d: TensorData) => Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length));
    for (let i = 0; i < cases.length; i++) expect(bits(c[i][0]), `case ${i}`).toEqual(bits(ts[i][0]));
  });
});
