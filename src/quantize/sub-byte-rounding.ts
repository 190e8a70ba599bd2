/**
 * Plain rounding of an int8 model's weights to a sub-byte width: a stand-in to build int4, int2,
 * ternary and binary models from int8 ones (for tests and the bench) until the calibrated
 * quantizer (`quantize --weights`) produces them. Per output channel the weights get a new scale
 * (int4 / int2: the channel's largest |w| maps to the top of the range; ternary and binary: the
 * mean magnitude), the int32 bias is rescaled to the new weight scale, and the weights tensor is
 * marked with the encoding. Accuracy is whatever plain rounding gives: this is not a quantizer.
 */
import type { Graph, Tensor } from '../ir/types.js';
import type { SubByteKind } from '../ir/weight-encoding.js';
import { exclusiveInt8Layers, tensorUses } from './int8-layer-weights.js';

/** Which axis of each layer's weights holds the output channels. */
function channelAxis(type: string): number {
  return type === 'DEPTHWISE_CONV_2D' ? 3 : 0;
}

/**
 * A copy of `graph` with every int8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED weight tensor
 * (symmetric, constant, used by that layer only) rounded to `kind`. Other tensors are shared with
 * the input graph, unchanged. Returns the graph and how many layers were rounded.
 */
export function roundWeightsToSubByte(graph: Graph, kind: SubByteKind): { graph: Graph; layers: number } {
  const tensors: Tensor[] = graph.tensors.slice();
  const uses = tensorUses(graph);
  let layers = 0;
  for (const { op, wId, w } of exclusiveInt8Layers(graph, uses)) {
    const bId = op.inputs[2];
    const bias = bId !== undefined && bId >= 0 ? graph.tensors[bId] : undefined;
    if (bias && (bias.dtype !== 'int32' || !bias.data || uses.get(bId) !== 1)) continue;
    const axis = channelAxis(op.type);
    const channels = w.shape[axis];
    const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const data = w.data as Int8Array;
    const perChannel = w.quant.scale.length > 1;
    const groups = perChannel ? channels : 1;
    const groupOf = (i: number) => (perChannel ? Math.floor(i / inner) % channels : 0);
    const oldScale = w.quant.scale;
    // Per group: the factor f with new value = round(w / f), new scale = old scale * f.
    const f = new Array<number>(groups).fill(0);
    const sumAbs = new Array<number>(groups).fill(0);
    const count = new Array<number>(groups).fill(0);
    for (let i = 0; i < data.length; i++) {
      const g = groupOf(i);
      const a = Math.abs(data[i]);
      f[g] = Math.max(f[g], a);
      sumAbs[g] += a;
      count[g]++;
    }
    for (let g = 0; g < groups; g++) {
      const mean = count[g] ? sumAbs[g] / count[g] : 0;
      if (kind === 'int4') f[g] = f[g] / 7.5;
      else if (kind === 'int2') f[g] = f[g] / 1.5;
      else f[g] = mean;
      if (!(f[g] > 0)) f[g] = 1;
    }
    const out = new Int8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const g = groupOf(i);
      const x = data[i] / f[g];
      out[i] =
        kind === 'int4' ? clamp(Math.round(x), -8, 7)
        : kind === 'int2' ? clamp(Math.round(x), -2, 1)
        : kind === 'ternary' ? (Math.abs(x) < 0.5 ? 0 : Math.sign(x))
        : x < 0 ? -1 : 1;
    }
    const scale = oldScale.map((s, g) => Math.fround(s * f[g]));
    tensors[wId] = { ...w, data: out, quant: { ...w.quant, scale }, weightEncoding: { kind } };
    if (bias) {
      const b = bias.data as Int32Array;
      const nb = Int32Array.from(b, (v, c) => {
        const s = scale[perChannel ? c : 0];
        const o = oldScale[perChannel ? c : 0];
        return clamp(Math.round((v * o) / s), -2147483648, 2147483647);
      });
      const bq = bias.quant ? { ...bias.quant, scale: bias.quant.scale.map((s, c) => Math.fround((s * scale[perChannel ? c : 0]) / oldScale[perChannel ? c : 0])) } : undefined;
      tensors[bId] = { ...bias, data: nb, ...(bq ? { quant: bq } : {}) };
    }
    layers++;
  }
  return { graph: { ...graph, tensors }, layers };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
