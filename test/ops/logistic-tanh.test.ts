import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { UnsupportedOpError } from '../../src/errors.js';
import { logistic, tanh, SIGMOID_TABLE_U16, type LogisticTanhParams } from '../../src/ops/logistic-tanh.js';
import { singleOpContext, rng, randomInt8, randomInt16 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type Def = typeof logistic | typeof tanh;

function outQuant(def: Def, dtype: DType) {
  if (dtype === 'int16') return { scale: 2 ** -15, zeroPoint: 0 };
  if (dtype === 'int8') return def === logistic ? { scale: 1 / 256, zeroPoint: -128 } : { scale: 1 / 128, zeroPoint: 0 };
  return undefined;
}

function ctxFor(def: Def, dtype: DType, n: number, scale = 0, zeroPoint = 0) {
  const q = dtype === 'float32' ? undefined : { scale, zeroPoint };
  return singleOpContext(def.type, {} as never, [{ shape: [n], dtype, quant: q }], [{ shape: [n], dtype, quant: outQuant(def, dtype) }]);
}

function run(def: Def, ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(def, [{ ctx: ctx as never, params: def.prepare(ctx as never), inputs: [x] }])[0][0]);
}

const X8 = Int8Array.from([-128, -70, -20, -11, -10, -9, 0, 50, 127]);
const X16 = Int16Array.from([-32768, -4096, -1, 0, 1, 4096, 12288, 20000, 32767]);

