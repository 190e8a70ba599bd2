/**
 * The fake-quantized forward pass that training sees equals the deployed integer graph, layer by
 * layer: each layer, fed the integer reference's input activations (dequantized), produces after
 * fake quantization exactly the int8 codes the reference kernel produces, for every weight width.
 */
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/dataset.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { loadOnnxModel } from '../../src/onnx/index.js';
import { quantizeInput } from '../../src/quantize/index.js';
import { fitsEncoding } from '../../src/ir/weight-encoding.js';
import { LEVEL_UNIT, WEIGHT_KINDS } from '../../src/train/fake-quant.js';
import { calibrateNetwork, toIntegerGraph, type TrainingData } from '../../src/train/finetune.js';
import { buildNetwork, layerForward, type LayerWeights, type Network } from '../../src/train/network.js';
import { fashionModelPath, FASHION_TEST, requireFashionMnist } from '../quantize/fashion.js';

async function testImages(count: number): Promise<TrainingData> {
  requireFashionMnist([FASHION_TEST]);
  const ds = await openDataset({ data: FASHION_TEST });
  return {
    count,
    labels: ds.labels.subarray(0, count),
    input(i, out, offset) {
      const s = ds.sample(i);
      for (let k = 0; k < s.length; k++) out[offset + k] = s[k] / 255;
    },
  };
}

function dequantize(t: Tensor, data: Int8Array): Float32Array {
  const s = t.quant!.scale[0];
  const z = t.quant!.zeroPoint[0];
  return Float32Array.from(data, (q) => s * (q - z));
}

function codes(t: Tensor, y: Float32Array): Int8Array {
  const s = t.quant!.scale[0];
  const z = t.quant!.zeroPoint[0];
  return Int8Array.from(y, (v) => Math.max(-128, Math.min(127, Math.round(v / s) + z)));
}

/** Every layer of `net`, fed the integer reference's input activations, gives its int8 codes. */
function compareLayers(net: Network, q: Graph, data: TrainingData): void {
  const x = new Float32Array(net.inputSize);
  const prepared = prepareGraph(q);
  let compared = 0;
  let saturated = 0;
  for (let i = 0; i < data.count; i++) {
    data.input(i, x, 0);
    const outputs = new Map<number, Int8Array>();
    const inT = q.tensors[q.inputs[0]];
    outputs.set(inT.id, quantizeInput(inT, x) as Int8Array);
    runGraph(prepared, [outputs.get(inT.id)!], { onStep: (step, outs) => outputs.set(step.op.outputs[0], outs[0] as Int8Array) });
    net.nodes.forEach((node, n) => {
      const ins = new Map<number, Float32Array>();
      for (const id of [node.input, node.input2]) if (id !== undefined) ins.set(id, dequantize(q.tensors[id], outputs.get(id)!));
      const y = layerForward(net, n, ins, 1, true);
      const outT = q.tensors[node.output];
      const want = outputs.get(node.output)!;
      const got = codes(outT, y);
      expect({ layer: n, op: node.op.type, codes: Array.from(got) }).toEqual({ layer: n, op: node.op.type, codes: Array.from(want) });
      compared += want.length;
      saturated += want.filter((v) => v === 127).length;
    });
  }
  expect(compared).toBeGreaterThan(100_000);
  expect(saturated).toBeGreaterThan(0);
}

describe('fake quantization equals the integer reference, per layer', () => {
  for (const kind of WEIGHT_KINDS) {
    it(`${kind} weights (Fashion CNN, 3 test images, every layer)`, async () => {
      const graph: Graph = await loadOnnxModel(fashionModelPath());
      const net = buildNetwork(graph, { kind });
      const data = await testImages(3);
      calibrateNetwork(net, data, 3);
      // Move every learned step off its calibrated value (as training does), so that some
      // activations saturate: the clamp must match too.
      net.learnedActs.forEach((a, k) => {
        a.q.scale = Math.fround(a.q.scale * (k % 2 === 0 ? 0.8 : 1.1));
      });
      const x = new Float32Array(net.inputSize);
      data.input(0, x, 0);
      const q = toIntegerGraph(net, x);
      expect(q.ops.map((o) => o.type)).toEqual(graph.ops.map((o) => o.type));
      // Every weight tensor holds codes of its width, and says so in its encoding.
      for (const p of net.weights) {
        const w = q.tensors[q.ops[p.opIndex].inputs[1]];
        expect(w.weightEncoding).toEqual(kind === 'int8' ? undefined : { kind });
        if (w.weightEncoding) expect(Array.from(w.data as Int8Array).every((v) => fitsEncoding(w.weightEncoding!, v))).toBe(true);
        else expect(Math.min(...(w.data as Int8Array))).toBeGreaterThanOrEqual(-127);
      }
      compareLayers(net, q, data);
    }, 60_000);
  }

  it('a per-layer mix with trained cluster levels (the --flash-budget and --clusters networks)', async () => {
    const graph: Graph = await loadOnnxModel(fashionModelPath());
    const weightOps = graph.ops.filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type)).map((op) => op.index);
    const mix: LayerWeights[] = [{ kind: 'int8' }, { kind: 'clusters', clusters: 16 }, { kind: 'ternary' }, { kind: 'clusters', clusters: 4 }, { kind: 'int4' }, { kind: 'clusters', clusters: 8 }, { kind: 'binary' }];
    const layers = new Map(weightOps.map((index, k) => [index, mix[k % mix.length]]));
    const net = buildNetwork(graph, { kind: 'int8', layers });
    const clustered = net.weights.filter((p) => p.levels);
    expect(clustered.length).toBeGreaterThanOrEqual(3);
    const data = await testImages(3);
    calibrateNetwork(net, data, 3);
    net.learnedActs.forEach((a, k) => {
      a.q.scale = Math.fround(a.q.scale * (k % 2 === 0 ? 0.8 : 1.1));
    });
    // Levels off the int8 grid, as training leaves them: the forward pass must round them as written.
    for (const p of clustered) p.levels!.forEach((u, k) => (p.levels![k] = u + (k % 2 === 0 ? 0.3 : -0.45) * LEVEL_UNIT));
    const x = new Float32Array(net.inputSize);
    data.input(0, x, 0);
    const q = toIntegerGraph(net, x);
    for (const p of net.weights) {
      const w = q.tensors[q.ops[p.opIndex].inputs[1]];
      const want = layers.get(p.opIndex)!;
      if (want.kind === 'clusters') {
        const enc = w.weightEncoding;
        if (enc?.kind !== 'lut') throw new Error(`op ${p.opIndex}: no lookup table`);
        expect([enc.entries, enc.scope, enc.indices.length]).toEqual([want.clusters, 'tensor', w.data!.length]);
        expect(Array.from(enc.indices, (i) => enc.table[i])).toEqual(Array.from(w.data as Int8Array));
      } else expect(w.weightEncoding).toEqual(want.kind === 'int8' ? undefined : { kind: want.kind });
    }
    compareLayers(net, q, data);
  }, 60_000);
});
