/**
 * Importer unit tests on small models built with flatbuffers' Builder: op codes, unsupported
 * ops, options mapping, tensor types, quantization, buffers (inline and past the flatbuffer) and
 * error messages for malformed structure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { InputError, ModelFormatError, TinymlError, UnsupportedOpError } from '../../src/errors.js';
import { registeredOpTypes } from '../../src/ops/registry.js';
import { builtinCode, builtinName } from '../../src/tflite/builtin-codes.js';
import { importTflite, importTfliteFile } from '../../src/tflite/import.js';
import {
  buildModel,
  buildModelWithExternalBuffer,
  bytesOf,
  table,
  type ModelSpec,
  type OpCodeSpec,
  type OperatorSpec,
} from './model-builder.js';

const INT8 = 9;
const INT32 = 2;
const FLOAT32 = 0;

const WEIGHTS = new Int8Array(2 * 3 * 3 * 2).map((_, i) => i - 18);
const BIAS = new Int32Array([1000, -70000]);

/** input [1,4,4,2] int8 → CONV_2D(weights [2,3,3,2], bias [2]) → output [1,4,4,2]. */
function convModel(over: Partial<ModelSpec> = {}, op: Partial<OperatorSpec> = {}, code: OpCodeSpec = { deprecated: 3 }): ModelSpec {
  return {
    opcodes: [code],
    tensors: [
      { name: 'input', shape: [1, 4, 4, 2], type: INT8, quant: { scale: [0.5], zeroPoint: [-3] } },
      {
        name: 'weights',
        shape: [2, 3, 3, 2],
        type: INT8,
        buffer: 1,
        quant: { scale: [0.01, 0.02], zeroPoint: [0, 0], quantizedDimension: 0 },
      },
      { name: 'bias', shape: [2], type: INT32, buffer: 2, quant: { scale: [0.005, 0.01], zeroPoint: [0, 0] } },
      { name: 'output', shape: [1, 4, 4, 2], type: INT8, quant: { scale: [0.25], zeroPoint: [7] } },
    ],
    buffers: [{}, { data: bytesOf(WEIGHTS) }, { data: bytesOf(BIAS) }],
    operators: [
      {
        opcodeIndex: 0,
        inputs: [0, 1, 2],
        outputs: [3],
        optionsType: 1,
        options: (b) =>
          table(b, 7, (b) => {
            b.addFieldInt8(0, 0, null);
            b.addFieldInt32(1, 1, null);
            b.addFieldInt32(2, 1, null);
          }),
        ...op,
      },
    ],
    inputs: [0],
    outputs: [3],
    ...over,
  };
}

/** A single-op model `in → op → out` (float32 [1,4]) with the given op code and options. */
function unaryModel(code: OpCodeSpec, optionsType?: number, options?: (b: Builder) => number, inputs = [0]): ModelSpec {
  return {
    opcodes: [code],
    tensors: [
      { name: 'x', shape: [1, 4], type: FLOAT32 },
      { name: 'y', shape: [1, 4], type: FLOAT32 },
      { name: 'shape', shape: [2], type: INT32, buffer: 1 },
    ],
    buffers: [{}, { data: bytesOf(new Int32Array([1, 4])) }],
    operators: [{ opcodeIndex: 0, inputs, outputs: [1], optionsType, options }],
    inputs: [0],
    outputs: [1],
  };
}

function expectError<E extends TinymlError>(fn: () => unknown, cls: new (...a: never[]) => E, ...fragments: (string | RegExp)[]): E {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an error').toBeInstanceOf(cls);
  const message = (caught as Error).message;
  for (const f of fragments) {
    if (typeof f === 'string') expect(message).toContain(f);
    else expect(message).toMatch(f);
  }
  return caught as E;
}

