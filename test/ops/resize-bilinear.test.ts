import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { bilinearAxisInteger, resizeBilinear } from '../../src/ops/resize-bilinear.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

interface RCase {
  inShape: number[];
  size: [number, number];
  dtype?: DType;
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

const Q = { scale: 0.05, zeroPoint: -3 };

function ctxOf(c: RCase, outShape?: number[], outQuant = Q) {
  const dtype = c.dtype ?? 'float32';
  const out = outShape ?? [c.inShape[0], c.size[0], c.size[1], c.inShape[3]];
  const q = dtype === 'int8' ? { quant: Q } : {};
  const qo = dtype === 'int8' ? { quant: outQuant } : {};
  return singleOpContext(
    'RESIZE_BILINEAR',
    { alignCorners: c.alignCorners ?? false, halfPixelCenters: c.halfPixelCenters ?? false },
    [{ shape: c.inShape, dtype, ...q }, { shape: [2], dtype: 'int32', data: Int32Array.from(c.size) }],
    [{ shape: out, dtype, ...qo }],
  );
}

function run(c: RCase, values: number[]): number[] {
  const ctx = ctxOf(c);
  const params = resizeBilinear.prepare(ctx);
  const dtype = c.dtype ?? 'float32';
  const input = allocTensorData(dtype, values.length);
  values.forEach((v, i) => ((input as Float32Array)[i] = v));
  const out = allocTensorData(dtype, elementCount(ctx.outputs[0].shape));
  resizeBilinear.evaluate(params, [input, ctx.inputs[1]!.data], [out]);
  return Array.from(out as Float32Array);
}

/** TFLite Micro's float tests allow 1e-5 (float32 positions such as 2/3 are not exact). */
function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `element ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))));
}

describe('RESIZE_BILINEAR reference (TFLite Micro test goldens)', () => {
  it('resizes horizontally and vertically, float and int8', () => {
    expect(run({ inShape: [1, 1, 2, 1], size: [1, 3] }, [3, 6])).toEqual([3, 5, 6]);
    expect(run({ inShape: [1, 1, 2, 1], size: [1, 3], dtype: 'int8' }, [3, 6])).toEqual([3, 5, 6]);
    expect(run({ inShape: [1, 2, 1, 1], size: [3, 1] }, [3, 9])).toEqual([3, 7, 9]);
    expect(run({ inShape: [1, 2, 1, 1], size: [3, 1], dtype: 'int8' }, [3, 9])).toEqual([3, 7, 9]);
  });

  it('resizes in two dimensions, with batches and depth', () => {
    expect(run({ inShape: [1, 2, 2, 1], size: [3, 3] }, [3, 6, 9, 12])).toEqual([3, 5, 6, 7, 9, 10, 9, 11, 12]);
    expect(run({ inShape: [1, 2, 2, 1], size: [3, 3], dtype: 'int8' }, [3, 6, 9, 12])).toEqual([3, 5, 6, 7, 9, 10, 9, 11, 12]);
    expectClose(run({ inShape: [2, 2, 2, 1], size: [3, 3] }, [3, 6, 9, 12, 4, 10, 10, 16]), [3, 5, 6, 7, 9, 10, 9, 11, 12, 4, 8, 10, 8, 12, 14, 10, 14, 16]);
    expectClose(run({ inShape: [1, 2, 2, 2], size: [3, 3] }, [3, 4, 6, 10, 9, 10, 12, 16]), [3, 4, 5, 8, 6, 10, 7, 8, 9, 12, 10, 14, 9, 10, 11, 14, 12, 16]);
  });

  it('int8 rounds the 20-bit blend half away from zero', () => {
    // 1x2 -> 1x4: positions 0, 0.5, 1, 1.5 (clamped); -3 and -4 blended half way is -3.5 -> -4.
    expect(run({ inShape: [1, 1, 2, 1], size: [1, 4], dtype: 'int8' }, [-3, -4])).toEqual([-3, -4, -4, -4]);
    expect(run({ inShape: [1, 1, 2, 1], size: [1, 4], dtype: 'int8' }, [3, 4])).toEqual([3, 4, 4, 4]);
  });

  it('align_corners and half_pixel_centers move the sample grid', () => {
    // align_corners 1x2 -> 1x3: positions 0, 0.5, 1.
    expect(run({ inShape: [1, 1, 2, 1], size: [1, 3], alignCorners: true }, [0, 10])).toEqual([0, 5, 10]);
    // half pixel 1x2 -> 1x4: positions -0.25 (both neighbours are pixel 0: floor and ceil clamp to it), 0.25, 0.75, 1.25 (clamped).
    expect(run({ inShape: [1, 1, 2, 1], size: [1, 4], halfPixelCenters: true }, [0, 8])).toEqual([0, 2, 6, 8]);
  });
});

describe('RESIZE_BILINEAR position tables', () => {
  it('computes the fixed-point scale with rounding, as TFLite (3 -> 7: round(3072 / 7) = 439)', () => {
    const a = bilinearAxisInteger(3, 7, false, false);
    expect(a.frac).toEqual([0, 439, 878, 1317, 1756, 2195, 2634]);
    expect(a.lo).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(a.hi).toEqual([0, 1, 1, 2, 2, 2, 2]);
  });

  it('half_pixel_centers starts half a pixel before the first one, clamping the index, not the position', () => {
    const a = bilinearAxisInteger(2, 4, false, true);
    expect(a.frac).toEqual([-256, 256, 768, 1280]);
    expect(a.lo).toEqual([0, 0, 0, 1]);
    expect(a.hi).toEqual([0, 1, 1, 1]);
  });
});

describe('RESIZE_BILINEAR shape rule and errors', () => {
  it('keeps batch and depth', () => {
    expect(resizeBilinear.inferShapes(ctxOf({ inShape: [2, 5, 7, 3], size: [10, 14] }))).toEqual([[2, 10, 14, 3]]);
  });

  it('rejects bad inputs with graph errors', () => {
    expect(() => resizeBilinear.inferShapes(ctxOf({ inShape: [5, 7, 3], size: [2, 2] }, [1]))).toThrow(GraphError);
    expect(() => resizeBilinear.inferShapes(ctxOf({ inShape: [1, 5, 7, 3], size: [0, 2] }))).toThrow(GraphError);
    expect(() => resizeBilinear.inferShapes(ctxOf({ inShape: [1, 5, 7, 3], size: [2, 2], alignCorners: true, halfPixelCenters: true }))).toThrow(/at most one/);
    expect(() => resizeBilinear.prepare(ctxOf({ inShape: [1, 2, 2, 1], size: [4, 4] }, [1, 4, 3, 1]))).toThrow(GraphError);
  });

  it('refuses a run-time size, other dtypes and an int8 output quantized differently', () => {
    const dyn = singleOpContext('RESIZE_BILINEAR', { alignCorners: false, halfPixelCenters: false }, [{ shape: [1, 2, 2, 1], dtype: 'float32' }, { shape: [2], dtype: 'int32' }], [{ shape: [1, 4, 4, 1], dtype: 'float32' }]);
    expect(() => resizeBilinear.inferShapes(dyn)).toThrow(UnsupportedOpError);
    expect(() => resizeBilinear.prepare(ctxOf({ inShape: [1, 2, 2, 1], size: [4, 4], dtype: 'int16' }))).toThrow(/int16/);
    expect(() => resizeBilinear.prepare(ctxOf({ inShape: [1, 2, 2, 1], size: [4, 4], dtype: 'int8' }, undefined, { scale: 0.1, zeroPoint: -3 }))).toThrow(/quantized like the input/);
  });
});

describe('RESIZE_BILINEAR C kernel', () => {
  it('matches evaluate on random sizes, modes and dtypes (int8 byte for byte, float32 bit for bit without FMA)', () => {
    const rand = rng(4242);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 40; k++) {
      const dtype: DType = k % 2 === 0 ? 'int8' : 'float32';
      const mode = k % 3;
      const c: RCase = { inShape: [int(1, 2), int(1, 9), int(1, 9), int(1, 5)], size: [int(1, 13), int(1, 13)], dtype, alignCorners: mode === 1, halfPixelCenters: mode === 2 };
      const ctx = ctxOf(c);
      const n = elementCount(c.inShape);
      const data: TensorData = dtype === 'int8' ? randomInt8(n, rand) : Float32Array.from({ length: n }, () => rand() * 20 - 10);
      cases.push({ ctx, params: resizeBilinear.prepare(ctx), inputs: [data] });
    }
    const got = runOpCasesInC(resizeBilinear, cases);
    const want = runOpCasesInTs(resizeBilinear, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
