/**
 * QDQ float islands: `DEQUANTIZE(x_q) → MUL(k) → ADD(b) → QUANTIZE` with per-channel constants,
 * as ONNX Runtime's quantizer leaves an unfolded BatchNormalization (quantize_static without its
 * pre-processing). The float ops compute `y = k[c] * x + b[c]` on the dequantized int8 tensor and
 * the QUANTIZE rounds the result: that is one int8 per-channel affine op, and this pass lowers it
 * to a 1x1 DEPTHWISE_CONV_2D on the int8 tensors, whose kernel (bit-exact with TFLite Micro) does
 * exactly `requantize(w[c] * (x_q - z_x) + bias[c])` with one rounding, like the float island.
 *
 * Weights and bias: w[c] = ±127 with per-channel scale |k[c]| / 127 (k[c] = 0: w = 0), bias
 * round(b[c] / (s_x * s_w[c])) in int32. The result is the float island's rounded to the output
 * grid, up to float32 rounding of the scales and a bias error of at most 1/254 of an input step
 * times |k[c]|. When the int8 tensor is a convolution's output, the island is NOT folded into
 * that convolution: the model rounds the convolution's result to int8 before the affine op, and
 * removing that rounding computes another function (on ORT's Fashion-MNIST fixture, 91.3% top-1
 * instead of ORT's own 87.9%). A MUL/ADD straight after a convolution, with no quantization in
 * between, is folded into the convolution by `foldBatchNorm`.
 *
 * Max pooling, ReLU, reshapes and zero padding between the affine op and the QUANTIZE (ONNX
 * Runtime's QOperator format leaves DQ → BatchNorm → Relu → MaxPool → Q) commute with the
 * quantization and run on the int8 result with the QUANTIZE's parameters, exactly.
 *
 * `floatIslands` lists the float ops that remain between a DEQUANTIZE and a QUANTIZE after all
 * passes: they have no int8 kernel, so code generation cannot run them.
 */
import type { FusedActivation } from '../ir/attrs.js';
import type { Graph, Op, Quantization } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { roundHalfAwayFromZero } from '../fixedpoint.js';
import { affineOf } from './batchnorm-fold.js';
import { runnable } from './runnable.js';
import { addTensor, consumersOf, lowerQdqIslands, makeOp, producersOf, uniqueConsumers } from './graph-utils.js';

const INT32_MAX = 2147483647;

/**
 * Ops f with Q(f(y)) == f'(Q(y)) exactly, f' the op on int8 with the same quantization: quantizing
 * is monotone (max pooling and ReLU commute with it; Q(0) is the zero point that RELU and PAD use).
 */
const COMMUTES_WITH_QUANTIZE = new Set(['MAX_POOL_2D', 'RELU', 'RELU6', 'RESHAPE', 'SQUEEZE', 'PAD']);

/** The int8 per-tensor activation a float tensor is the DEQUANTIZE of. */
function dqSource(g: Graph, producers: Map<number, Op>, id: number): number | undefined {
  const p = producers.get(id);
  if (!p || p.type !== 'DEQUANTIZE') return undefined;
  const src = g.tensors[p.inputs[0]];
  if (src.data || src.dtype !== 'int8' || !src.quant || src.quant.scale.length !== 1) return undefined;
  return src.id;
}

function activationOf(op: Op): FusedActivation {
  return (op.attrs as { activation?: FusedActivation }).activation ?? 'NONE';
}

/** Builds the 1x1 depthwise op for y = k * x + b; undefined when the bias does not fit int32. */
function depthwiseFor(g: Graph, xq: number, yq: number, k: Float64Array, b: Float64Array, activation: FusedActivation, name: string): Op | undefined {
  const C = k.length;
  const sx = Math.fround(g.tensors[xq].quant!.scale[0]);
  const w = new Int8Array(C);
  const sw: number[] = [];
  const bias = new Int32Array(C);
  const biasScale: number[] = [];
  for (let c = 0; c < C; c++) {
    w[c] = k[c] > 0 ? 127 : k[c] < 0 ? -127 : 0;
    // A zero factor keeps a positive scale: the kernel's multiplier must be positive.
    const s = k[c] === 0 ? 1 : Math.fround(Math.abs(k[c]) / 127);
    if (!(s > 0) || !Number.isFinite(s)) return undefined;
    sw.push(s);
    const bs = Math.fround(sx * s);
    biasScale.push(bs);
    const q = roundHalfAwayFromZero(b[c] / bs);
    if (!Number.isFinite(q) || Math.abs(q) > INT32_MAX) return undefined;
    bias[c] = q;
  }
  const wq: Quantization = { scale: sw, zeroPoint: new Array<number>(C).fill(0), quantizedDimension: 3 };
  const wId = addTensor(g, { name: `${name}/affine_weights`, shape: [1, 1, 1, C], dtype: 'int8', data: w, quant: wq });
  const bq: Quantization = { scale: biasScale, zeroPoint: new Array<number>(C).fill(0), quantizedDimension: 0 };
  const bId = addTensor(g, { name: `${name}/affine_bias`, shape: [C], dtype: 'int32', data: bias, quant: bq });
  return makeOp('DEPTHWISE_CONV_2D', [xq, wId, bId], [yq], { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, depthMultiplier: 1, activation });
}

