/**
 * Every op type of the IR written with non-default attributes re-imports with the same type and
 * attributes (the shared models only use a few ops), plus dtypes, per-channel quantization,
 * variable tensors, omitted optional inputs, large builtin codes and the writer's errors.
 */
import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/errors.js';
import type { OpAttrs, OpType } from '../../src/ir/attrs.js';
import { registeredOpTypes } from '../../src/ops/registry.js';
import type { Graph, Op, Tensor } from '../../src/ir/types.js';
import { FlatBufferReader } from '../../src/tflite/flatbuffer-reader.js';
import { importTflite } from '../../src/tflite/import.js';
import { OperatorCodeTable, readModel } from '../../src/tflite/schema.js';
import { writeTflite } from '../../src/tflite-writer/index.js';

const conv = { padding: 'VALID', strideH: 2, strideW: 3, dilationH: 2, dilationW: 4, activation: 'RELU6' } as const;

const ATTRS: { [T in OpType]: OpAttrs[T] } = {
  CONV_2D: conv,
  DEPTHWISE_CONV_2D: { ...conv, activation: 'RELU', depthMultiplier: 2 },
  FULLY_CONNECTED: { activation: 'RELU_N1_TO_1', keepNumDims: true },
  AVERAGE_POOL_2D: { padding: 'SAME', strideH: 2, strideW: 1, filterH: 3, filterW: 5, activation: 'RELU' },
  MAX_POOL_2D: { padding: 'VALID', strideH: 1, strideW: 2, filterH: 2, filterW: 3, activation: 'NONE' },
  ADD: { activation: 'RELU' },
  SUB: { activation: 'RELU6' },
  MUL: { activation: 'TANH' },
  RESHAPE: { newShape: [1, -1, 4] },
  SQUEEZE: { squeezeDims: [0, 2] },
  SOFTMAX: { beta: 0.5 },
  LOGISTIC: {},
  TANH: {},
  RELU: {},
  RELU6: {},
  LEAKY_RELU: { alpha: 0.125 },
  HARD_SWISH: {},
  PAD: {},
  CONCATENATION: { axis: -1, activation: 'NONE' },
  MEAN: { keepDims: true },
  SUM: { keepDims: false },
  STRIDED_SLICE: { beginMask: 1, endMask: 2, ellipsisMask: 4, newAxisMask: 8, shrinkAxisMask: 16, offset: true },
  TRANSPOSE_CONV: { padding: 'SAME', strideH: 2, strideW: 2, activation: 'RELU' },
  RESIZE_NEAREST_NEIGHBOR: { alignCorners: true, halfPixelCenters: false },
  QUANTIZE: {},
  DEQUANTIZE: {},
  SHAPE: { outType: 'int64' },
  PACK: { valuesCount: 2, axis: -1 },
  GATHER: { axis: 1, batchDims: 1 },
  EXPAND_DIMS: {},
  UNIDIRECTIONAL_SEQUENCE_LSTM: { activation: 'TANH', cellClip: 10, projClip: 0.5, timeMajor: true, asymmetricQuantizeInputs: true, diagonalRecurrentTensors: true },
  MAXIMUM: {},
  MINIMUM: {},
  TRANSPOSE: {},
  DEPTH_TO_SPACE: { blockSize: 2 },
  SPACE_TO_DEPTH: { blockSize: 3 },
  ARG_MAX: { outputType: 'int64' },
  MIRROR_PAD: { mode: 'SYMMETRIC' },
  RSQRT: {},
  L2_NORMALIZATION: { activation: 'RELU' },
  PRELU: {},
  DIV: { activation: 'RELU6' },
  SPLIT: { numSplits: 3 },
  SPLIT_V: { numSplits: 2 },
  UNPACK: { num: 4, axis: -2 },
  SQUARED_DIFFERENCE: {},
  EXP: {},
  LOG_SOFTMAX: {},
  CUMSUM: { exclusive: true, reverse: false },
  RESIZE_BILINEAR: { alignCorners: false, halfPixelCenters: true },
  BATCH_MATMUL: { adjX: true, adjY: false, asymmetricQuantizeInputs: true },
};