describe('importTflite on a built model', () => {
  it('reads tensors, constant data, quantization, ops and graph io', () => {
    const g = importTflite(buildModel(convModel()), 'conv');
    expect(g.name).toBe('conv');
    expect(g.meta).toMatchObject({ format: 'tflite', version: '3' });
    expect(g.tensors.map((t) => t.name)).toEqual(['input', 'weights', 'bias', 'output']);
    expect(g.tensors.map((t) => t.id)).toEqual([0, 1, 2, 3]);
    expect(g.tensors[0]).toMatchObject({ shape: [1, 4, 4, 2], dtype: 'int8', quant: { scale: [0.5], zeroPoint: [-3] } });
    expect(g.tensors[0].data).toBeUndefined();
    expect(g.tensors[1].data).toBeInstanceOf(Int8Array);
    expect(Array.from(g.tensors[1].data as Int8Array)).toEqual(Array.from(WEIGHTS));
    expect(g.tensors[1].quant).toEqual({
      scale: [Math.fround(0.01), Math.fround(0.02)],
      zeroPoint: [0, 0],
      quantizedDimension: 0,
    });
    expect(g.tensors[2].data).toBeInstanceOf(Int32Array);
    expect(Array.from(g.tensors[2].data as Int32Array)).toEqual([1000, -70000]);
    expect(g.ops).toHaveLength(1);
    expect(g.ops[0]).toEqual({
      index: 0,
      type: 'CONV_2D',
      inputs: [0, 1, 2],
      outputs: [3],
      attrs: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
    });
    expect(g.inputs).toEqual([0]);
    expect(g.outputs).toEqual([3]);
  });

  it('copies constant data (the graph does not alias the file bytes)', () => {
    const bytes = buildModel(convModel());
    const g = importTflite(bytes, 'conv');
    bytes.fill(0);
    expect(Array.from(g.tensors[1].data as Int8Array)).toEqual(Array.from(WEIGHTS));
  });

  it('ignores extra subgraphs, metadata and the description', () => {
    const g = importTflite(buildModel(convModel({ extraSubgraphs: 2, metadataBuffer: 0, description: 'hi' })), 'm');
    expect(g.ops).toHaveLength(1);
    expect(g.meta?.description).toBe('hi');
  });

  it('marks variable tensors', () => {
    const spec = convModel();
    spec.tensors[0].isVariable = true;
    const g = importTflite(buildModel(spec), 'm');
    expect(g.tensors[0].isVariable).toBe(true);
    expect(g.tensors[1].isVariable).toBeUndefined();
  });

  it('keeps omitted optional inputs as -1', () => {
    const spec = unaryModel({ deprecated: 9 }, 8, undefined, [0, 2, -1]);
    const g = importTflite(buildModel(spec), 'fc');
    expect(g.ops[0].inputs).toEqual([0, 2, -1]);
    expect(g.ops[0].attrs).toEqual({ activation: 'NONE', keepNumDims: false });
  });

  it('names unnamed tensors by index', () => {
    const spec = convModel();
    delete spec.tensors[3].name;
    expect(importTflite(buildModel(spec), 'm').tensors[3].name).toBe('tensor_3');
  });
});

describe('operator codes', () => {
  const typeOf = (code: OpCodeSpec): string => importTflite(buildModel(convModel({}, {}, code)), 'm').ops[0].type;

  it('uses deprecated_builtin_code when builtin_code is absent (old converters)', () => {
    expect(typeOf({ deprecated: 3 })).toBe('CONV_2D');
  });
  it('uses the larger code when builtin_code is explicitly 0 (ADD) beside a legacy code', () => {
    expect(typeOf({ deprecated: 3, builtin: 0 })).toBe('CONV_2D');
  });
  it('uses builtin_code when deprecated_builtin_code is absent or smaller', () => {
    expect(typeOf({ builtin: 3 })).toBe('CONV_2D');
    expect(typeOf({ deprecated: 3, builtin: 3 })).toBe('CONV_2D');
  });
  it('uses builtin_code for codes above the 127 placeholder', () => {
    expectError(() => typeOf({ deprecated: 127, builtin: 150 }), UnsupportedOpError, 'op #0 is GELU (builtin code 150)');
  });
  it('rejects an opcode_index past the operator code list', () => {
    expectError(
      () => importTflite(buildModel(convModel({}, { opcodeIndex: 5 })), 'm'),
      ModelFormatError,
      'op #0 refers to operator code 5, but the model has 1',
    );
  });
});

describe('unsupported ops', () => {
  it('names the op, its builtin code and index, and lists supported ops', () => {
    const spec = convModel();
    spec.opcodes.push({ deprecated: 52 });
    spec.operators.push({ opcodeIndex: 1, inputs: [3], outputs: [0] });
    const e = expectError(
      () => importTflite(buildModel(spec), 'm'),
      UnsupportedOpError,
      'op #1 is BIDIRECTIONAL_SEQUENCE_LSTM (builtin code 52), which tinyml does not support',
      'Supported ops: CONV_2D, DEPTHWISE_CONV_2D',
    );
    expect(e.code).toBe('UNSUPPORTED_OP');
  });

  it('mentions every distinct unsupported op kind', () => {
    const spec = convModel();
    spec.opcodes.push({ deprecated: 16 }, { deprecated: 38 });
    spec.operators.push(
      { opcodeIndex: 1, inputs: [3], outputs: [0] },
      { opcodeIndex: 2, inputs: [3], outputs: [0] },
      { opcodeIndex: 1, inputs: [3], outputs: [0] },
    );
    expectError(() => importTflite(buildModel(spec), 'm'), UnsupportedOpError, 'op #1 is LSTM (builtin code 16)', 'SPACE_TO_BATCH_ND (op #2)');
  });

  it('names custom ops by their custom code', () => {
    const spec = convModel({}, {}, { deprecated: 32, custom: 'TFLite_Detection_PostProcess' });
    expectError(
      () => importTflite(buildModel(spec), 'm'),
      UnsupportedOpError,
      "op #0 is custom op 'TFLite_Detection_PostProcess' (builtin code 32, CUSTOM)",
    );
  });

  it('reports codes outside the known table', () => {
    expectError(
      () => importTflite(buildModel(convModel({}, {}, { deprecated: 127, builtin: 999 })), 'm'),
      UnsupportedOpError,
      'op #0 has builtin code 999',
    );
  });

  it('rejects a shuffled FULLY_CONNECTED weights format', () => {
    const spec = unaryModel({ deprecated: 9 }, 8, (b) => table(b, 5, (b) => b.addFieldInt8(1, 1, null)), [0, 2, -1]);
    expectError(() => importTflite(buildModel(spec), 'm'), UnsupportedOpError, 'op #0 FULLY_CONNECTED', 'SHUFFLED4x16INT8');
  });
});

