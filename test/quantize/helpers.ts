/**
 * Helpers for quantizer tests: a small float-graph builder, random data, and a checker of the
 * TFLite int8 / 16x8 quantization specification on a quantized graph.
 */
import type { OpAttrs, OpType } from '../../src/ir/attrs.js';
import type { Graph, Op, Tensor, TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import { sameQParams, weightRule } from '../../src/quantize/rules.js';
import type { CalibrationSample } from '../../src/quantize/calibrate.js';

import { mulberry32 as rng } from '../../src/random.js';

export { rng };

export function randomFloats(n: number, r: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Builds float32 graphs op by op. */
export class GraphBuilder {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  readonly inputs: number[] = [];

  constructor(readonly name = 'test') {}

  private add(t: Omit<Tensor, 'id'>): number {
    const id = this.tensors.length;
    this.tensors.push({ ...t, id });
    return id;
  }

  input(shape: number[], name = `input${this.inputs.length}`): number {
    const id = this.add({ name, shape, dtype: 'float32' });
    this.inputs.push(id);
    return id;
  }

  constant(shape: number[], data: TensorData, name = `const${this.tensors.length}`): number {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    return this.add({ name, shape, dtype, data });
  }

  op<T extends OpType>(type: T, inputs: number[], outShape: number[], attrs: OpAttrs[T], name = `${type.toLowerCase()}${this.ops.length}`): number {
    const out = this.add({ name, shape: outShape, dtype: 'float32' });
    this.ops.push({ index: this.ops.length, type, inputs, outputs: [out], attrs } as Op);
    return out;
  }

  build(outputs: number[]): Graph {
    return { name: this.name, tensors: this.tensors, ops: this.ops, inputs: this.inputs, outputs };
  }
}

export const NONE = { activation: 'NONE' as const };
export const RELU = { activation: 'RELU' as const };
export const conv = (stride = 1, padding: 'SAME' | 'VALID' = 'SAME', activation: 'NONE' | 'RELU' | 'RELU6' = 'RELU') => ({
  padding,
  strideH: stride,
  strideW: stride,
  dilationH: 1,
  dilationW: 1,
  activation,
});

function close(a: number, b: number, rel = 1e-5): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}

/** Everything in `q` that breaks the TFLite int8 / 16x8 quantization spec (empty = conforms). */
export function specViolations(q: Graph): string[] {
  const bad: string[] = [];
  const t = (id: number): Tensor => q.tensors[id];
  const where = (op: Op): string => `op #${op.index} ${op.type}`;
  for (const id of [...q.inputs, ...q.outputs]) {
    const x = t(id);
    if (x.dtype !== 'int8' || x.quant?.scale.length !== 1) bad.push(`graph io '${x.name}' is ${x.dtype} (want per-tensor int8)`);
  }
  for (const op of q.ops) {
    const rule = weightRule(op.type);
    for (const [k, id] of op.inputs.entries()) {
      if (id < 0) continue;
      const x = t(id);
      if (x.dtype === 'float32') bad.push(`${where(op)} input ${k} '${x.name}' is float32`);
      if (rule && (k === rule.weights || k === rule.bias)) continue;
      if ((x.dtype === 'int8' || x.dtype === 'int16') && (!x.quant || x.quant.scale.length !== 1)) bad.push(`${where(op)} input ${k} '${x.name}' is not per-tensor quantized`);
      if (x.dtype === 'int16' && x.quant?.zeroPoint[0] !== 0) bad.push(`${where(op)} int16 input '${x.name}' has zero point ${x.quant?.zeroPoint[0]}`);
    }
    for (const id of op.outputs) {
      const x = t(id);
      if (x.dtype !== 'int8' && x.dtype !== 'int16') bad.push(`${where(op)} output '${x.name}' is ${x.dtype}`);
      if (x.dtype === 'int16' && x.quant?.zeroPoint[0] !== 0) bad.push(`${where(op)} int16 output '${x.name}' has zero point ${x.quant?.zeroPoint[0]}`);
    }
    const out = t(op.outputs[0]);
    if (rule) {
      const w = t(op.inputs[rule.weights]);
      const x = t(op.inputs[rule.input]);
      if (w.dtype !== 'int8') bad.push(`${where(op)} weights are ${w.dtype}`);
      if (!w.quant || w.quant.zeroPoint.some((z) => z !== 0)) bad.push(`${where(op)} weights are not symmetric`);
      if ((w.data as Int8Array).some((v) => v < -127)) bad.push(`${where(op)} weights use -128`);
      if (w.quant && w.quant.scale.length > 1 && w.quant.quantizedDimension !== rule.axis) bad.push(`${where(op)} weights per-channel along ${w.quant.quantizedDimension}, want ${rule.axis}`);
      const biasId = op.inputs[rule.bias];
      if (biasId !== undefined && biasId >= 0) {
        const b = t(biasId);
        const want = x.dtype === 'int16' ? 'int64' : 'int32';
        if (b.dtype !== want) bad.push(`${where(op)} bias is ${b.dtype}, want ${want}`);
        const ws = w.quant!.scale;
        const bs = b.quant?.scale ?? [];
        const n = elementCount(b.shape);
        for (let c = 0; c < n; c++) {
          const expect = x.quant!.scale[0] * ws[ws.length === 1 ? 0 : c];
          const got = bs[bs.length === 1 ? 0 : c];
          if (!close(got, expect)) {
            bad.push(`${where(op)} bias scale ${got} at channel ${c}, want input x weight scale ${expect}`);
            break;
          }
        }
        if (b.quant?.zeroPoint.some((z) => z !== 0)) bad.push(`${where(op)} bias zero point is not 0`);
      }
    }
    const oq = out.quant;
    if (out.dtype === 'int8' && oq) {
      if ((op.type === 'SOFTMAX' || op.type === 'LOGISTIC') && (oq.scale[0] !== 1 / 256 || oq.zeroPoint[0] !== -128)) bad.push(`${where(op)} output is not 1/256, -128`);
      if (op.type === 'TANH' && (oq.scale[0] !== 1 / 128 || oq.zeroPoint[0] !== 0)) bad.push(`${where(op)} output is not 1/128, 0`);
    }
    const same = sameQParams(op.type);
    if (same) {
      const slots = same === 'first' ? [0] : same === 'all' ? op.inputs.map((_, i) => i) : same;
      for (const s of slots) {
        const id = op.inputs[s];
        if (id === undefined || id < 0) continue;
        const iq = t(id).quant;
        if (t(id).dtype === out.dtype && (iq?.scale[0] !== oq?.scale[0] || iq?.zeroPoint[0] !== oq?.zeroPoint[0])) {
          bad.push(`${where(op)} input ${s} quantization differs from the output's`);
        }
      }
    }
  }
  return bad;
}

/** A conv (8 channels) → depthwise → reshape → dense (10) net with random weights: one layer of each weight op. */
export function convDepthwiseDenseNet(name: string, seed = 1): Graph {
  const r = rng(seed);
  const b = new GraphBuilder(name);
  const x = b.input([1, 6, 6, 4], 'image');
  const w1 = b.constant([8, 3, 3, 4], randomFloats(8 * 36, r, -0.5, 0.5), 'w1');
  const b1 = b.constant([8], randomFloats(8, r, -0.1, 0.1), 'b1');
  const c1 = b.op('CONV_2D', [x, w1, b1], [1, 6, 6, 8], conv(1, 'SAME', 'RELU'), 'conv1');
  const dw = b.constant([1, 3, 3, 8], randomFloats(72, r, -1, 1), 'dw');
  const dwb = b.constant([8], randomFloats(8, r, -0.1, 0.1), 'dwb');
  const d1 = b.op('DEPTHWISE_CONV_2D', [c1, dw, dwb], [1, 6, 6, 8], { ...conv(1, 'SAME', 'NONE'), depthMultiplier: 1 }, 'dw1');
  const shape = b.constant([2], Int32Array.from([1, 288]), 'shape');
  const flat = b.op('RESHAPE', [d1, shape], [1, 288], {}, 'flat');
  const fw = b.constant([10, 288], randomFloats(2880, r, -0.2, 0.2), 'fw');
  const fb = b.constant([10], randomFloats(10, r, -0.1, 0.1), 'fb');
  const y = b.op('FULLY_CONNECTED', [flat, fw, fb], [1, 10], { activation: 'NONE', keepNumDims: false }, 'logits');
  return b.build([y]);
}

/** `n` samples of uniform [0, 1) values for each of `g`'s inputs. */
export function randomSamples(g: Graph, n: number, seed = 3): CalibrationSample[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => g.inputs.map((id) => randomFloats(g.tensors[id].shape.reduce((a, c) => a * c, 1), r, 0, 1)));
}
