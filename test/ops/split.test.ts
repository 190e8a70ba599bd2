/**
 * SPLIT, SPLIT_V and UNPACK: shape rules and errors, the reference loop on TFLite Micro's own
 * test cases (split_test.cc, split_v_test.cc, unpack_test.cc), and the C kernel against the
 * reference on random cases. Bit-exactness with TensorFlow Lite Micro itself is pinned by the
 * ops_c_split / ops_c_split_v / ops_c_unpack fixtures (test/golden/ops-c-golden.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { split, splitV, unpack } from '../../src/ops/split.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

const q = (dtype: DType) => (dtype === 'int8' || dtype === 'int16' ? { scale: 0.25, zeroPoint: dtype === 'int8' ? -5 : 0 } : undefined);

function splitCtx(shape: number[], axis: number, n: number, dtype: DType = 'int8', outShapes?: number[][]) {
  const outs = outShapes ?? Array.from({ length: n }, () => []);
  return singleOpContext(
    'SPLIT',
    { numSplits: n },
    [{ shape: [1], dtype: 'int32', data: Int32Array.from([axis]) }, { shape, dtype, quant: q(dtype) }],
    outs.map((s) => ({ shape: s, dtype, quant: q(dtype) })),
  );
}

function splitVCtx(shape: number[], sizes: number[], axis: number, dtype: DType = 'int8', outShapes?: number[][]) {
  const outs = outShapes ?? sizes.map(() => []);
  return singleOpContext(
    'SPLIT_V',
    { numSplits: sizes.length },
    [{ shape, dtype, quant: q(dtype) }, { shape: [sizes.length], dtype: 'int32', data: Int32Array.from(sizes) }, { shape: [], dtype: 'int32', data: Int32Array.from([axis]) }],
    outs.map((s) => ({ shape: s, dtype, quant: q(dtype) })),
  );
}

function unpackCtx(shape: number[], axis: number, num: number, dtype: DType = 'int8', outShapes?: number[][]) {
  const outs = outShapes ?? Array.from({ length: num }, () => []);
  return singleOpContext('UNPACK', { num, axis }, [{ shape, dtype, quant: q(dtype) }], outs.map((s) => ({ shape: s, dtype, quant: q(dtype) })));
}

/** Builds the context twice (the second with inferred output shapes), prepares and runs it. */
function run(def: AnyOpDef, make: (outShapes?: number[][]) => ReturnType<typeof splitCtx> | ReturnType<typeof splitVCtx> | ReturnType<typeof unpackCtx>, data: TensorData, dataInput: number) {
  const shapes = def.inferShapes(make() as never);
  const ctx = make(shapes);
  const params = def.prepare(ctx as never);
  const outs = shapes.map((s) => allocTensorData(ctx.outputs[0].dtype, elementCount(s)));
  const inputs: (TensorData | undefined)[] = ctx.inputs.map((t) => t?.data);
  inputs[dataInput] = data;
  def.evaluate(params, inputs, outs);
  return { shapes, values: outs.map((o) => Array.from(o as Int8Array)), ctx, params, inputs };
}