describe('builtin options → attrs', () => {
  type Case = [string, OpCodeSpec, number | undefined, ((b: Builder) => number) | undefined, unknown, number[]?];
  const cases: Case[] = [
    [
      'CONV_2D',
      { deprecated: 3 },
      1,
      (b) =>
        table(b, 7, (b) => {
          b.addFieldInt8(0, 1, null);
          b.addFieldInt32(1, 2, null);
          b.addFieldInt32(2, 3, null);
          b.addFieldInt8(3, 3, null);
          b.addFieldInt32(4, 2, null);
          b.addFieldInt32(5, 4, null);
        }),
      { padding: 'VALID', strideW: 2, strideH: 3, activation: 'RELU6', dilationW: 2, dilationH: 4 },
    ],
    [
      'DEPTHWISE_CONV_2D',
      { deprecated: 4 },
      2,
      (b) =>
        table(b, 7, (b) => {
          b.addFieldInt8(0, 0, null);
          b.addFieldInt32(1, 1, null);
          b.addFieldInt32(2, 2, null);
          b.addFieldInt32(3, 4, null);
          b.addFieldInt8(4, 1, null);
        }),
      { padding: 'SAME', strideW: 1, strideH: 2, depthMultiplier: 4, activation: 'RELU', dilationW: 1, dilationH: 1 },
    ],
    [
      'FULLY_CONNECTED',
      { deprecated: 9 },
      8,
      (b) =>
        table(b, 5, (b) => {
          b.addFieldInt8(0, 2, null);
          b.addFieldInt8(2, 1, null);
        }),
      { activation: 'RELU_N1_TO_1', keepNumDims: true },
    ],
    [
      'AVERAGE_POOL_2D',
      { deprecated: 1 },
      5,
      (b) =>
        table(b, 6, (b) => {
          b.addFieldInt8(0, 1, null);
          b.addFieldInt32(1, 2, null);
          b.addFieldInt32(2, 3, null);
          b.addFieldInt32(3, 4, null);
          b.addFieldInt32(4, 5, null);
          b.addFieldInt8(5, 4, null);
        }),
      { padding: 'VALID', strideW: 2, strideH: 3, filterW: 4, filterH: 5, activation: 'TANH' },
    ],
    [
      'MAX_POOL_2D',
      { deprecated: 17 },
      5,
      (b) =>
        table(b, 6, (b) => {
          b.addFieldInt32(1, 2, null);
          b.addFieldInt32(2, 2, null);
          b.addFieldInt32(3, 2, null);
          b.addFieldInt32(4, 2, null);
        }),
      { padding: 'SAME', strideW: 2, strideH: 2, filterW: 2, filterH: 2, activation: 'NONE' },
    ],
    ['ADD', { deprecated: 0 }, 11, (b) => table(b, 2, (b) => b.addFieldInt8(0, 1, null)), { activation: 'RELU' }],
    ['SUB', { deprecated: 41 }, 28, (b) => table(b, 2, (b) => b.addFieldInt8(0, 3, null)), { activation: 'RELU6' }],
    ['MUL', { deprecated: 18 }, 21, (b) => table(b, 1, (b) => b.addFieldInt8(0, 5, null)), { activation: 'SIGN_BIT' }],
    ['ADD (no options)', { deprecated: 0 }, undefined, undefined, { activation: 'NONE' }],
    [
      'RESHAPE',
      { deprecated: 22 },
      17,
      (b) => {
        b.startVector(4, 2, 4);
        b.addInt32(4);
        b.addInt32(-1);
        const v = b.endVector();
        return table(b, 1, (b) => b.addFieldOffset(0, v, 0));
      },
      { newShape: [-1, 4] },
      [0, 2],
    ],
    [
      'RESHAPE (empty new_shape beside a shape input)',
      { deprecated: 22 },
      17,
      (b) => {
        b.startVector(4, 0, 4);
        const v = b.endVector();
        return table(b, 1, (b) => b.addFieldOffset(0, v, 0));
      },
      {},
      [0, 2],
    ],
    ['RESHAPE (no options)', { deprecated: 22 }, undefined, undefined, {}, [0, 2]],
    [
      'SQUEEZE',
      { deprecated: 43 },
      30,
      (b) => {
        b.startVector(4, 1, 4);
        b.addInt32(0);
        const v = b.endVector();
        return table(b, 1, (b) => b.addFieldOffset(0, v, 0));
      },
      { squeezeDims: [0] },
    ],
    ['SQUEEZE (no options)', { deprecated: 43 }, undefined, undefined, { squeezeDims: [] }],
    ['SOFTMAX', { deprecated: 25 }, 9, (b) => table(b, 1, (b) => b.addFieldFloat32(0, 0.5, null)), { beta: 0.5 }],
    ['LOGISTIC', { deprecated: 14 }, undefined, undefined, {}],
    ['TANH', { deprecated: 28 }, undefined, undefined, {}],
    ['RELU', { deprecated: 19 }, undefined, undefined, {}],
    ['RELU6', { deprecated: 21 }, undefined, undefined, {}],
    ['LEAKY_RELU', { deprecated: 98 }, 75, (b) => table(b, 1, (b) => b.addFieldFloat32(0, 0.25, null)), { alpha: 0.25 }],
    ['HARD_SWISH', { deprecated: 117 }, 91, (b) => table(b, 0, () => {}), {}],
    ['PAD', { deprecated: 34 }, 22, (b) => table(b, 0, () => {}), {}, [0, 2]],
    [
      'CONCATENATION',
      { deprecated: 2 },
      10,
      (b) =>
        table(b, 2, (b) => {
          b.addFieldInt32(0, -1, null);
          b.addFieldInt8(1, 1, null);
        }),
      { axis: -1, activation: 'RELU' },
      [0, 0],
    ],
    ['MEAN', { deprecated: 40 }, 27, (b) => table(b, 1, (b) => b.addFieldInt8(0, 1, null)), { keepDims: true }, [0, 2]],
    ['SUM', { deprecated: 74 }, 27, undefined, { keepDims: false }, [0, 2]],
    [
      'STRIDED_SLICE',
      { deprecated: 45 },
      32,
      (b) =>
        table(b, 6, (b) => {
          b.addFieldInt32(0, 1, null);
          b.addFieldInt32(1, 2, null);
          b.addFieldInt32(2, 0, null);
          b.addFieldInt32(3, 8, null);
          b.addFieldInt32(4, 16, null);
          b.addFieldInt8(5, 1, null);
        }),
      { beginMask: 1, endMask: 2, ellipsisMask: 0, newAxisMask: 8, shrinkAxisMask: 16, offset: true },
      [0, 2, 2, 2],
    ],
    [
      'TRANSPOSE_CONV',
      { deprecated: 67 },
      49,
      (b) =>
        table(b, 5, (b) => {
          b.addFieldInt8(0, 1, null);
          b.addFieldInt32(1, 2, null);
          b.addFieldInt32(2, 3, null);
          b.addFieldInt8(3, 1, null);
        }),
      { padding: 'VALID', strideW: 2, strideH: 3, activation: 'RELU' },
      [2, 0, 0],
    ],
    [
      'TRANSPOSE_CONV (options before version 4: no activation)',
      { deprecated: 67 },
      49,
      (b) =>
        table(b, 3, (b) => {
          b.addFieldInt32(1, 1, null);
          b.addFieldInt32(2, 1, null);
        }),
      { padding: 'SAME', strideW: 1, strideH: 1, activation: 'NONE' },
      [2, 0, 0],
    ],
    [
      'RESIZE_NEAREST_NEIGHBOR',
      { deprecated: 97 },
      74,
      (b) => table(b, 2, (b) => b.addFieldInt8(1, 1, null)),
      { alignCorners: false, halfPixelCenters: true },
      [0, 2],
    ],
    ['QUANTIZE', { deprecated: 114 }, 89, (b) => table(b, 0, () => {}), {}],
    ['DEQUANTIZE', { deprecated: 6 }, 38, undefined, {}],
    ['SHAPE', { deprecated: 77 }, 55, (b) => table(b, 1, (b) => b.addFieldInt8(0, 4, null)), { outType: 'int64' }],
    ['SHAPE (no options: int32)', { deprecated: 77 }, undefined, undefined, { outType: 'int32' }],
    [
      'PACK',
      { deprecated: 83 },
      59,
      (b) =>
        table(b, 2, (b) => {
          b.addFieldInt32(0, 2, null);
          b.addFieldInt32(1, -1, null);
        }),
      { valuesCount: 2, axis: -1 },
      [0, 0],
    ],
    [
      'GATHER',
      { deprecated: 36 },
      23,
      (b) =>
        table(b, 2, (b) => {
          b.addFieldInt32(0, 1, null);
          b.addFieldInt32(1, 0, null);
        }),
      { axis: 1, batchDims: 0 },
      [0, 2],
    ],
    ['EXPAND_DIMS', { deprecated: 70 }, 52, (b) => table(b, 0, () => {}), {}, [0, 2]],
    [
      'UNIDIRECTIONAL_SEQUENCE_LSTM',
      { deprecated: 44 },
      71,
      (b) =>
        table(b, 6, (b) => {
          b.addFieldInt8(0, 4, null);
          b.addFieldFloat32(1, 10, null);
          b.addFieldInt8(3, 1, null);
          b.addFieldInt8(5, 1, null);
        }),
      { activation: 'TANH', cellClip: 10, projClip: 0, timeMajor: true, asymmetricQuantizeInputs: false, diagonalRecurrentTensors: true },
    ],
    ['MAXIMUM', { deprecated: 55 }, 39, (b) => table(b, 0, () => {}), {}, [0, 0]],
    ['MINIMUM (no options)', { deprecated: 57 }, undefined, undefined, {}, [0, 0]],
    ['TRANSPOSE', { deprecated: 39 }, 26, (b) => table(b, 0, () => {}), {}, [0, 2]],
    ['DEPTH_TO_SPACE', { deprecated: 5 }, 94, (b) => table(b, 1, (b) => b.addFieldInt32(0, 2, null)), { blockSize: 2 }],
    ['SPACE_TO_DEPTH', { deprecated: 26 }, 19, (b) => table(b, 1, (b) => b.addFieldInt32(0, 3, null)), { blockSize: 3 }],
    ['ARG_MAX', { deprecated: 56 }, 40, (b) => table(b, 1, (b) => b.addFieldInt8(0, 2, null)), { outputType: 'int32' }, [0, 2]],
    ['MIRROR_PAD', { deprecated: 100 }, 77, (b) => table(b, 1, (b) => b.addFieldInt8(0, 1, null)), { mode: 'SYMMETRIC' }, [0, 2]],
    ['RSQRT', { deprecated: 76 }, undefined, undefined, {}],
    ['PRELU', { deprecated: 54 }, undefined, undefined, {}, [0, 0]],
    ['DIV', { deprecated: 42 }, 29, (b) => table(b, 1, (b) => b.addFieldInt8(0, 3, null)), { activation: 'RELU6' }, [0, 0]],
    ['L2_NORMALIZATION', { deprecated: 11 }, 12, (b) => table(b, 1, (b) => b.addFieldInt8(0, 1, null)), { activation: 'RELU' }],
    ['SPLIT', { deprecated: 49 }, 35, (b) => table(b, 1, (b) => b.addFieldInt32(0, 3, null)), { numSplits: 3 }, [2, 0]],
    ['SPLIT_V', { deprecated: 102 }, 79, (b) => table(b, 1, (b) => b.addFieldInt32(0, 2, null)), { numSplits: 2 }, [0, 2, 2]],
    [
      'UNPACK',
      { deprecated: 88 },
      64,
      (b) =>
        table(b, 2, (b) => {
          b.addFieldInt32(0, 4, null);
          b.addFieldInt32(1, -1, null);
        }),
      { num: 4, axis: -1 },
    ],
    ['SQUARED_DIFFERENCE', { deprecated: 99 }, 76, (b) => table(b, 0, () => {}), {}, [0, 0]],
    ['EXP', { deprecated: 47 }, 33, (b) => table(b, 0, () => {}), {}],
    ['LOG_SOFTMAX (no options)', { deprecated: 50 }, undefined, undefined, {}],
    ['CUMSUM', { deprecated: 127, builtin: 128 }, 102, (b) => table(b, 2, (b) => b.addFieldInt8(1, 1, null)), { exclusive: false, reverse: true }, [0, 2]],
    ['CUMSUM (no options)', { deprecated: 127, builtin: 128 }, undefined, undefined, { exclusive: false, reverse: false }, [0, 2]],
    // Fields 0 and 1 (new_height, new_width) are deprecated: the size comes from input 1.
    ['RESIZE_BILINEAR', { deprecated: 23 }, 15, (b) => table(b, 4, (b) => b.addFieldInt8(2, 1, null)), { alignCorners: true, halfPixelCenters: false }, [0, 2]],
    ['BATCH_MATMUL', { deprecated: 126 }, 101, (b) => table(b, 3, (b) => b.addFieldInt8(1, 1, null)), { adjX: false, adjY: true, asymmetricQuantizeInputs: false }, [0, 0]],
  ];

  it.each(cases)('%s', (label, code, optionsType, options, expected, inputs) => {
    const g = importTflite(buildModel(unaryModel(code, optionsType, options, inputs)), 'm');
    expect(g.ops[0].type).toBe(label.split(' ')[0]);
    expect(g.ops[0].attrs).toEqual(expected);
  });

  it('covers every supported op type', () => {
    const covered = new Set(cases.map(([label]) => label.split(' ')[0]));
    expect([...registeredOpTypes()].filter((t) => !covered.has(t))).toEqual([]);
  });

  it('uses schema defaults for absent fields (dilation 1) and rejects a zero stride', () => {
    const g = importTflite(
      buildModel(
        unaryModel({ deprecated: 3 }, 1, (b) =>
          table(b, 7, (b) => {
            b.addFieldInt32(1, 1, null);
            b.addFieldInt32(2, 1, null);
          }),
        ),
      ),
      'm',
    );
    expect(g.ops[0].attrs).toMatchObject({ dilationH: 1, dilationW: 1, padding: 'SAME', activation: 'NONE' });
    expectError(
      () => importTflite(buildModel(unaryModel({ deprecated: 3 })), 'm'),
      ModelFormatError,
      'op #0 CONV_2D has stride_h 0',
    );
  });

  it('rejects invalid enum values', () => {
    const spec = unaryModel({ deprecated: 0 }, 11, (b) => table(b, 1, (b) => b.addFieldInt8(0, 9, null)));
    expectError(() => importTflite(buildModel(spec), 'm'), ModelFormatError, 'op #0 ADD has invalid fused activation 9');
    const pad = unaryModel({ deprecated: 17 }, 5, (b) =>
      table(b, 6, (b) => {
        b.addFieldInt8(0, 2, null);
        for (let i = 1; i <= 4; i++) b.addFieldInt32(i, 1, null);
      }),
    );
    expectError(() => importTflite(buildModel(pad), 'm'), ModelFormatError, 'op #0 MAX_POOL_2D has invalid padding 2');
  });

  it('rejects options of the wrong union type', () => {
    const spec = unaryModel({ deprecated: 3 }, 5, (b) => table(b, 6, () => {}));
    expectError(
      () => importTflite(buildModel(spec), 'm'),
      ModelFormatError,
      'op #0 CONV_2D carries builtin options of union type 5 (Pool2DOptions), but CONV_2D takes Conv2DOptions',
    );
  });
});

