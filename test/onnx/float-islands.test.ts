/**
 * QDQ float islands (ONNX Runtime's quantize_static without pre-processing): an unfolded
 * BatchNormalization between a DequantizeLinear and a QuantizeLinear becomes one int8 op that
 * computes what the float island computes; a float op that has no int8 form is named, with the fix,
 * when code is generated.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/deploy/compile-model.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { importOnnx } from '../../src/onnx/import.js';
import { floatIslands, prepareForInference } from '../../src/passes/index.js';
import { buildModel, int, ints, randomValues, type ModelSpec, type NodeSpec, type TensorSpec } from './onnx-builder.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-islands-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const C = 4;
const SHAPE = [1, C, 5, 5];

/** x → Q(0.02, -3) → DQ → `island` → Q(0.05, 2) → DQ → y, int8. */
function islandModel(island: NodeSpec[], inits: TensorSpec[], islandOut: string): ModelSpec {
  return {
    inputs: [{ name: 'x', shape: SHAPE }],
    outputs: [{ name: 'y', shape: SHAPE }],
    initializers: [
      { name: 'xs', dims: [], values: [0.02] },
      { name: 'xz', dims: [], type: 3, values: [-3] },
      { name: 'ys', dims: [], values: [0.05] },
      { name: 'yz', dims: [], type: 3, values: [2] },
      ...inits,
    ],
    nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
      { op: 'DequantizeLinear', inputs: ['xq', 'xs', 'xz'], outputs: ['xf'] },
      ...island,
      { op: 'QuantizeLinear', inputs: [islandOut, 'ys', 'yz'], outputs: ['yq'] },
      { op: 'DequantizeLinear', inputs: ['yq', 'ys', 'yz'], outputs: ['y'] },
    ],
  };
}

// gamma with a negative and a zero channel; ORT quantizes gamma too (int8 per tensor), here plain float.
const bn = islandModel(
  [{ op: 'BatchNormalization', inputs: ['xf', 'gamma', 'beta', 'mean', 'var'], outputs: ['bn'], attrs: {} }],
  [
    { name: 'gamma', dims: [C], values: [1.7, -0.6, 0, 3.1] },
    { name: 'beta', dims: [C], values: [0.3, -0.2, 0.9, -1.1] },
    { name: 'mean', dims: [C], values: [0.1, -0.4, 0.2, 0.05] },
    { name: 'var', dims: [C], values: [0.8, 1.9, 0.5, 2.5] },
  ],
  'bn',
);