describe('SPLIT / SPLIT_V / UNPACK shape rules', () => {
  it('cuts the axis into equal parts, given sizes (one -1 takes the rest) or drops it (UNPACK)', () => {
    expect(split.inferShapes(splitCtx([2, 6, 3], 1, 3))).toEqual([[2, 2, 3], [2, 2, 3], [2, 2, 3]]);
    expect(split.inferShapes(splitCtx([2, 6, 3], -1, 3))).toEqual([[2, 6, 1], [2, 6, 1], [2, 6, 1]]);
    expect(splitV.inferShapes(splitVCtx([4, 7], [2, -1, 1], 1))).toEqual([[4, 2], [4, 4], [4, 1]]);
    expect(unpack.inferShapes(unpackCtx([2, 3, 4], -2, 3))).toEqual([[2, 4], [2, 4], [2, 4]]);
  });

  it('rejects parts that do not fit, wrong output counts, non-constant axes and other dtypes', () => {
    expect(() => split.inferShapes(splitCtx([2, 5], 1, 2))).toThrow(/does not split into 2 equal parts/);
    expect(() => split.inferShapes(splitCtx([2, 6], 2, 2))).toThrow(/axis 2 is out of range/);
    const threeOuts = splitCtx([2, 6], 1, 3);
    expect(() => split.inferShapes({ ...threeOuts, op: { ...threeOuts.op, attrs: { numSplits: 2 } } })).toThrow(/num_splits 2 but 3 outputs/);
    expect(() => splitV.inferShapes(splitVCtx([4, 7], [2, 2, 2], 1))).toThrow(/do not cut axis 1/);
    expect(() => splitV.inferShapes(splitVCtx([4, 7], [-1, -1, 1], 1))).toThrow(/at most one may be -1/);
    expect(() => unpack.inferShapes(unpackCtx([2, 3], 1, 2))).toThrow(GraphError);
    const dynamicAxis = singleOpContext('SPLIT', { numSplits: 2 }, [{ shape: [1], dtype: 'int32' }, { shape: [4], dtype: 'int8' }], [{ shape: [2], dtype: 'int8' }, { shape: [2], dtype: 'int8' }]);
    expect(() => split.inferShapes(dynamicAxis)).toThrow(/must be a constant int32 tensor/);
    expect(() => split.prepare(splitCtx([4], 0, 2, 'uint8', [[2], [2]]))).toThrow(UnsupportedOpError);
    expect(() => split.prepare(splitCtx([4], 0, 2, 'int8', [[2], [3]]))).toThrow(/output 1 is \[3\] but cutting the input gives \[2\]/);
  });

  it('follows op_version.cc: int8 2; SPLIT int32 3 and int16 4; UNPACK int16 4; otherwise 1', () => {
    const v = (def: AnyOpDef, ctx: ReturnType<typeof splitCtx> | ReturnType<typeof splitVCtx> | ReturnType<typeof unpackCtx>) => def.tflite.version!(ctx.graph, ctx.op as never);
    expect([v(split, splitCtx([4], 0, 2)), v(split, splitCtx([4], 0, 2, 'int32')), v(split, splitCtx([4], 0, 2, 'int16')), v(split, splitCtx([4], 0, 2, 'float32'))]).toEqual([2, 3, 4, 1]);
    expect([v(splitV, splitVCtx([4], [1, 3], 0)), v(splitV, splitVCtx([4], [1, 3], 0, 'int16')), v(splitV, splitVCtx([4], [1, 3], 0, 'float32'))]).toEqual([2, 1, 1]);
    expect([v(unpack, unpackCtx([2, 2], 0, 2)), v(unpack, unpackCtx([2, 2], 0, 2, 'int16')), v(unpack, unpackCtx([2, 2], 0, 2, 'float32'))]).toEqual([2, 4, 1]);
  });
});