describe('unfixed batch (Keras 3 through the TFLite converter)', () => {
  /** x [1, 2, 3] -> SHAPE -> STRIDED_SLICE [0:1] shrunk -> PACK with 6 -> RESHAPE x to [1, 6]. */
  function flattenModel(signature?: number[]) {
    const q = { scale: [0.5], zeroPoint: [1] };
    return buildModel({
      opcodes: [{ deprecated: 77 }, { deprecated: 45 }, { deprecated: 83 }, { deprecated: 22 }],
      tensors: [
        { name: 'x', shape: [1, 2, 3], type: INT8, quant: q, ...(signature ? { shapeSignature: signature } : {}) },
        { name: 'shape', shape: [3], type: INT32 },
        { name: 'begin', shape: [1], type: INT32, buffer: 1 },
        { name: 'one', shape: [1], type: INT32, buffer: 2 },
        { name: 'batch', shape: [], type: INT32 },
        { name: 'features', shape: [], type: INT32, buffer: 3 },
        { name: 'packed', shape: [2], type: INT32 },
        { name: 'y', shape: [1, 6], type: INT8, quant: q, ...(signature ? { shapeSignature: [-1, 6] } : {}) },
      ],
      buffers: [{}, { data: bytesOf(Int32Array.from([0])) }, { data: bytesOf(Int32Array.from([1])) }, { data: bytesOf(Int32Array.from([6])) }],
      operators: [
        { opcodeIndex: 0, inputs: [0], outputs: [1], optionsType: 55, options: (b) => table(b, 1, (b) => b.addFieldInt8(0, 2, null)) },
        { opcodeIndex: 1, inputs: [1, 2, 3, 3], outputs: [4], optionsType: 32, options: (b) => table(b, 5, (b) => b.addFieldInt32(4, 1, null)) },
        {
          opcodeIndex: 2,
          inputs: [4, 5],
          outputs: [6],
          optionsType: 59,
          options: (b) => table(b, 2, (b) => b.addFieldInt32(0, 2, null)),
        },
        { opcodeIndex: 3, inputs: [0, 6], outputs: [7] },
      ],
      inputs: [0],
      outputs: [7],
    });
  }

  it('records inputs whose batch is -1 in shape_signature, and runs them with the stored batch 1', () => {
    const g = importTflite(flattenModel([-1, 2, 3]), 'm');
    expect(g.dynamicBatchInputs).toEqual(['x']);
    expect(g.tensors[g.inputs[0]].shape).toEqual([1, 2, 3]);
    expect(importTflite(flattenModel(), 'm').dynamicBatchInputs).toBeUndefined();
    expect(importTflite(flattenModel([1, 2, 3]), 'm').dynamicBatchInputs).toBeUndefined();
  });

  it('folds the converter\'s Flatten (SHAPE -> STRIDED_SLICE -> PACK) into a constant RESHAPE shape', () => {
    const g = importTflite(flattenModel([-1, 2, 3]), 'm');
    expect(g.ops.map((o) => o.type)).toEqual(['RESHAPE']);
    expect(Array.from(g.tensors[g.ops[0].inputs[1]].data as Int32Array)).toEqual([1, 6]);
    expect(g.tensors[g.outputs[0]].shape).toEqual([1, 6]);
  });

  it('rejects a SHAPE out_type other than INT32/INT64 and a PACK without values', () => {
    const shapeFloat = unaryModel({ deprecated: 77 }, 55, (b) => table(b, 1, (b) => b.addFieldInt8(0, 9, null)));
    expectError(() => importTflite(buildModel(shapeFloat), 'm'), ModelFormatError, 'op #0 SHAPE has out_type 9');
    const shapeDefault = unaryModel({ deprecated: 77 }, 55, (b) => table(b, 1, () => {}));
    expectError(() => importTflite(buildModel(shapeDefault), 'm'), ModelFormatError, 'out_type 0');
    const packNone = unaryModel({ deprecated: 83 }, 59, (b) => table(b, 2, () => {}));
    expectError(() => importTflite(buildModel(packNone), 'm'), ModelFormatError, 'op #0 PACK has values_count 0');
  });
});