describe('QDQ float islands', () => {
  it('DQ → BatchNormalization → Q becomes one int8 DEPTHWISE_CONV_2D that matches the float island', () => {
    const raw = importOnnx(buildModel(bn), 'bn_island');
    const g = prepareForInference(raw);
    expect(g.ops.map((o) => o.type)).toEqual(['DEPTHWISE_CONV_2D']);
    const dw = g.ops[0];
    expect(dw.inputs.map((i) => g.tensors[i].dtype)).toEqual(['int8', 'int8', 'int32']);
    expect(g.tensors[dw.outputs[0]].dtype).toBe('int8');
    expect(floatIslands(g)).toEqual([]);
    // The float island as the model states it (QUANTIZE/DEQUANTIZE kept, float BatchNorm).
    const island = prepareForInference(raw, { keepQdq: true });
    expect(island.ops.map((o) => o.type)).toContain('MUL');
    const fRun = prepareGraph(island);
    const qRun = prepareGraph(g);
    let equal = 0;
    let total = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const xq = Int8Array.from(randomValues(100, seed, -128, 128), (v) => Math.floor(v));
      const xf = Float32Array.from(xq, (v) => 0.02 * (v + 3));
      const want = Array.from(runGraph(fRun, [xf])[0] as Float32Array, (v) => Math.round(v / 0.05) + 2);
      const got = Array.from(runGraph(qRun, [xq])[0] as Int8Array);
      for (let i = 0; i < got.length; i++) {
        expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1);
        if (got[i] === want[i]) equal++;
        total++;
      }
      // the zero-gamma channel is the constant beta
      for (let i = 2; i < got.length; i += C) expect(got[i]).toBe(Math.round(0.9 / 0.05) + 2);
    }
    // off by one only where the float result sits on a rounding boundary
    expect(equal / total).toBeGreaterThan(0.98);
  });

  it('DQ → BatchNormalization → Relu → MaxPool → Q (QOperator without pre-processing): the pool runs on the int8 result', () => {
    const spec = islandModel(
      [
        { op: 'BatchNormalization', inputs: ['xf', 'gamma', 'beta', 'mean', 'var'], outputs: ['bn'] },
        { op: 'Relu', inputs: ['bn'], outputs: ['r'] },
        { op: 'MaxPool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } },
      ],
      bn.initializers!.slice(4),
      'p',
    );
    spec.outputs = [{ name: 'y', shape: [1, C, 2, 2] }];
    const raw = importOnnx(buildModel(spec), 'bn_pool_island');
    const g = prepareForInference(raw);
    expect(g.ops.map((o) => `${o.type}:${g.tensors[o.outputs[0]].dtype}`)).toEqual(['DEPTHWISE_CONV_2D:int8', 'MAX_POOL_2D:int8']);
    expect(g.ops[0].attrs).toMatchObject({ activation: 'RELU' });
    const fRun = prepareGraph(prepareForInference(raw, { keepQdq: true }));
    const qRun = prepareGraph(g);
    let equal = 0;
    let total = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const xq = Int8Array.from(randomValues(100, seed + 10, -128, 128), (v) => Math.floor(v));
      const want = Array.from(runGraph(fRun, [Float32Array.from(xq, (v) => 0.02 * (v + 3))])[0] as Float32Array, (v) => Math.round(v / 0.05) + 2);
      const got = Array.from(runGraph(qRun, [xq])[0] as Int8Array);
      got.forEach((v, i) => {
        expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1);
        if (v === want[i]) equal++;
        total++;
      });
    }
    expect(equal / total).toBeGreaterThan(0.98);
  });

  it('Conv → BatchNormalization → Q with no quantization between them folds into the convolution', () => {
    const wq = Array.from(randomValues(C * C, 5, -127, 128), (v) => Math.floor(v));
    const spec = islandModel(
      [
        { op: 'DequantizeLinear', inputs: ['w', 'ws', 'wz'], outputs: ['wf'], attrs: { axis: int(0) } },
        { op: 'Conv', inputs: ['xf', 'wf'], outputs: ['c'], attrs: { kernel_shape: ints([1, 1]) } },
        { op: 'BatchNormalization', inputs: ['c', 'gamma', 'beta', 'mean', 'var'], outputs: ['bn'] },
      ],
      [
        { name: 'w', dims: [C, C, 1, 1], type: 3, values: wq },
        { name: 'ws', dims: [C], values: [0.01, 0.02, 0.015, 0.005] },
        { name: 'wz', dims: [C], type: 3, values: [0, 0, 0, 0] },
        ...bn.initializers!.slice(4),
      ],
      'bn',
    );
    const raw = importOnnx(buildModel(spec), 'conv_bn');
    const g = prepareForInference(raw);
    // the BatchNorm's factor is in the weight scales, its offset in the bias: one int8 layer
    expect(g.ops.map((o) => `${o.type}:${g.tensors[o.outputs[0]].dtype}`)).toEqual(['CONV_2D:int8']);
    const fRun = prepareGraph(prepareForInference(raw, { keepQdq: true }));
    const qRun = prepareGraph(g);
    for (let seed = 1; seed <= 3; seed++) {
      const xq = Int8Array.from(randomValues(100, seed + 20, -128, 128), (v) => Math.floor(v));
      const want = Array.from(runGraph(fRun, [Float32Array.from(xq, (v) => 0.02 * (v + 3))])[0] as Float32Array, (v) => Math.round(v / 0.05) + 2);
      const got = Array.from(runGraph(qRun, [xq])[0] as Int8Array);
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1));
    }
  });

  it('a float op with no int8 form runs as float kernels between a dequantize and a quantize', async () => {
    // BatchNormalization of a [N, C] tensor (after a dense layer's quantized output): tinyml lowers
    // the per-channel affine op on NHWC feature maps only, so this one stays float and runs on the
    // float C kernels, with DEQUANTIZE/QUANTIZE at its edges.
    const spec: ModelSpec = {
      ...islandModel([{ op: 'BatchNormalization', inputs: ['xf', 'gamma', 'beta', 'mean', 'var'], outputs: ['bn'] }], bn.initializers!.slice(4), 'bn'),
      inputs: [{ name: 'x', shape: [1, C] }],
      outputs: [{ name: 'y', shape: [1, C] }],
    };
    const path = join(work, 'bn1d_island.onnx');
    writeFileSync(path, buildModel(spec));
    const compiled = await compileModel(path);
    const ops = compiled.graph.ops.map((o) => `${o.type}:${compiled.graph.tensors[o.outputs[0]].dtype}`);
    expect(ops).toContain('MUL:float32');
    expect(ops).toContain('ADD:float32');
    expect(ops[0]).toBe('DEQUANTIZE:float32');
    expect(ops[ops.length - 1]).toMatch(/^QUANTIZE:/);
    expect(compiled.generated.files['model/model.c']).toMatch(/_f32\(/);
  });
});
