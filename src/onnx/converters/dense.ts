/** Gemm and MatMul by a constant matrix → FULLY_CONNECTED; MatMul of two activations → BATCH_MATMUL. */
import { ModelFormatError } from '../../errors.js';
import { elementCount, type TensorData } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import { broadcastTo, constFloat, type OnnxConst, transposeConst } from '../tensors.js';
import { type NodeInfo, orderEquivalent, type TensorValue } from '../values.js';

/** FULLY_CONNECTED from weights [out, in] (ONNX orientation of Gemm with transB=1). */
export function dense(cx: OnnxContext, n: NodeInfo, x: TensorValue, w: OnnxConst, wName: string, bias: { name: string; data: Float32Array } | undefined, keepNumDims: boolean): void {
  const [units, inDim] = w.shape;
  const xIn = x.onnxShape[x.onnxShape.length - 1];
  if (xIn !== inDim) throw new ModelFormatError(`${n.label}: input has ${xIn} features, weights expect ${inDim}`);
  let wc = w;
  if (x.flatten) {
    // IR column j (HWC order) must read ONNX column (CHW order) of the same element.
    const { c: C, h: H, w: W } = x.flatten;
    const perm = new Int32Array(inDim);
    for (let h = 0; h < H; h++) for (let ww = 0; ww < W; ww++) for (let c = 0; c < C; c++) perm[(h * W + ww) * C + c] = c * H * W + h * W + ww;
    if (wc.quant && wc.quant.scale.length > 1 && wc.quant.axis === 1) cx.unsupported(n, 'weights quantized per input feature cannot be permuted');
    if (wc.blocks) cx.unsupported(n, 'block-quantized weights after a Flatten of a feature map (whose columns tinyml reorders from CHW to HWC) are not supported');
    const data = wc.data.slice() as TensorData;
    for (let o = 0; o < units; o++) for (let j = 0; j < inDim; j++) (data as Float32Array)[o * inDim + j] = (wc.data as Float32Array)[o * inDim + perm[j]];
    wc = { ...wc, data };
  }
  const weights = cx.weightTensor(wName, wc, undefined, n);
  const inputs = [x.id, weights];
  if (bias) inputs.push(cx.addTensor(bias.name, [units], 'float32', { data: bias.data }));
  const outShape = keepNumDims ? [...x.onnxShape.slice(0, -1), units] : [elementCount(x.onnxShape) / inDim, units];
  const out = cx.outputTensor(n, 0, outShape, false, 'float32');
  cx.emit('FULLY_CONNECTED', inputs, [out.id], { activation: 'NONE', keepNumDims });
}

export function gemm(cx: OnnxContext, n: NodeInfo): void {
  const a = cx.tensorIn(n, 0, 'A');
  if (a.onnxShape.length !== 2) cx.unsupported(n, `A has shape [${a.onnxShape.join(', ')}]; Gemm needs a 2-D input`);
  if (cx.attrInt(n, 'transA', 0) !== 0) cx.unsupported(n, 'transA=1 is not supported');
  let w = cx.constIn(n, 1, 'B');
  if (w.shape.length !== 2) throw new ModelFormatError(`${n.label}: B has shape [${w.shape.join(', ')}], expected 2-D`);
  if (cx.attrInt(n, 'transB', 0) === 0) w = transposeConst(w, [1, 0]);
  const alpha = cx.attrFloat(n, 'alpha', 1);
  const beta = cx.attrFloat(n, 'beta', 1);
  if (alpha !== 1) {
    if (w.dequantized) cx.unsupported(n, `alpha=${alpha} with quantized weights is not supported`);
    w = { ...w, dtype: 'float32', data: constFloat(w).map((v) => v * alpha) };
  }
  const units = w.shape[0];
  const c = cx.optionalConst(n, 2, 'C');
  let bias: { name: string; data: Float32Array } | undefined;
  if (c) {
    const cs = c.shape;
    if (elementCount(cs) !== 1 && cs[cs.length - 1] !== units) cx.unsupported(n, `bias C of shape [${cs.join(', ')}] is not a per-output vector of ${units}`);
    if (cs.length === 2 && cs[0] !== 1) cx.unsupported(n, `bias C of shape [${cs.join(', ')}] varies per row`);
    bias = { name: cx.inputName(n, 2)!, data: Float32Array.from(broadcastTo(constFloat(c), cs.length ? [elementCount(cs)] : [1], [units]), (v) => v * beta) };
  }
  dense(cx, n, a, w, cx.inputName(n, 1)!, bias, false);
}

export function matmul(cx: OnnxContext, n: NodeInfo): void {
  const a = cx.tensorIn(n, 0, 'A');
  const bv = cx.requireValue(n, 1, 'B');
  if (bv.kind !== 'const') return batchMatmul(cx, n, a, cx.tensorIn(n, 1, 'B'));
  if (bv.c.shape.length !== 2) cx.unsupported(n, `B has shape [${bv.c.shape.join(', ')}]; tinyml supports a 2-D weight matrix`);
  if (a.onnxShape.length < 2) cx.unsupported(n, `A has shape [${a.onnxShape.join(', ')}]; MatMul needs at least 2-D`);
  if (a.nhwc && !orderEquivalent(a)) cx.unsupported(n, 'MatMul on a rank-4 NCHW activation is not supported');
  dense(cx, n, a, transposeConst(bv.c, [1, 0]), cx.inputName(n, 1)!, undefined, a.onnxShape.length > 2);
}

/**
 * MatMul of two activations (attention scores, bilinear layers): numpy matmul semantics, which
 * BATCH_MATMUL has for ranks 2 to 5 (batch dimensions broadcast). Both operands must be in ONNX
 * element order (not an NCHW activation held as NHWC).
 */
function batchMatmul(cx: OnnxContext, n: NodeInfo, a: TensorValue, b: TensorValue): void {
  for (const [v, what] of [[a, 'A'], [b, 'B']] as const) {
    if (v.onnxShape.length < 2 || v.onnxShape.length > 5) cx.unsupported(n, `${what} has shape [${v.onnxShape.join(', ')}]; a MatMul of two activations needs ranks 2 to 5`);
    if (!orderEquivalent(v)) cx.unsupported(n, `${what} is a rank-4 NCHW activation that tinyml holds as NHWC; a MatMul of two activations needs it in ONNX order`);
  }
  const as = a.onnxShape;
  const bs = b.onnxShape;
  if (as[as.length - 1] !== bs[bs.length - 2]) throw new ModelFormatError(`${n.label}: A [${as.join(', ')}] and B [${bs.join(', ')}] do not agree on the summed dimension`);
  const rank = Math.max(as.length, bs.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [ab, bb] = [pad(as), pad(bs)];
  const batch = ab.slice(0, -2).map((d, i) => {
    const e = bb[i];
    if (d !== e && d !== 1 && e !== 1) throw new ModelFormatError(`${n.label}: batch dimensions of A [${as.join(', ')}] and B [${bs.join(', ')}] do not broadcast`);
    return d === 1 ? e : d;
  });
  const out = cx.outputTensor(n, 0, [...batch, as[as.length - 2], bs[bs.length - 1]], false, 'float32');
  cx.emit('BATCH_MATMUL', [a.id, b.id], [out.id], { adjX: false, adjY: false, asymmetricQuantizeInputs: false });
}