describe('tensor types', () => {
  const dtypeOf = (type: number): string => {
    const spec = unaryModel({ deprecated: 19 });
    spec.tensors[0].type = type;
    return importTflite(buildModel(spec), 'm').tensors[0].dtype;
  };

  it('maps every supported TensorType', () => {
    expect([0, 2, 3, 4, 6, 7, 9].map(dtypeOf)).toEqual(['float32', 'int32', 'uint8', 'int64', 'bool', 'int16', 'int8']);
  });
  it('rejects known types tinyml does not support, naming the tensor', () => {
    expectError(() => dtypeOf(1), UnsupportedOpError, "tensor 0 'x' has type FLOAT16");
    expectError(() => dtypeOf(5), UnsupportedOpError, "tensor 0 'x' has type STRING");
  });
  it('rejects unknown type codes', () => {
    expectError(() => dtypeOf(99), ModelFormatError, "tensor 0 'x' has unknown tensor type code 99");
  });
  it('decodes int16, int64 and bool constant data', () => {
    const spec = unaryModel({ deprecated: 19 });
    spec.tensors.push(
      { name: 'a', shape: [2], type: 7, buffer: 2 },
      { name: 'b', shape: [2], type: 4, buffer: 3 },
      { name: 'c', shape: [3], type: 6, buffer: 4 },
    );
    spec.buffers.push(
      { data: bytesOf(new Int16Array([-2, 300])) },
      { data: bytesOf(new BigInt64Array([-5n, 1n << 40n])) },
      { data: new Uint8Array([1, 0, 1]) },
    );
    const g = importTflite(buildModel(spec), 'm');
    expect(Array.from(g.tensors[3].data as Int16Array)).toEqual([-2, 300]);
    expect(Array.from(g.tensors[4].data as BigInt64Array)).toEqual([-5n, 1n << 40n]);
    expect(g.tensors[5].data).toBeInstanceOf(Uint8Array);
    expect(Array.from(g.tensors[5].data as Uint8Array)).toEqual([1, 0, 1]);
  });
});

