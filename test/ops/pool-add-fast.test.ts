/**
 * The direct-loop MAX_POOL_2D evaluate path against the plain reference pool2d.ts keeps, and
 * ADD/SUB's against a transcription of the reference loop, bit for bit, on random shapes, paddings, zero points and extreme
 * requantization constants.
 */
import { describe, expect, it } from 'vitest';
import type { FusedActivation, Padding } from '../../src/ir/attrs.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { multiplyByQuantizedMultiplierSmallerThanOneExp as mbqmSmaller } from '../../src/fixedpoint.js';
import { add, sub, type AddSubQuantParams } from '../../src/ops/add-sub.js';
import { maxPool2d, maxPoolReference } from '../../src/ops/pool2d.js';
import { randomInt16, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const FLT_MAX = 3.4028234663852886e38;

function ri(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function randomData(dtype: DType, n: number, rand: () => number): TensorData {
  if (dtype === 'int8') return randomInt8(n, rand);
  if (dtype === 'int16') return randomInt16(n, rand);
  return Float32Array.from({ length: n }, () => (rand() < 0.02 ? NaN : (rand() - 0.5) * 20));
}


describe('MAX_POOL_2D direct loops match the reference', () => {
  for (const dtype of ['int8', 'int16', 'float32'] as const) {
    it(`${dtype}: random windows, strides and padding`, () => {
      const rand = rng(dtype.length * 31);
      for (let i = 0; i < 150; i++) {
        const shape = [ri(rand, 1, 2), ri(rand, 1, 14), ri(rand, 1, 14), ri(rand, 1, 20)];
        const a = {
          padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
          strideH: ri(rand, 1, 3),
          strideW: ri(rand, 1, 3),
          filterH: ri(rand, 1, 4),
          filterW: ri(rand, 1, 4),
          activation: ACTIVATIONS[ri(rand, 0, 3)],
        };
        const q = dtype === 'float32' ? undefined : { scale: 0.05, zeroPoint: dtype === 'int8' ? ri(rand, -20, 20) : 0 };
        const specs = [{ shape, dtype, ...(q ? { quant: q } : {}) }];
        let outShape: number[];
        try {
          [outShape] = maxPool2d.inferShapes(singleOpContext('MAX_POOL_2D', a, specs, [{ shape: [], dtype }]));
        } catch {
          continue;
        }
        const ctx = singleOpContext('MAX_POOL_2D', a, specs, [{ shape: outShape, dtype, ...(q ? { quant: q } : {}) }]);
        const p = maxPool2d.prepare(ctx);
        const x = randomData(dtype, elementCount(shape), rand);
        const got = allocTensorData(dtype, elementCount(outShape));
        const want = allocTensorData(dtype, elementCount(outShape));
        maxPool2d.evaluate(p, [x], [got]);
        maxPoolReference(p, [x], [want]);
        expect(Array.from(got as Float32Array), `case ${i}`).toEqual(Array.from(want as Float32Array));
      }
    });
  }
});

function refAddSubInt(p: AddSubQuantParams, sign: number, x: Int8Array, y: Int8Array, out: Int8Array): void {
  const shiftMul = 2 ** p.leftShift;
  for (let i = 0; i < p.size; i++) {
    const s1 = mbqmSmaller((x[i] + p.input1Offset) * shiftMul, p.input1Multiplier, p.input1Shift);
    const s2 = sign * mbqmSmaller((y[i] + p.input2Offset) * shiftMul, p.input2Multiplier, p.input2Shift);
    const v = mbqmSmaller((s1 + s2) | 0, p.outputMultiplier, p.outputShift) + p.outputOffset;
    out[i] = Math.min(Math.max(v, p.activationMin), p.activationMax);
  }
}

describe('ADD/SUB int8 direct loop matches the reference', () => {
  for (const type of ['ADD', 'SUB'] as const) {
    it(`${type}: random scales, zero points and extreme output multipliers`, () => {
      const def = type === 'ADD' ? add : sub;
      const rand = rng(type === 'ADD' ? 5 : 6);
      for (let i = 0; i < 200; i++) {
        const shape = [ri(rand, 1, 3), ri(rand, 1, 9), ri(rand, 1, 9), ri(rand, 1, 16)];
        const q = () => ({ scale: 0.005 + rand() * 0.2, zeroPoint: ri(rand, -128, 127) });
        const ctx = singleOpContext(
          type,
          { activation: ACTIVATIONS[ri(rand, 0, 3)] },
          [
            { shape, dtype: 'int8', quant: q() },
            { shape, dtype: 'int8', quant: q() },
          ],
          [{ shape, dtype: 'int8', quant: q() }],
        );
        const p = def.prepare(ctx as never) as AddSubQuantParams;
        if (rand() < 0.4) {
          p.outputMultiplier = [0, 1, 1 << 30, 2147483647, ri(rand, 1 << 30, 2147483647)][ri(rand, 0, 4)];
          p.outputShift = -ri(rand, 0, 31);
        }
        if (rand() < 0.2) {
          p.input1Multiplier = 2147483647;
          p.input1Shift = 0;
        }
        const n = elementCount(shape);
        const x = randomInt8(n, rand);
        const y = randomInt8(n, rand);
        const got = new Int8Array(n);
        const want = new Int8Array(n);
        def.evaluate(p, [x, y], [got]);
        refAddSubInt(p, type === 'ADD' ? 1 : -1, x, y, want);
        expect(Array.from(got), `case ${i}`).toEqual(Array.from(want));
      }
    });
  }

  it('an op evaluated many times switches to its byte-pair table with the same results', () => {
    const rand = rng(99);
    for (const type of ['ADD', 'SUB'] as const) {
      const def = type === 'ADD' ? add : sub;
      const shape = [1, 7, 7, 16];
      const q = () => ({ scale: 0.005 + rand() * 0.2, zeroPoint: ri(rand, -128, 127) });
      const ctx = singleOpContext(
        type,
        { activation: 'RELU' },
        [
          { shape, dtype: 'int8', quant: q() },
          { shape, dtype: 'int8', quant: q() },
        ],
        [{ shape, dtype: 'int8', quant: q() }],
      );
      const p = def.prepare(ctx as never) as AddSubQuantParams;
      const n = elementCount(shape);
      for (let call = 0; call < 20; call++) {
        if (call === 14) p.outputOffset += 3; // a changed params object gets new tables
        const x = randomInt8(n, rand);
        const y = randomInt8(n, rand);
        const got = new Int8Array(n);
        const want = new Int8Array(n);
        def.evaluate(p, [x, y], [got]);
        refAddSubInt(p, type === 'ADD' ? 1 : -1, x, y, want);
        expect(Array.from(got), `${type} call ${call}`).toEqual(Array.from(want));
      }
    }
  });

  it('recomputes its input tables when the params change', () => {
    const shape = [1, 4];
    const ctx = singleOpContext(
      'ADD',
      { activation: 'NONE' },
      [
        { shape, dtype: 'int8', quant: { scale: 0.1, zeroPoint: 0 } },
        { shape, dtype: 'int8', quant: { scale: 0.1, zeroPoint: 0 } },
      ],
      [{ shape, dtype: 'int8', quant: { scale: 0.1, zeroPoint: 0 } }],
    );
    const p = add.prepare(ctx) as AddSubQuantParams;
    const x = Int8Array.from([1, 2, 3, 4]);
    const out = new Int8Array(4);
    add.evaluate(p, [x, x], [out]);
    expect(Array.from(out)).toEqual([2, 4, 6, 8]);
    p.input2Offset = -1; // input 2 zero point 1
    add.evaluate(p, [x, x], [out]);
    expect(Array.from(out)).toEqual([1, 3, 5, 7]);
  });
});
