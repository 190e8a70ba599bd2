import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { expandDims, reshape, squeeze } from '../../src/ops/reshape.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import type { TensorSpec } from '../helpers/op-graph.js';
import { rng, singleOpContext } from '../helpers/op-graph.js';

function reshapeCtx(inShape: number[], opts: { newShape?: number[]; shapeInput?: TensorSpec; outShape?: number[]; dtype?: DType } = {}) {
  const dtype = opts.dtype ?? 'int8';
  const inputs: (TensorSpec | undefined)[] = [{ shape: inShape, dtype }];
  if (opts.shapeInput) inputs.push(opts.shapeInput);
  return singleOpContext('RESHAPE', opts.newShape === undefined ? {} : { newShape: opts.newShape }, inputs, [{ shape: opts.outShape ?? [], dtype }]);
}

const shapeTensor = (values: number[]): TensorSpec => ({ shape: [values.length], dtype: 'int32', data: Int32Array.from(values) });

describe('RESHAPE shape rule', () => {
  it('takes the shape from a constant shape tensor', () => {
    expect(reshape.inferShapes(reshapeCtx([1, 2, 4, 1], { shapeInput: shapeTensor([2, 2, 2]) }))).toEqual([[2, 2, 2]]);
  });

  it('infers one -1 dimension', () => {
    expect(reshape.inferShapes(reshapeCtx([1, 2, 4, 1], { shapeInput: shapeTensor([2, 1, -1]) }))).toEqual([[2, 1, 4]]);
    expect(reshape.inferShapes(reshapeCtx([3, 5, 7], { newShape: [-1, 7] }))).toEqual([[15, 7]]);
    expect(reshape.inferShapes(reshapeCtx([3, 5, 7], { newShape: [-1] }))).toEqual([[105]]);
  });

  it('accepts an int64 shape tensor', () => {
    const s: TensorSpec = { shape: [2], dtype: 'int64', data: BigInt64Array.from([4n, -1n]) };
    expect(reshape.inferShapes(reshapeCtx([2, 2, 2], { shapeInput: s }))).toEqual([[4, 2]]);
  });

  it('prefers the shape tensor over new_shape, as TFLite does', () => {
    expect(reshape.inferShapes(reshapeCtx([6], { newShape: [6, 1], shapeInput: shapeTensor([2, 3]) }))).toEqual([[2, 3]]);
  });

  it('falls back to new_shape when the shape input is not a vector', () => {
    const s: TensorSpec = { shape: [1, 2], dtype: 'int32', data: Int32Array.from([3, 2]) };
    expect(reshape.inferShapes(reshapeCtx([6], { newShape: [3, 2], shapeInput: s }))).toEqual([[3, 2]]);
  });

  it('uses new_shape without a shape input', () => {
    expect(reshape.inferShapes(reshapeCtx([1, 8], { newShape: [2, 4] }))).toEqual([[2, 4]]);
  });

  it('reshapes to a scalar for an empty shape tensor, an empty/legacy [0] new_shape, or neither', () => {
    expect(reshape.inferShapes(reshapeCtx([1], { shapeInput: { shape: [0], dtype: 'int32', data: new Int32Array(0) } }))).toEqual([[]]);
    expect(reshape.inferShapes(reshapeCtx([1], { newShape: [] }))).toEqual([[]]);
    expect(reshape.inferShapes(reshapeCtx([1, 1], { newShape: [0] }))).toEqual([[]]);
    expect(reshape.inferShapes(reshapeCtx([1]))).toEqual([[]]);
  });

  it('rejects a legacy [0] given through the shape tensor (0 elements != 1)', () => {
    expect(() => reshape.inferShapes(reshapeCtx([1], { shapeInput: shapeTensor([0]) }))).toThrow(GraphError);
  });

  it('rejects mismatched element counts, two -1s and negative sizes', () => {
    expect(() => reshape.inferShapes(reshapeCtx([1, 2, 4, 1], { shapeInput: shapeTensor([2, 1]) }))).toThrow(/8 elements/);
    expect(() => reshape.inferShapes(reshapeCtx([1, 2, 4, 11], { shapeInput: shapeTensor([-1, -1, 2, 4]) }))).toThrow(/more than one -1/);
    expect(() => reshape.inferShapes(reshapeCtx([4], { newShape: [-2, -2] }))).toThrow(GraphError);
    expect(() => reshape.inferShapes(reshapeCtx([3], { newShape: [-1, 2] }))).toThrow(GraphError);
    expect(() => reshape.inferShapes(reshapeCtx([1, 2], { newShape: [2] }))).not.toThrow();
  });

  it('names the op in errors', () => {
    expect(() => reshape.inferShapes(reshapeCtx([5], { newShape: [2, 2] }))).toThrow(/op #0 RESHAPE/);
  });

  it('uses the declared output dims for a run-time shape input (TFLite Micro trusts the converter)', () => {
    const ctx = reshapeCtx([2, 3], { shapeInput: { shape: [2], dtype: 'int32' }, outShape: [3, 2] });
    expect(reshape.inferShapes(ctx)).toEqual([[3, 2]]);
    const bad = reshapeCtx([2, 3], { shapeInput: { shape: [2], dtype: 'int32' }, outShape: [5] });
    expect(() => reshape.inferShapes(bad)).toThrow(UnsupportedOpError);
  });
});

describe('SQUEEZE shape rule', () => {
  const ctx = (shape: number[], squeezeDims: number[]) => singleOpContext('SQUEEZE', { squeezeDims }, [{ shape, dtype: 'int8' }], [{ shape: [], dtype: 'int8' }]);

  it('squeezes every size-1 dim when squeeze_dims is empty', () => {
    expect(squeeze.inferShapes(ctx([1, 24, 1], []))).toEqual([[24]]);
    expect(squeeze.inferShapes(ctx([1, 1, 1], []))).toEqual([[]]);
    expect(squeeze.inferShapes(ctx([2, 3], []))).toEqual([[2, 3]]);
  });

  it('squeezes the given dims, negative ones counted from the end, duplicates allowed', () => {
    expect(squeeze.inferShapes(ctx([1, 24, 1], [2]))).toEqual([[1, 24]]);
    expect(squeeze.inferShapes(ctx([1, 24, 1], [-1]))).toEqual([[1, 24]]);
    expect(squeeze.inferShapes(ctx([1, 24, 1], [0, -3, 2]))).toEqual([[24]]);
    expect(squeeze.inferShapes(ctx([1, 1, 5, 1], [1, -1]))).toEqual([[1, 5]]);
  });

  it('rejects out-of-range dims and dims whose size is not 1', () => {
    expect(() => squeeze.inferShapes(ctx([1, 24, 1], [1]))).toThrow(/size is 24/);
    expect(() => squeeze.inferShapes(ctx([1, 24, 1], [3]))).toThrow(GraphError);
    expect(() => squeeze.inferShapes(ctx([1, 24, 1], [-4]))).toThrow(GraphError);
  });

  it('rejects more than 8 dims like TFLite Micro', () => {
    expect(() => squeeze.inferShapes(ctx([1, 1, 1, 1, 1, 1, 1, 1, 1], []))).toThrow(UnsupportedOpError);
  });
});

describe('RESHAPE/SQUEEZE data', () => {
  it('copies data unchanged for every dtype and aliases its input', () => {
    expect(reshape.aliasesInput).toBe(true);
    expect(squeeze.aliasesInput).toBe(true);
    for (const dtype of ['int8', 'uint8', 'int16', 'int32', 'float32', 'int64', 'bool'] as DType[]) {
      const ctx = reshapeCtx([1, 2, 4, 1], { dtype, shapeInput: shapeTensor([2, 2, 2]), outShape: [2, 2, 2] });
      const params = reshape.prepare(ctx);
      expect(params.kind).toBe(dtype);
      const input = allocTensorData(dtype, 8);
      for (let i = 0; i < 8; i++) (input as unknown as number[])[i] = (dtype === 'int64' ? BigInt(i + 1) : dtype === 'bool' ? i & 1 : i + 1) as number;
      const out = allocTensorData(dtype, 8);
      reshape.evaluate(params, [input, ctx.inputs[1]!.data], [out]);
      expect(Array.from(out as Int8Array)).toEqual(Array.from(input as Int8Array));
    }
  });

  it('is a no-op when output and input are the same buffer', () => {
    const ctx = reshapeCtx([4], { newShape: [2, 2], outShape: [2, 2] });
    const buf = Int8Array.from([1, 2, 3, 4]);
    reshape.evaluate(reshape.prepare(ctx), [buf], [buf]);
    expect(Array.from(buf)).toEqual([1, 2, 3, 4]);
  });

  it('rejects mismatched input/output dtypes', () => {
    const ctx = singleOpContext('RESHAPE', { newShape: [4] }, [{ shape: [2, 2], dtype: 'int8' }], [{ shape: [4], dtype: 'int16' }]);
    expect(() => reshape.prepare(ctx)).toThrow(UnsupportedOpError);
    expect(() => reshape.prepare(ctx)).toThrow(/int8.*int16/);
  });

  it('C copy kernel matches evaluate byte for byte', () => {
    const rand = rng(7);
    const cases: CKernelCase[] = [];
    const dtypes: DType[] = ['int8', 'int16', 'int32', 'float32', 'uint8'];
    for (let k = 0; k < 10; k++) {
      const dtype = dtypes[k % dtypes.length];
      const shape = [1 + Math.floor(rand() * 4), 1 + Math.floor(rand() * 5), 1 + Math.floor(rand() * 3)];
      const n = elementCount(shape);
      const ctx = k % 2 === 0
        ? reshapeCtx(shape, { dtype, newShape: [-1], outShape: [n] })
        : singleOpContext('SQUEEZE', { squeezeDims: [] }, [{ shape: [1, ...shape], dtype }], [{ shape: shape.filter((d) => d !== 1), dtype }]);
      const def = k % 2 === 0 ? reshape : squeeze;
      const params = def.prepare(ctx as never);
      const input = allocTensorData(dtype, n);
      const bytes = new Uint8Array(input.buffer);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      if (dtype === 'float32') (input as Float32Array).forEach((v, i, a) => (a[i] = Number.isNaN(v) ? 1.5 : v));
      cases.push({ ctx, params, inputs: [input as TensorData] });
    }
    // RESHAPE and SQUEEZE share the kernel; run them in one program.
    const got = runOpCasesInC(reshape, cases);
    const want = runOpCasesInTs(reshape, cases);
    expect(got.map((o) => Array.from(new Uint8Array(o[0].buffer)))).toEqual(want.map((o) => Array.from(new Uint8Array(o[0].buffer))));
  });
});

describe('EXPAND_DIMS', () => {
  const ctx = (inShape: number[], axis: number, outShape: number[] = [], axisShape: number[] = []) =>
    singleOpContext('EXPAND_DIMS', {}, [{ shape: inShape, dtype: 'int8' }, { shape: axisShape, dtype: 'int32', data: Int32Array.from([axis]) }], [{ shape: outShape, dtype: 'int8' }]);

  it('inserts a 1 at the axis; a negative axis counts from the end of the output (Conv1D: -3)', () => {
    expect(expandDims.inferShapes(ctx([1, 128, 3], -3))).toEqual([[1, 1, 128, 3]]);
    expect(expandDims.inferShapes(ctx([1, 124, 16], 1))).toEqual([[1, 1, 124, 16]]);
    expect(expandDims.inferShapes(ctx([5], 1))).toEqual([[5, 1]]);
    expect(expandDims.inferShapes(ctx([5], -2, [], [1]))).toEqual([[1, 5]]);
  });

  it('is a byte copy that the planner aliases', () => {
    const c = ctx([1, 4], 0, [1, 1, 4]);
    const out = new Int8Array(4);
    expandDims.evaluate(expandDims.prepare(c), [Int8Array.from([1, -2, 3, -4]), undefined], [out]);
    expect(Array.from(out)).toEqual([1, -2, 3, -4]);
    expect(expandDims.aliasesInput).toBe(true);
  });

  it('rejects an out-of-range or non-constant axis, more than one axis and a wrong declared output', () => {
    expect(() => expandDims.inferShapes(ctx([1, 4], 3))).toThrow(/axis 3 is out of range/);
    expect(() => expandDims.inferShapes(ctx([1, 4], -4))).toThrow(GraphError);
    const twoAxes = singleOpContext('EXPAND_DIMS', {}, [{ shape: [4], dtype: 'int8' }, { shape: [2], dtype: 'int32', data: Int32Array.from([0, 1]) }], [{ shape: [], dtype: 'int8' }]);
    expect(() => expandDims.inferShapes(twoAxes)).toThrow(/one value/);
    const live = singleOpContext('EXPAND_DIMS', {}, [{ shape: [4], dtype: 'int8' }, { shape: [], dtype: 'int32' }], [{ shape: [], dtype: 'int8' }]);
    expect(() => expandDims.inferShapes(live)).toThrow(UnsupportedOpError);
    expect(() => expandDims.prepare(ctx([1, 4], 0, [1, 4, 1]))).toThrow(/declared \[1, 4, 1\]/);
  });

  it('C kernel copies exactly what evaluate copies', () => {
    const rand = rng(70);
    const cases: CKernelCase[] = [[1, 128, 3], [1, 62, 16], [7]].map((s, k) => {
      const [out] = expandDims.inferShapes(ctx(s, k - 1));
      const c = ctx(s, k - 1, out);
      const data: TensorData = allocTensorData('int8', elementCount(s));
      for (let i = 0; i < data.length; i++) (data as Int8Array)[i] = Math.floor(rand() * 256) - 128;
      // The axis is a constant the kernel never reads (the generated model leaves it out too).
      return { ctx: c, params: expandDims.prepare(c), inputs: [data, undefined] };
    });
    const got = runOpCasesInC(expandDims, cases);
    const want = runOpCasesInTs(expandDims, cases);
    got.forEach((o, i) => expect(Array.from(o[0] as Int8Array), `case ${i}`).toEqual(Array.from(want[i][0] as Int8Array)));
  });
});