describe('quantization parameters', () => {
  const quantOf = (q: ModelSpec['tensors'][number]['quant'], shape = [2, 3, 3, 2]) => {
    const spec = convModel();
    spec.tensors[0] = { name: 'q', shape, type: INT8, quant: q };
    return importTflite(buildModel(spec), 'm').tensors[0].quant;
  };

  it('reads per-tensor and per-channel parameters', () => {
    expect(quantOf({ scale: [0.5], zeroPoint: [-128] })).toEqual({ scale: [0.5], zeroPoint: [-128], quantizedDimension: 0 });
    expect(quantOf({ scale: [0.5, 0.25], zeroPoint: [0, 0], quantizedDimension: 3 })).toEqual({
      scale: [0.5, 0.25],
      zeroPoint: [0, 0],
      quantizedDimension: 3,
    });
  });
  it('treats absent or empty scales as unquantized', () => {
    expect(quantOf(undefined)).toBeUndefined();
    expect(quantOf({ scale: [], zeroPoint: [] })).toBeUndefined();
  });
  it('rejects inconsistent parameters', () => {
    expectError(() => quantOf({ scale: [0.5, 0.5], zeroPoint: [0] }), ModelFormatError, "tensor 0 'q' has 2 quantization scales but 1 zero points");
    expectError(
      () => quantOf({ scale: [0.5, 0.5, 0.5], zeroPoint: [0, 0, 0], quantizedDimension: 0 }),
      ModelFormatError,
      'per-channel scales along dimension 0',
    );
    expectError(() => quantOf({ scale: [0.5, 0.5], zeroPoint: [0, 0], quantizedDimension: 7 }), ModelFormatError, 'along dimension 7');
    expectError(() => quantOf({ scale: [0.5], zeroPoint: [1n << 40n] }), ModelFormatError, 'outside the int32 range');
    expectError(() => quantOf({ scale: [NaN], zeroPoint: [0] }), ModelFormatError, 'non-finite quantization scale');
    expectError(() => quantOf({ scale: [1], zeroPoint: [0], detailsType: 1 }), UnsupportedOpError, 'custom quantization');
  });
});

