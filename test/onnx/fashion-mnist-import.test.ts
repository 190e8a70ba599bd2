import { describe, expect, it } from 'vitest';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { inferShapes, validateGraph } from '../../src/passes/validate.js';
import { importOnnxFile } from '../../src/onnx/index.js';
import { prepareForInference } from '../../src/passes/index.js';
import { openDataset } from '../../src/data/dataset.js';
import { quantizeForTensor } from '../../src/data/tensor-file.js';
import { sharedPath } from '../helpers/shared.js';

const FLOAT = sharedPath('models', 'fashion-mnist', 'fashion_cnn_float.onnx');
const QDQ = sharedPath('models', 'fashion-mnist', 'fashion_cnn_qat_qdq.onnx');

const types = (g: Graph): string[] => g.ops.map((o) => o.type);
const LAYERS = ['CONV_2D', 'MAX_POOL_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'PAD', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'ADD', 'MEAN', 'RESHAPE', 'FULLY_CONNECTED', 'FULLY_CONNECTED'];

describe('fashion-mnist ONNX models', () => {
  it('float model: imports NHWC with BatchNorm as MUL + ADD, valid shapes', async () => {
    const g = await importOnnxFile(FLOAT);
    expect(g.name).toBe('fashion_cnn_float');
    expect(g.meta).toMatchObject({ format: 'onnx', opset: '13' });
    expect(g.tensors[g.inputs[0]]).toMatchObject({ name: 'image', shape: [1, 28, 28, 1], dtype: 'float32' });
    expect(g.tensors[g.outputs[0]]).toMatchObject({ name: 'logits', shape: [1, 10], dtype: 'float32' });
    const count = (t: string): number => types(g).filter((x) => x === t).length;
    expect(count('CONV_2D')).toBe(4);
    expect(count('DEPTHWISE_CONV_2D')).toBe(3);
    expect(count('MUL')).toBe(7); // one per BatchNormalization
    expect(count('ADD')).toBe(8); // 7 BatchNorm offsets + the residual
    expect(count('RELU')).toBe(8);
    expect(count('FULLY_CONNECTED')).toBe(2);
    const stem = g.ops[0];
    expect(g.tensors[stem.inputs[1]].shape).toEqual([32, 3, 3, 1]);
    const dw = g.ops.find((o) => o.type === 'DEPTHWISE_CONV_2D')!;
    expect(g.tensors[dw.inputs[1]].shape).toEqual([1, 3, 3, 32]);
    // the stride-2 depthwise has symmetric padding 1, which is not TFLite's SAME: explicit PAD
    const pad = g.ops.find((o) => o.type === 'PAD')!;
    expect(Array.from(g.tensors[pad.inputs[1]].data as Int32Array)).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    validateGraph(g);
    inferShapes(g);
  });

  it('float model: prepared graph folds BatchNorm and fuses ReLU', async () => {
    const raw = await importOnnxFile(FLOAT);
    const g = prepareForInference(raw);
    expect(types(g)).toEqual(LAYERS);
    const convs = g.ops.filter((o) => o.type === 'CONV_2D' || o.type === 'DEPTHWISE_CONV_2D');
    expect(convs.every((o) => (o.attrs as { activation: string }).activation === 'RELU')).toBe(true);
    expect(g.ops[12].attrs).toMatchObject({ activation: 'RELU' });
    expect(g.ops[13].attrs).toMatchObject({ activation: 'NONE' });
    // same function as the unprepared import
    const x = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 256) / 255);
    const a = runGraph(prepareGraph(raw), [x])[0] as Float32Array;
    const b = runGraph(prepareGraph(g), [x])[0] as Float32Array;
    const scale = Math.max(...Array.from(a, Math.abs));
    for (let i = 0; i < 10; i++) expect(Math.abs(a[i] - b[i]) / scale).toBeLessThan(1e-5);
  });

  it('QDQ model: imports QUANTIZE/DEQUANTIZE pairs and int8 per-channel weights in IR layouts', async () => {
    const g = await importOnnxFile(QDQ);
    expect(g.tensors[g.inputs[0]]).toMatchObject({ shape: [1, 28, 28, 1], dtype: 'float32' });
    expect(types(g).filter((t) => t === 'QUANTIZE')).toHaveLength(11); // the input + 10 activation observers
    const weights = g.ops.filter((o) => o.type === 'DEQUANTIZE' && g.tensors[o.inputs[0]].data).map((o) => g.tensors[o.inputs[0]]);
    expect(weights).toHaveLength(9);
    for (const w of weights) {
      expect(w.dtype).toBe('int8');
      expect(w.quant!.zeroPoint.every((z) => z === 0)).toBe(true);
      expect(w.quant!.scale).toHaveLength(w.shape[w.quant!.quantizedDimension]);
    }
    const dwWeights = weights.filter((w) => w.shape[0] === 1 && w.shape.length === 4);
    expect(dwWeights.map((w) => w.quant!.quantizedDimension)).toEqual([3, 3, 3]);
    validateGraph(g);
  });

  it('QDQ model: folds to an all-int8 graph with int8 input and output', async () => {
    const g = prepareForInference(await importOnnxFile(QDQ));
    expect(types(g)).toEqual(LAYERS);
    const input = g.tensors[g.inputs[0]];
    expect(input).toMatchObject({ name: 'image', dtype: 'int8' });
    expect(input.quant!.scale).toHaveLength(1);
    expect(g.tensors[g.outputs[0]]).toMatchObject({ name: 'logits', dtype: 'int8' });
    for (const op of g.ops) {
      const acts = [...op.inputs.filter((i) => i >= 0 && !g.tensors[i].data), ...op.outputs].map((i) => g.tensors[i]);
      expect(acts.every((t) => t.dtype === 'int8' && t.quant?.scale.length === 1)).toBe(true);
      if (['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type)) {
        const [x, w, b] = op.inputs.map((i) => g.tensors[i]);
        expect(w.dtype).toBe('int8');
        expect(b.dtype).toBe('int32');
        b.quant!.scale.forEach((s, c) => expect(s).toBe(Math.fround(Math.fround(x.quant!.scale[0]) * Math.fround(w.quant!.scale[w.quant!.scale.length === 1 ? 0 : c]))));
      }
    }
    // it tracks the fake-quant float graph (QDQ kept, weights dequantized) on real images
    const fake = prepareForInference(await importOnnxFile(QDQ), { keepQdq: true });
    expect(types(fake)).toContain('QUANTIZE');
    const ds = await openDataset({ data: '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz' });
    const fakeRun = prepareGraph(fake);
    const int8Run = prepareGraph(g);
    const out = g.tensors[g.outputs[0]].quant!;
    for (let i = 0; i < 5; i++) {
      const x = ds.sample(i).map((v) => v / 255);
      const want = runGraph(fakeRun, [x])[0] as Float32Array;
      const q = quantizeForTensor(x, input);
      const got = Array.from(runGraph(int8Run, [q])[0] as Int8Array, (v) => (v - out.zeroPoint[0]) * out.scale[0]);
      for (let k = 0; k < 10; k++) expect(Math.abs(got[k] - want[k])).toBeLessThan(4 * out.scale[0]);
      expect(got.indexOf(Math.max(...got))).toBe(want.indexOf(Math.max(...want)));
    }
  });
});