function everyOpGraph(): Graph {
  const tensors: Tensor[] = [
    { id: 0, name: 'x', shape: [1, 4, 4, 2], dtype: 'int8', quant: { scale: [0.5], zeroPoint: [-3], quantizedDimension: 0 } },
    {
      id: 1,
      name: 'w',
      shape: [3, 1, 1, 2],
      dtype: 'int8',
      quant: { scale: [0.1, 0.2, 0.3].map(Math.fround), zeroPoint: [0, 0, 0], quantizedDimension: 0 },
      data: Int8Array.from([1, -2, 3, -4, 5, -127]),
    },
    { id: 2, name: 'b64', shape: [3], dtype: 'int64', data: BigInt64Array.from([1n, -(2n ** 40n), 3n]) },
    { id: 3, name: 'f', shape: [2], dtype: 'float32', data: Float32Array.from([1.5, -0.25]) },
    { id: 4, name: 'i16', shape: [2], dtype: 'int16', data: Int16Array.from([-32768, 32767]) },
    { id: 5, name: 'u8', shape: [1], dtype: 'uint8', data: Uint8Array.from([200]) },
    { id: 6, name: 'flag', shape: [], dtype: 'bool', data: Uint8Array.from([1]) },
    { id: 7, name: 'state', shape: [1, 2], dtype: 'float32', isVariable: true },
    { id: 8, name: 'same_as_f', shape: [2], dtype: 'float32', data: Float32Array.from([1.5, -0.25]) },
  ];
  const ops: Op[] = registeredOpTypes().map((type, index) => {
    const out = tensors.length;
    tensors.push({ id: out, name: `${type.toLowerCase()}_out`, shape: [1, 2], dtype: 'float32' });
    return { index, type, inputs: index === 0 ? [0, 1, -1] : [0, 3], outputs: [out], attrs: ATTRS[type] } as Op;
  });
  return { name: 'every_op', tensors, ops, inputs: [0], outputs: [tensors.length - 1] };
}

describe('TFLite writer: options and tensors', () => {
  it('every op type round-trips with its attributes', () => {
    const g = everyOpGraph();
    const back = importTflite(writeTflite(g), g.name);
    expect(back.ops.map((o) => o.type)).toEqual(registeredOpTypes());
    for (const op of back.ops) expect([op.type, op.attrs]).toEqual([op.type, ATTRS[op.type]]);
    expect(back.ops[0].inputs).toEqual([0, 1, -1]);
    const { meta: _a, ...a } = back;
    const { meta: _b, ...b } = g;
    expect(a).toEqual(b);
  });

  it('stores equal constant data once', () => {
    const g = everyOpGraph();
    const model = readModel(new FlatBufferReader(writeTflite(g)));
    // 6 distinct constants (f and same_as_f share one) + the empty buffer 0.
    expect(model.buffers()!.length).toBe(7);
  });

  it('writes both builtin code fields and one operator code per (op, version)', () => {
    const g = everyOpGraph();
    const model = readModel(new FlatBufferReader(writeTflite(g)));
    const codes = model.operatorCodes()!;
    expect(codes.length).toBe(registeredOpTypes().length);
    for (let i = 0; i < codes.length; i++) {
      const c = new OperatorCodeTable(codes.at(i, 'c'));
      expect(c.deprecatedBuiltinCode).toBe(Math.min(c.builtinCode, 127));
    }
  });

  it('rejects graphs it cannot write', () => {
    const g = everyOpGraph();
    const badRef: Graph = { ...g, outputs: [999] };
    expect(() => writeTflite(badRef)).toThrow(GraphError);
    const badData: Graph = { ...g, tensors: g.tensors.map((t) => (t.id === 1 ? { ...t, shape: [4, 1, 1, 2] } : t)) };
    expect(() => writeTflite(badData)).toThrow(/has 6 bytes of data, expected 8/);
    const badQuant: Graph = { ...g, tensors: g.tensors.map((t) => (t.id === 1 ? { ...t, quant: { scale: [1, 2], zeroPoint: [0, 0], quantizedDimension: 0 } } : t)) };
    expect(() => writeTflite(badQuant)).toThrow(/per-channel scales/);
  });
});
