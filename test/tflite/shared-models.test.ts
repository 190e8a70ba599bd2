/**
 * Every real model in ../shared/models imports, and matches the golden manifests in
 * ../shared/golden (input/output names, shapes, dtypes, scales, zero points).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import type { OpType } from '../../src/ir/attrs.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { FlatBufferReader } from '../../src/tflite/flatbuffer-reader.js';
import { importTflite, importTfliteFile } from '../../src/tflite/import.js';
import { OperatorCodeTable, readModel } from '../../src/tflite/schema.js';
import { sharedDir, sharedModels } from '../helpers/shared.js';
import { graphViolations } from './graph-invariants.js';

const KWS: Partial<Record<OpType, number>> = {
  CONV_2D: 5,
  DEPTHWISE_CONV_2D: 4,
  AVERAGE_POOL_2D: 1,
  RESHAPE: 1,
  FULLY_CONNECTED: 1,
  SOFTMAX: 1,
};
const VWW: Partial<Record<OpType, number>> = {
  CONV_2D: 14,
  DEPTHWISE_CONV_2D: 13,
  AVERAGE_POOL_2D: 1,
  RESHAPE: 1,
  FULLY_CONNECTED: 1,
  SOFTMAX: 1,
};

/** Op type → count, per model file stem. */
const EXPECTED_OPS: Record<string, Partial<Record<OpType, number>>> = {
  ad01_fp32: { FULLY_CONNECTED: 10 },
  ad01_int8: { FULLY_CONNECTED: 10 },
  kws_ref_model: KWS,
  kws_ref_model_float32: KWS,
  pretrainedResnet_quant: { CONV_2D: 9, ADD: 3, AVERAGE_POOL_2D: 1, RESHAPE: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 },
  vww_96_float: VWW,
  vww_96_int8: VWW,
  hello_world_float: { FULLY_CONNECTED: 3 },
  hello_world_int8: { FULLY_CONNECTED: 3 },
  micro_speech_quantized: { RESHAPE: 1, DEPTHWISE_CONV_2D: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 },
};

const cache = new Map<string, Promise<Graph>>();
function load(path: string): Promise<Graph> {
  let g = cache.get(path);
  if (!g) cache.set(path, (g = importTfliteFile(path)));
  return g;
}
const stem = (p: string): string => basename(p, '.tflite');
const modelPath = (name: string): string => {
  const p = sharedModels().find((m) => stem(m) === name);
  if (!p) throw new Error(`shared model ${name} not found`);
  return p;
};

function opCounts(g: Graph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of g.ops) counts[op.type] = (counts[op.type] ?? 0) + 1;
  return counts;
}

describe('shared models', () => {
  const models = sharedModels();

  it('finds the shared models', () => {
    expect(models.length).toBeGreaterThanOrEqual(10);
  });

  it.each(models.map((p) => [stem(p), p]))('%s imports with a consistent graph', async (name, path) => {
    const g = await load(path);
    expect(g.name).toBe(name);
    expect(g.meta?.format).toBe('tflite');
    expect(graphViolations(g)).toEqual([]);
    expect(g.ops.length).toBeGreaterThan(0);
    expect(g.inputs.length).toBeGreaterThan(0);
    expect(g.outputs.length).toBeGreaterThan(0);
    for (const i of [...g.inputs, ...g.outputs]) expect(g.tensors[i].data).toBeUndefined();
    const expected = EXPECTED_OPS[name];
    if (expected) expect(opCounts(g)).toEqual(expected);
  });
});

describe('golden manifests', () => {
  const goldenDir = join(sharedDir(), 'golden');
  const manifests = readdirSync(goldenDir)
    .map((d) => join(goldenDir, d, 'manifest.json'))
    .filter((p) => existsSync(p));

  it('finds the manifests', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(9);
  });

  interface IoSpec {
    name: string;
    shape: number[];
    dtype: string;
    scale: number | number[];
    zeroPoint: number | number[];
  }
  const check = (t: Tensor, spec: IoSpec): void => {
    expect(t.name).toBe(spec.name);
    expect(t.shape).toEqual(spec.shape);
    expect(t.dtype).toBe(spec.dtype);
    const scales = Array.isArray(spec.scale) ? spec.scale : [spec.scale];
    const zps = Array.isArray(spec.zeroPoint) ? spec.zeroPoint : [spec.zeroPoint];
    if (scales.length === 0) {
      expect(t.quant).toBeUndefined();
    } else {
      expect(t.quant?.scale).toEqual(scales);
      expect(t.quant?.zeroPoint).toEqual(zps);
    }
  };

  it.each(manifests.map((p) => [basename(join(p, '..')), p]))('%s matches its manifest', async (_name, path) => {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { model: string; inputs: IoSpec[]; outputs: IoSpec[] };
    const g = await load(join(sharedDir(), manifest.model));
    expect(g.inputs).toHaveLength(manifest.inputs.length);
    expect(g.outputs).toHaveLength(manifest.outputs.length);
    manifest.inputs.forEach((spec, i) => check(g.tensors[g.inputs[i]], spec));
    manifest.outputs.forEach((spec, i) => check(g.tensors[g.outputs[i]], spec));
  });
});