describe('buffers', () => {
  it('reads data stored past the flatbuffer by offset/size (the >2 GB layout)', () => {
    const data = bytesOf(WEIGHTS);
    const bytes = buildModelWithExternalBuffer(convModel(), 1, data);
    const fbEnd = bytes.length - data.length;
    // The flatbuffer itself does not contain the weights: they really come from the tail.
    expect(bytes.length).toBeGreaterThanOrEqual(fbEnd + data.length);
    const g = importTflite(bytes, 'big');
    expect(Array.from(g.tensors[1].data as Int8Array)).toEqual(Array.from(WEIGHTS));
    expect(Array.from(g.tensors[2].data as Int32Array)).toEqual([1000, -70000]);
  });

  it('rejects offset/size data that runs past the end of the file', () => {
    const data = bytesOf(WEIGHTS);
    const bytes = buildModelWithExternalBuffer(convModel(), 1, data);
    expectError(
      () => importTflite(bytes.subarray(0, bytes.length - 1), 'big'),
      ModelFormatError,
      /buffer 1 \(of tensor 1 'weights'\) stores its data at offset \d+ with size 36, which runs past the end of the file/,
    );
  });

  it('treats offset 1 (placeholder) and empty data as no data', () => {
    const spec = convModel();
    spec.tensors[0].buffer = 3;
    spec.tensors[3].buffer = 4;
    spec.buffers.push({ offset: 1n, size: 1n }, { data: new Uint8Array(0) });
    const g = importTflite(buildModel(spec), 'm');
    expect(g.tensors[0].data).toBeUndefined();
    expect(g.tensors[3].data).toBeUndefined();
  });

  it('rejects a buffer index past the buffer list', () => {
    const spec = convModel();
    spec.tensors[1].buffer = 99;
    expectError(() => importTflite(buildModel(spec), 'm'), ModelFormatError, "tensor 1 'weights' refers to buffer 99 but the model has 3 buffers");
  });

  it('rejects constant data whose size does not match shape × dtype', () => {
    const spec = convModel();
    spec.buffers[2] = { data: new Uint8Array(12) };
    expectError(
      () => importTflite(buildModel(spec), 'm'),
      ModelFormatError,
      "tensor 2 'bias' (int32 [2]) needs 8 bytes of constant data, but buffer 2 holds 12",
    );
  });
});