describe('SPLIT / SPLIT_V / UNPACK reference (TFLite Micro test cases)', () => {
  const seq = (n: number) => Int32Array.from({ length: n }, (_, i) => i + 1);

  it('SPLIT 2x2x2x2 into two along each axis (split_test.cc FourDimensional*)', () => {
    const axis0 = run(split, (s) => splitCtx([2, 2, 2, 2], 0, 2, 'int32', s), seq(16), 1);
    expect(axis0.values).toEqual([[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]]);
    const axis1 = run(split, (s) => splitCtx([2, 2, 2, 2], 1, 2, 'int32', s), seq(16), 1);
    expect(axis1.values).toEqual([[1, 2, 3, 4, 9, 10, 11, 12], [5, 6, 7, 8, 13, 14, 15, 16]]);
    const axis3 = run(split, (s) => splitCtx([2, 2, 2, 2], -1, 2, 'int32', s), seq(16), 1);
    expect(axis3.values).toEqual([[1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]]);
  });

  it('SPLIT_V 2x2x2x2 with sizes [1, 1] along axis 2, and 3 unequal parts of a vector', () => {
    const r = run(splitV, (s) => splitVCtx([2, 2, 2, 2], [1, -1], 2, 'int32', s), seq(16), 0);
    expect(r.values).toEqual([[1, 2, 5, 6, 9, 10, 13, 14], [3, 4, 7, 8, 11, 12, 15, 16]]);
    const v = run(splitV, (s) => splitVCtx([10], [1, 6, 3], 0, 'int32', s), seq(10), 0);
    expect(v.values).toEqual([[1], [2, 3, 4, 5, 6, 7], [8, 9, 10]]);
  });

  it('UNPACK a 3x2 along axis 0 and axis 1 (unpack_test.cc)', () => {
    const a0 = run(unpack, (s) => unpackCtx([3, 2], 0, 3, 'int32', s), seq(6), 0);
    expect(a0.values).toEqual([[1, 2], [3, 4], [5, 6]]);
    const a1 = run(unpack, (s) => unpackCtx([3, 2], -1, 2, 'int32', s), seq(6), 0);
    expect(a1.shapes).toEqual([[3], [3]]);
    expect(a1.values).toEqual([[1, 3, 5], [2, 4, 6]]);
  });
});

describe('SPLIT / SPLIT_V / UNPACK C kernel', () => {
  it('matches the reference byte for byte on random shapes, axes and element types (ASan/UBSan)', () => {
    const rand = rng(1313);
    const kinds: DType[] = ['int8', 'int16', 'int32', 'float32'];
    const byDef = new Map<AnyOpDef, CKernelCase[]>([[split, []], [splitV, []], [unpack, []]]);
    const fill = (dtype: DType, n: number): TensorData =>
      dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : dtype === 'int32' ? randomInt32(n, rand, -1e9, 1e9) : Float32Array.from({ length: n }, () => rand() * 8 - 4);
    for (let k = 0; k < 24; k++) {
      const dtype = kinds[k % kinds.length];
      const rank = 1 + Math.floor(rand() * 4);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 4));
      const axis = Math.floor(rand() * rank);
      const n = shape[axis];
      const data = fill(dtype, elementCount(shape));
      const which = k % 3;
      if (which === 0) {
        // n equal parts of extent 1, or two when the axis is even.
        const parts = n % 2 === 0 ? 2 : n;
        const r = run(split, (s) => splitCtx(shape, axis - (k % 2) * rank, parts, dtype, s), data, 1);
        byDef.get(split)!.push({ ctx: r.ctx, params: r.params, inputs: r.inputs });
      } else if (which === 1) {
        shape[axis] += 3;
        const d = fill(dtype, elementCount(shape));
        const sizes = [1, -1, 2];
        const r = run(splitV, (s) => splitVCtx(shape, sizes, axis, dtype, s), d, 0);
        byDef.get(splitV)!.push({ ctx: r.ctx, params: r.params, inputs: r.inputs });
      } else {
        const r = run(unpack, (s) => unpackCtx(shape, axis, n, dtype, s), data, 0);
        byDef.get(unpack)!.push({ ctx: r.ctx, params: r.params, inputs: r.inputs });
      }
    }
    for (const [def, cases] of byDef) {
      expect(cases.length).toBeGreaterThan(0);
      const got = runOpCasesInC(def, cases, { sanitize: true });
      const want = runOpCasesInTs(def, cases);
      got.forEach((outs, i) => {
        expect(outs.length).toBe(want[i].length);
        outs.forEach((o, k) => expect(Array.from(new Uint8Array(o.buffer, o.byteOffset, o.byteLength)), `${def.type} case ${i} output ${k}`).toEqual(Array.from(new Uint8Array(want[i][k].buffer, want[i][k].byteOffset, want[i][k].byteLength))));
      });
    }
  });
});