describe('model details', () => {
  const weightsOf = (g: Graph, type: OpType): Tensor[] =>
    g.ops.filter((op) => op.type === type).map((op) => g.tensors[op.inputs[1]]);
  const biasesOf = (g: Graph, type: OpType): Tensor[] =>
    g.ops.filter((op) => op.type === type).map((op) => g.tensors[op.inputs[2]]);

  it('kws_ref_model: int8 weights quantized per output channel, int32 biases', async () => {
    const g = await load(modelPath('kws_ref_model'));
    for (const w of weightsOf(g, 'CONV_2D')) {
      expect(w.dtype).toBe('int8');
      expect(w.data).toBeInstanceOf(Int8Array);
      expect(w.quant?.quantizedDimension).toBe(0);
      expect(w.quant?.scale).toHaveLength(w.shape[0]);
      expect(w.quant?.zeroPoint.every((z) => z === 0)).toBe(true);
    }
    for (const w of weightsOf(g, 'DEPTHWISE_CONV_2D')) {
      expect(w.quant?.quantizedDimension).toBe(3);
      expect(w.quant?.scale).toHaveLength(w.shape[3]);
    }
    for (const b of [...biasesOf(g, 'CONV_2D'), ...biasesOf(g, 'DEPTHWISE_CONV_2D')]) {
      expect(b.dtype).toBe('int32');
      expect(b.data).toBeInstanceOf(Int32Array);
    }
    const first = g.ops[0];
    expect(first.type).toBe('CONV_2D');
    expect(first.attrs).toEqual({ padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'RELU' });
    const pool = g.ops.find((op) => op.type === 'AVERAGE_POOL_2D')!;
    expect(pool.attrs).toEqual({ padding: 'VALID', strideH: 25, strideW: 5, filterH: 25, filterW: 5, activation: 'NONE' });
    expect(g.ops.find((op) => op.type === 'SOFTMAX')!.attrs).toEqual({ beta: 1 });
  });

  it('kws_ref_model_float32 is hybrid: float32 activations, int8 constant weights', async () => {
    const g = await load(modelPath('kws_ref_model_float32'));
    expect(g.tensors[g.inputs[0]].dtype).toBe('float32');
    expect(g.tensors[g.outputs[0]].dtype).toBe('float32');
    const int8Weights = g.tensors.filter((t) => t.dtype === 'int8');
    expect(int8Weights.length).toBeGreaterThan(0);
    for (const t of int8Weights) {
      expect(t.data).toBeInstanceOf(Int8Array);
      expect(t.quant?.scale).toHaveLength(1);
    }
    expect(g.tensors.filter((t) => !t.data).every((t) => t.dtype === 'float32')).toBe(true);
  });

  it('micro_speech_quantized: RESHAPE new_shape and depth multiplier 8', async () => {
    const g = await load(modelPath('micro_speech_quantized'));
    expect(g.meta?.description).toBe('TOCO Converted.');
    expect(g.ops[0]).toMatchObject({ type: 'RESHAPE', attrs: { newShape: [-1, 49, 40, 1] } });
    expect(g.ops[1]).toMatchObject({ type: 'DEPTHWISE_CONV_2D', attrs: { depthMultiplier: 8, strideH: 2, strideW: 2 } });
  });

  it('float models carry float32 constants and no quantization', async () => {
    for (const name of ['vww_96_float', 'ad01_fp32', 'hello_world_float']) {
      const g = await load(modelPath(name));
      expect(g.tensors.filter((t) => t.dtype === 'float32').length).toBeGreaterThan(0);
      expect(g.tensors.filter((t) => t.dtype === 'float32').every((t) => t.quant === undefined)).toBe(true);
    }
  });
});

describe('a real model with an op code patched to an unsupported op', () => {
  it('names the op, its builtin code and every op index that uses it', () => {
    const bytes = new Uint8Array(readFileSync(modelPath('kws_ref_model')));
    const reader = new FlatBufferReader(bytes);
    const codes = readModel(reader).operatorCodes()!;
    // Operator code 1 is DEPTHWISE_CONV_2D, stored in the legacy int8 field (field 0).
    const code = new OperatorCodeTable(codes.at(1));
    expect(code.effectiveCode).toBe(4);
    const vtable = code.t.pos - reader.i32(code.t.pos, 'soffset');
    bytes[code.t.pos + reader.u16(vtable + 4, 'field 0 slot')] = 52;
    let error: unknown;
    try {
      importTflite(bytes, 'kws');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedOpError);
    expect((error as Error).message).toMatch(
      /^op #1 is BIDIRECTIONAL_SEQUENCE_LSTM \(builtin code 52\), which tinyml does not support \(ops #3, #5, #7 are too\)\. Supported ops: CONV_2D, /,
    );
  });
});