describe('malformed structure', () => {
  it('rejects files that are not TFLite models', () => {
    expectError(() => importTflite(new Uint8Array([1, 2, 3]), 'x'), ModelFormatError, "not a TFLite model: 'x' is only 3 bytes long");
    const bytes = buildModel(convModel({ identifier: 'XXXX' }));
    expectError(() => importTflite(bytes, 'x'), ModelFormatError, "not a TFLite model: file identifier is 'XXXX', expected 'TFL3'");
    const onnx = new TextEncoder().encode('\x08\x07\x12\x07pytorch...');
    expectError(() => importTflite(onnx, 'x'), ModelFormatError, 'not a TFLite model: file identifier is');
  });

  it('rejects other schema versions', () => {
    expectError(() => importTflite(buildModel(convModel({ version: 2 })), 'x'), ModelFormatError, 'schema version 2');
  });

  it('rejects out-of-range tensor references', () => {
    expectError(
      () => importTflite(buildModel(convModel({}, { inputs: [0, 1, 9] })), 'x'),
      ModelFormatError,
      'input of op #0 CONV_2D refers to tensor 9, but subgraph 0 has 4 tensors',
    );
    expectError(() => importTflite(buildModel(convModel({}, { outputs: [-1] })), 'x'), ModelFormatError, 'output of op #0 CONV_2D refers to tensor -1');
    expectError(() => importTflite(buildModel(convModel({ outputs: [4] })), 'x'), ModelFormatError, 'model output refers to tensor 4');
  });

  it('rejects negative dimensions and absurd shapes', () => {
    const spec = convModel();
    spec.tensors[3].shape = [1, -1, 4, 2];
    expectError(() => importTflite(buildModel(spec), 'x'), ModelFormatError, "tensor 3 'output' has invalid dimension -1");
    spec.tensors[3].shape = [65536, 65536, 65536];
    expectError(() => importTflite(buildModel(spec), 'x'), ModelFormatError, "tensor 3 'output' has shape [65536, 65536, 65536]", 'implausibly large');
  });

  it('reports truncation with offsets and the file size', () => {
    const bytes = buildModel(convModel());
    const e = expectError(() => importTflite(bytes.subarray(0, 40), 'x'), ModelFormatError, 'file (size 40)');
    expect(e.message).toMatch(/truncated|corrupt/);
  });

  it('stops models whose tables are shared many times over (work budget)', () => {
    const big = new Int8Array(65536);
    const spec: ModelSpec = {
      opcodes: [{ deprecated: 19 }],
      tensors: [{ name: 'w', shape: [65536], type: INT8, buffer: 1 }],
      buffers: [{}, { data: bytesOf(big) }],
      operators: [],
      inputs: [],
      outputs: [],
      tensorRefs: new Array(20000).fill(0),
    };
    const t0 = performance.now();
    expectError(() => importTflite(buildModel(spec), 'x'), ModelFormatError, 'exceeds the work');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('importTfliteFile', () => {
  it('reads a file and names the graph after its stem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-tflite-'));
    try {
      const path = join(dir, 'my_model.tflite');
      writeFileSync(path, buildModel(convModel()));
      const g = await importTfliteFile(path);
      expect(g.name).toBe('my_model');
      expect(g.ops[0].type).toBe('CONV_2D');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('reports a missing file as an InputError', async () => {
    await expect(importTfliteFile('/nonexistent/model.tflite')).rejects.toThrow(InputError);
    await expect(importTfliteFile('/nonexistent/model.tflite')).rejects.toThrow(/no such file/);
  });
});

describe('builtin code table', () => {
  it('names builtin codes, and knows every supported op', () => {
    expect(builtinName(0)).toBe('ADD');
    expect(builtinName(44)).toBe('UNIDIRECTIONAL_SEQUENCE_LSTM');
    expect(builtinName(114)).toBe('QUANTIZE');
    expect(builtinName(205)).toBe('REDUCE_WINDOW');
    expect(builtinName(225)).toBe('TEMP_STREAMING_CONV_2D');
    expect(builtinName(206)).toBeUndefined();
    expect(builtinName(-1)).toBeUndefined();
    for (const t of registeredOpTypes()) expect(builtinName(builtinCode(t)!)).toBe(t);
    expect(builtinCode('CONV_2D')).toBe(3);
  });
});
