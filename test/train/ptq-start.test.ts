/**
 * Training starts from the post-training quantizer's solution: the untrained network, started from
 * the PTQ graph (GPTQ-rounded int4 weights with their scales; int8 rounded to nearest), converts
 * back to exactly that graph (every tensor's data and quantization), and its fake-quantized forward
 * pass gives the reference interpreter's outputs on that graph.
 */
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/dataset.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { loadOnnxModel } from '../../src/onnx/index.js';
import { quantizeInput } from '../../src/quantize/index.js';
import { postTrainingGraph, startFromGraph, toIntegerGraph } from '../../src/train/finetune.js';
import { buildNetwork, forward } from '../../src/train/network.js';
import { fashionModelPath, FASHION_TEST, requireFashionMnist } from '../quantize/fashion.js';

function weightOps(g: Graph): number[] {
  return g.ops.filter((o) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(o.type)).map((o) => o.index);
}

async function images(count: number): Promise<Float32Array[]> {
  requireFashionMnist([FASHION_TEST]);
  const ds = await openDataset({ data: FASHION_TEST });
  return Array.from({ length: count }, (_, i) => Float32Array.from(ds.sample(i), (v) => v / 255));
}

describe('the untrained network is the post-training quantized graph', () => {
  const cases = [
    ['int8', 'minmax'],
    ['int4', 'minmax'],
    ['int8', 'percentile'],
    ['clusters16', 'minmax'],
  ] as const;
  for (const [kind, calibration] of cases) {
    it(`${kind}, ${calibration} ranges: same tensors, and the fake-quant forward pass gives the interpreter's outputs`, async () => {
      const graph: Graph = await loadOnnxModel(fashionModelPath());
      // clusters16: every weight layer with one 16-level table (the error-minimizing clustering's
      // table and scales become the levels and step sizes).
      const layers = kind === 'clusters16' ? new Map(weightOps(graph).map((i) => [i, { kind: 'clusters' as const, clusters: 16 }])) : undefined;
      const net = buildNetwork(graph, { kind: kind === 'clusters16' ? 'int8' : kind, layers });
      const samples = await images(48);
      const ptq = postTrainingGraph(net, samples.slice(0, 16), calibration);
      startFromGraph(net, ptq);
      const back = toIntegerGraph(net, samples[0]);
      expect(back.tensors.length).toBe(ptq.tensors.length);
      for (let id = 0; id < ptq.tensors.length; id++) {
        const [a, b] = [back.tensors[id], ptq.tensors[id]];
        // A clustered table is rewritten from the levels used (same values, maybe fewer entries).
        const enc = (t: typeof a): unknown => (kind === 'clusters16' ? t.weightEncoding?.kind : t.weightEncoding);
        expect({ id, dtype: a.dtype, quant: a.quant, enc: enc(a) }).toEqual({ id, dtype: b.dtype, quant: b.quant, enc: enc(b) });
        if (b.data) expect(Array.from(a.data!, Number)).toEqual(Array.from(b.data, Number));
      }
      if (kind === 'int4') {
        // GPTQ's codes are not all the nearest rounding of the float weights: the latent weights
        // are the dequantized codes, not the float weights.
        const moved = net.weights.some((p) => {
          const float = graph.tensors[graph.ops[p.opIndex].inputs[1]].data as Float32Array;
          const { inner, channels } = p.layout;
          return Array.from(float).some((w, i) => {
            const sc = p.scales[Math.floor(i / inner) % channels];
            return Math.max(-8, Math.min(7, Math.round(w / sc))) !== Math.round(p.w[i] / sc);
          });
        });
        expect(moved).toBe(true);
      }
      // The rest of the samples, not used for calibration: outputs equal code for code.
      const prepared = prepareGraph(ptq);
      const inT = ptq.tensors[ptq.inputs[0]];
      const outT = ptq.tensors[ptq.outputs[0]];
      const rest = samples.slice(16);
      const x = new Float32Array(rest.length * net.inputSize);
      rest.forEach((s, k) => x.set(s, k * net.inputSize));
      const y = forward(net, x, rest.length, true).values.get(net.output)!;
      const s = outT.quant!.scale[0];
      const z = outT.quant!.zeroPoint[0];
      rest.forEach((sample, k) => {
        const [ref] = runGraph(prepared, [quantizeInput(inT, sample)]);
        const mine = Array.from(y.subarray(k * net.outputSize, (k + 1) * net.outputSize), (v) => Math.round(v / s) + z);
        expect(mine).toEqual(Array.from(ref as Int8Array));
      });
    }, 120_000);
  }
});