/** Lowers one island; true when the graph changed. */
function lowerOne(g: Graph): boolean {
  const consumers = consumersOf(g);
  const producers = producersOf(g);
  for (const first of g.ops) {
    const a = affineOf(g, first);
    if (!a) continue;
    const xq = dqSource(g, producers, a.x);
    if (xq === undefined || g.tensors[xq].shape.length !== 4) continue;
    const C = a.values.length;
    const k = new Float64Array(C).fill(1);
    const b = new Float64Array(C);
    const chain = [first];
    let last = first;
    const apply = (af: typeof a): void => {
      if (af.kind === 'mul') for (let c = 0; c < C; c++) (k[c] *= af.values[c]), (b[c] *= af.values[c]);
      else for (let c = 0; c < C; c++) b[c] += af.values[c];
    };
    apply(a);
    // MUL then ADD (BatchNorm), or a longer chain, as long as no activation sits in between.
    for (;;) {
      if (activationOf(last) !== 'NONE') break;
      const out = last.outputs[0];
      if (g.outputs.includes(out)) break;
      const readers = uniqueConsumers(consumers, out);
      if (readers.length !== 1) break;
      const next = affineOf(g, readers[0]);
      if (!next || next.x !== out || next.values.length !== C) break;
      apply(next);
      last = readers[0];
      chain.push(last);
    }
    // Ops between the affine op and the QUANTIZE that commute with quantization run on int8 after it.
    const tail: Op[] = [];
    let end = last;
    let quantize: Op | undefined;
    for (;;) {
      const out = end.outputs[0];
      if (g.outputs.includes(out)) break;
      const readers = uniqueConsumers(consumers, out);
      if (readers.length !== 1) break;
      const r = readers[0];
      if (r.type === 'QUANTIZE') {
        quantize = r;
        break;
      }
      if (!COMMUTES_WITH_QUANTIZE.has(r.type) || r.inputs[0] !== out || r.outputs.length !== 1) break;
      if (r.inputs.slice(1).some((i) => i >= 0 && !g.tensors[i].data)) break;
      tail.push(r);
      end = r;
    }
    if (!quantize) continue;
    const yq = quantize.outputs[0];
    const yt = g.tensors[yq];
    if (yt.dtype !== 'int8' || !yt.quant || yt.quant.scale.length !== 1) continue;
    const tensorsBefore = g.tensors.length;
    const int8Like = (floatId: number): number =>
      addTensor(g, { name: `${g.tensors[floatId].name}/quantized`, shape: g.tensors[floatId].shape, dtype: 'int8', quant: { ...yt.quant!, scale: [...yt.quant!.scale], zeroPoint: [...yt.quant!.zeroPoint] } });
    const dwOut = tail.length ? int8Like(last.outputs[0]) : yq;
    const dw = depthwiseFor(g, xq, dwOut, k, b, activationOf(last), g.tensors[last.outputs[0]].name);
    let prev = dwOut;
    const newTail = tail.map((op, i) => {
      const out = i === tail.length - 1 ? yq : int8Like(op.outputs[0]);
      const o = makeOp(op.type, [prev, ...op.inputs.slice(1)], [out], op.attrs as never);
      prev = out;
      return o;
    });
    if (!dw || ![dw, ...newTail].every((o) => runnable(g, o))) {
      g.tensors.length = tensorsBefore;
      continue;
    }
    const at = g.ops.indexOf(first);
    newTail.forEach((o, i) => (g.ops[g.ops.indexOf(tail[i])] = o));
    const drop = new Set<Op>([...chain, quantize]);
    g.ops = g.ops.filter((o) => !drop.has(o));
    g.ops.splice(Math.min(at, g.ops.length), 0, dw);
    return true;
  }
  return false;
}

/** Lowers every per-channel affine float island between a DEQUANTIZE and a QUANTIZE to int8. */
export function lowerAffineIslands(graph: Graph): Graph {
  return lowerQdqIslands(graph, lowerOne);
}

/**
 * Float ops left between quantized tensors: ops with a float output that read a DEQUANTIZE'd
 * activation or feed a QUANTIZE. Empty for an all-int8 graph and for a float graph.
 */
export function floatIslands(g: Graph): Op[] {
  const consumers = consumersOf(g);
  const producers = producersOf(g);
  return g.ops.filter((op) => {
    if (op.type === 'QUANTIZE' || op.type === 'DEQUANTIZE') return false;
    if (!op.outputs.some((o) => g.tensors[o].dtype === 'float32')) return false;
    const readsDq = op.inputs.some((i) => i >= 0 && producers.get(i)?.type === 'DEQUANTIZE' && !g.tensors[producers.get(i)!.inputs[0]].data);
    const feedsQ = op.outputs.some((o) => (consumers.get(o) ?? []).some((c) => c.type === 'QUANTIZE'));
    return readsDq || feedsQ;
  });
}

/** The message for a graph whose float islands cannot be generated as C (undefined when there are none). */
export function floatIslandError(g: Graph): string | undefined {
  const ops = floatIslands(g);
  if (ops.length === 0) return undefined;
  const list = ops.map((op) => `  ${describeOp(g, op)} float32`).join('\n');
  const onnx = g.meta?.format === 'onnx';
  return (
    `${ops.length} float op${ops.length === 1 ? '' : 's'} between quantized tensors (a "float island" of a QDQ model) ${ops.length === 1 ? 'has' : 'have'} no int8 kernel:\n${list}\n` +
    (onnx
      ? "Quantize the model again after ONNX Runtime's pre-processing, which folds BatchNormalization into the convolutions: " +
        'onnxruntime.quantization.quant_pre_process(model, pre_model) (or python -m onnxruntime.quantization.preprocess --input model.onnx --output model.pre.onnx), then quantize_static on the pre-processed model.'
      : 'Quantize the model so that every op between quantized tensors has an int8 kernel.')
  );
}