describe('LOGISTIC/TANH hand-checked', () => {
  it('int8: the zero point maps to 0.5 / 0 and far inputs saturate', () => {
    // logistic(0) = 0.5 = 128/256 -> 128 - 128 = 0; tanh(0) = 0.
    expect(run(logistic, ctxFor(logistic, 'int8', 3, 0.1, 7), Int8Array.from([7, 127, -128]))).toEqual([0, 127, -128]);
    expect(run(tanh, ctxFor(tanh, 'int8', 3, 0.1, 7), Int8Array.from([7, 127, -128]))).toEqual([0, 127, -128]);
  });
  it('int8 radius: inputs at or past it saturate without computing', () => {
    const p = logistic.prepare(ctxFor(logistic, 'int8', 1, 0.0625, 0)) as Extract<LogisticTanhParams, { kind: 'int8' }>;
    // 0.0625 * 2^27 = 2^23 -> frexp exponent 24, radius = floor(15 * 2^27 / 2^24) = 120.
    expect([p.inputLeftShift, p.inputRangeRadius, p.inputMultiplier]).toEqual([24, 120, 2 ** 30]);
  });
  // Expected outputs below were produced by TFLite Micro's reference kernels on the same inputs.
  it('int8 matches TFLite Micro', () => {
    expect(run(logistic, ctxFor(logistic, 'int8', 9, 0.0625, -10), X8)).toEqual([-128, -122, -39, -4, 0, 4, 39, 122, 127]);
    expect(run(tanh, ctxFor(tanh, 'int8', 9, 0.0625, -10), X8)).toEqual([-128, -128, -71, -8, 0, 8, 71, 127, 127]);
  });
  it('int16 matches TFLite Micro, power-of-two and general input scales', () => {
    expect(run(logistic, ctxFor(logistic, 'int16', 9, 2 ** -12), X16)).toEqual([11, 8812, 16382, 16384, 16386, 23956, 31214, 32521, 32757]);
    expect(run(tanh, ctxFor(tanh, 'int16', 9, 2 ** -12), X16)).toEqual([-32767, -24956, -8, 0, 8, 24956, 32606, 32764, 32767]);
    expect(run(logistic, ctxFor(logistic, 'int16', 9, 0.0003), X16)).toEqual([2, 7419, 16381, 16384, 16387, 25349, 31967, 32687, 32766]);
    expect(run(tanh, ctxFor(tanh, 'int16', 9, 0.0003), X16)).toEqual([-32767, -27598, -11, 0, 11, 27598, 32727, 32767, 32767]);
    const pot = logistic.prepare(ctxFor(logistic, 'int16', 1, 2 ** -12)) as Extract<LogisticTanhParams, { kind: 'int16' }>;
    expect(pot.inputMultiplier).toBe(0);
  });
  it('the sigmoid table is sigmoid(i/24) in Q0.16 to within one step', () => {
    expect(SIGMOID_TABLE_U16.length).toBe(256);
    SIGMOID_TABLE_U16.forEach((v, i) => expect(Math.abs(v - 65536 / (1 + Math.exp(-i / 24)))).toBeLessThan(1.5));
  });
  it('float32', () => {
    const l = run(logistic, ctxFor(logistic, 'float32', 4), Float32Array.from([0, 20, -20, 1]));
    expect(l[0]).toBe(0.5);
    expect(l[1]).toBe(1);
    expect(l[2]).toBeCloseTo(Math.exp(-20), 12);
    expect(l[3]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    const t = run(tanh, ctxFor(tanh, 'float32', 2), Float32Array.from([0, 0.5]));
    expect(t[0]).toBe(0);
    expect(t[1]).toBeCloseTo(Math.tanh(0.5), 6);
  });
  it('rejects what TFLite Micro rejects', () => {
    const badZp = singleOpContext('LOGISTIC', {} as never, [{ shape: [2], dtype: 'int8', quant: { scale: 0.1, zeroPoint: 0 } }], [{ shape: [2], dtype: 'int8', quant: { scale: 1 / 256, zeroPoint: 0 } }]);
    expect(() => logistic.prepare(badZp)).toThrow(UnsupportedOpError);
    const badScale = singleOpContext('TANH', {} as never, [{ shape: [2], dtype: 'int16', quant: { scale: 0.001, zeroPoint: 0 } }], [{ shape: [2], dtype: 'int16', quant: { scale: 0.001, zeroPoint: 0 } }]);
    expect(() => tanh.prepare(badScale)).toThrow(UnsupportedOpError);
    const u8 = singleOpContext('TANH', {} as never, [{ shape: [2], dtype: 'uint8', quant: { scale: 0.1, zeroPoint: 0 } }], [{ shape: [2], dtype: 'uint8', quant: { scale: 0.1, zeroPoint: 0 } }]);
    expect(() => tanh.prepare(u8)).toThrow(/uint8/);
  });
});

describe('LOGISTIC/TANH C kernels match evaluate', () => {
  for (const def of [logistic, tanh]) {
    it(`${def.type} int8 and int16`, () => {
      const rand = rng(def === logistic ? 31 : 32);
      const cases: CKernelCase[] = [];
      for (let k = 0; k < 60; k++) {
        const dtype = k % 2 === 0 ? 'int8' : 'int16';
        const n = 1 + Math.floor(rand() * 400);
        const scale =
          dtype === 'int8' ? 10 ** (-3 + rand() * 2.5) : rand() < 0.3 ? 2 ** (-12 - (def === tanh && rand() < 0.5 ? 1 : 0)) : 10 ** (-5.5 + rand() * 3);
        const zp = dtype === 'int8' ? Math.floor(rand() * 256) - 128 : 0;
        const ctx = ctxFor(def, dtype, n, scale, zp);
        cases.push({ ctx: ctx as never, params: def.prepare(ctx as never), inputs: [dtype === 'int8' ? randomInt8(n, rand) : randomInt16(n, rand)] });
      }
      // Every int8 input value once, at a few scales.
      for (const scale of [0.004, 0.02, 0.1]) {
        const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
        const ctx = ctxFor(def, 'int8', 256, scale, 3);
        cases.push({ ctx: ctx as never, params: def.prepare(ctx as never), inputs: [all] });
      }
      // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
      for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
      const c = runOpCasesInC(def, cases);
      const ts = runOpCasesInTs(def, cases);
      for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
    });
  }
});
