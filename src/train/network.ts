/**
 * A float IR graph as a trainable network: its weights as parameters, each op's geometry from the
 * op's own `prepare`, and the int8 quantization points of the deployed graph as fake quantizers.
 *
 * Quantization points mirror what `quantizeGraph` builds: every activation an op produces is int8
 * with its own scale and zero point, except the outputs of ops that must share their input's
 * parameters (MAX_POOL_2D, PAD, RESHAPE...: `sameQParams`), which share their input's quantizer;
 * the graph input is quantized with fixed parameters (its data range); weights per output channel;
 * biases as int32 at input scale × weight scale.
 */
import { UnsupportedOpError } from '../errors.js';
import type { Graph, Op, Tensor } from '../ir/types.js';
import { describeOp, elementCount } from '../ir/types.js';
import type { Conv2DFloatParams } from '../ops/conv2d.js';
import type { DepthwiseConv2DFloatParams } from '../ops/depthwise-conv2d.js';
import type { FullyConnectedFloatParams } from '../ops/fully-connected.js';
import type { PadParams } from '../ops/pad.js';
import type { Pool2DParams } from '../ops/pool2d.js';
import { getOpDef, opContext } from '../ops/registry.js';
import { clusterWeights } from '../quantize/cluster.js';
import { channelLayout, quantizeWeights } from '../quantize/qparams.js';
import { sameQParams, weightRule } from '../quantize/rules.js';
import {
  fakeQuantActivation,
  fakeQuantActivationBackward,
  fakeQuantRequant,
  layerRequant,
  meanRequant,
  fakeQuantClusteredWeights,
  fakeQuantClusteredWeightsBackward,
  fakeQuantWeights,
  fakeQuantWeightsBackward,
  initWeightScales,
  LEVEL_UNIT,
  type ActQuant,
  type WeightKind,
  type WeightLayout,
} from './fake-quant.js';
import {
  convBackward,
  convForward,
  denseBackward,
  denseForward,
  depthwiseBackward,
  depthwiseForward,
  maxPoolBackward,
  maxPoolForward,
  padBackward,
  padForward,
  spatialMeanBackward,
  spatialMeanForward,
  type ConvCache,
  type ConvGeom,
  type PadGeom,
  type PoolGeom,
} from './layers.js';

/** A layer's weights, bias and weight step sizes, with their gradients. */
export interface WeightParam {
  opIndex: number;
  kind: WeightKind;
  layout: WeightLayout;
  w: Float32Array;
  b?: Float32Array;
  scales: Float32Array;
  dw: Float32Array;
  db?: Float32Array;
  dscales: Float32Array;
  /**
   * Clustered layers: the table's size K and its levels as trained (units of LEVEL_UNIT int8
   * steps; `kind` is then 'int8', the range the levels live in), with their gradient.
   */
  clusters?: number;
  levels?: Float32Array;
  dlevels?: Float32Array;
}

/** How a layer's weights are quantized while training: a width, or K clusters (one table for the layer). */
export type LayerWeights = { kind: WeightKind } | { kind: 'clusters'; clusters: number };

type Layer =
  | { type: 'conv' | 'depthwise'; geom: ConvGeom; lo: number; hi: number }
  | { type: 'fc'; rows: number; k: number; outC: number; lo: number; hi: number }
  | { type: 'maxpool'; geom: PoolGeom }
  | { type: 'pad'; geom: PadGeom }
  | { type: 'mean'; hw: number; c: number }
  | { type: 'add'; lo: number; hi: number }
  | { type: 'clamp'; lo: number; hi: number }
  | { type: 'reshape' };

interface Node {
  op: Op;
  layer: Layer;
  input: number;
  /** Second activation input (ADD). */
  input2?: number;
  output: number;
  weights?: WeightParam;
  /** The output's quantizer; undefined when the output shares its input's (already on its grid). */
  outQuant?: ActQuant;
}

export interface Network {
  graph: Graph;
  nodes: Node[];
  weights: WeightParam[];
  /** Quantizer of every activation tensor id (shared objects where the deployed graph shares). */
  quant: Map<number, ActQuant>;
  /** Distinct learned activation quantizers, with their gradients. */
  learnedActs: { q: ActQuant; grad: number }[];
  input: number;
  output: number;
  /** Elements of one sample of the input and of the output. */
  inputSize: number;
  outputSize: number;
}

export interface NetworkOptions {
  /** Weight kind of every weight layer... */
  kind: WeightKind;
  /** ...except these op indices, which stay int8... */
  keepInt8?: ReadonlySet<number>;
  /** ...and these, by op index, quantized as given (a per-layer choice such as --flash-budget's). */
  layers?: ReadonlyMap<number, LayerWeights>;
}

function perSample(t: Tensor): number {
  return elementCount(t.shape.slice(1));
}

/** Builds the trainable network of a float graph (one input, one output, batch 1 as imported). */
export function buildNetwork(g: Graph, options: NetworkOptions): Network {
  if (g.inputs.length !== 1 || g.outputs.length !== 1) {
    throw new UnsupportedOpError(`finetune takes models with one input and one output; '${g.name}' has ${g.inputs.length} and ${g.outputs.length}`);
  }
  const input = g.inputs[0];
  const quant = new Map<number, ActQuant>();
  const learnedActs: Network['learnedActs'] = [];
  quant.set(input, { scale: 1, zeroPoint: 0, learned: false });
  const nodes: Node[] = [];
  const weights: WeightParam[] = [];
  const unsupported: string[] = [];
  for (const op of g.ops) {
    const activationIns = op.inputs.filter((id) => id >= 0 && !g.tensors[id].data);
    const node = buildNode(g, op, activationIns, options);
    if (!node) {
      unsupported.push(describeOp(g, op));
      continue;
    }
    if (node.weights) weights.push(node.weights);
    const same = sameQParams(op.type);
    const shared = same !== undefined && activationIns.length === 1 ? quant.get(activationIns[0]) : undefined;
    if (shared) quant.set(node.output, shared);
    else {
      const q: ActQuant = { scale: 1, zeroPoint: 0, learned: true };
      quant.set(node.output, q);
      learnedActs.push({ q, grad: 0 });
      node.outQuant = q;
    }
    nodes.push(node);
  }
  if (unsupported.length > 0) {
    throw new UnsupportedOpError(
      `finetune cannot train ${unsupported.length} op(s) of '${g.name}': ${unsupported.join('; ')} (it trains CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D, PAD, ADD, MEAN over H and W, RESHAPE, RELU, RELU6)`,
    );
  }
  return {
    graph: g,
    nodes,
    weights,
    quant,
    learnedActs,
    input,
    output: g.outputs[0],
    inputSize: perSample(g.tensors[input]),
    outputSize: perSample(g.tensors[g.outputs[0]]),
  };
}

function weightParam(g: Graph, op: Op, options: NetworkOptions): WeightParam {
  const rule = weightRule(op.type)!;
  const wt = g.tensors[op.inputs[rule.weights]];
  if (!(wt.data instanceof Float32Array)) throw new UnsupportedOpError(`${describeOp(g, op)}: its weights are not a float32 constant; finetune starts from a float model`);
  const biasId = op.inputs.length > rule.bias ? op.inputs[rule.bias] : -1;
  const bt = biasId >= 0 ? g.tensors[biasId] : undefined;
  if (bt && !(bt.data instanceof Float32Array)) throw new UnsupportedOpError(`${describeOp(g, op)}: its bias is not a float32 constant`);
  const spec: LayerWeights = options.keepInt8?.has(op.index) ? { kind: 'int8' } : (options.layers?.get(op.index) ?? { kind: options.kind });
  const layout = channelLayout(wt.shape, rule.axis ?? 0);
  const w = Float32Array.from(wt.data);
  const b = bt ? Float32Array.from(bt.data as Float32Array) : undefined;
  const common = { opIndex: op.index, layout, w, b, dw: new Float32Array(w.length), db: b ? new Float32Array(b.length) : undefined };
  if (spec.kind === 'clusters') {
    // The clustering quantizer's solution is the start: its table and its refitted channel scales.
    const axis = rule.axis ?? 0;
    const c = clusterWeights(w, wt.shape, axis, quantizeWeights(w, wt.shape, axis).quant.scale, { clusters: spec.clusters, scope: 'tensor' });
    const levels = Float32Array.from(new Set(c.data), (v) => v * LEVEL_UNIT).sort();
    const scales = Float32Array.from(c.scales);
    return { ...common, kind: 'int8', scales, dscales: new Float32Array(scales.length), clusters: spec.clusters, levels, dlevels: new Float32Array(levels.length) };
  }
  const scales = initWeightScales(w, layout, spec.kind);
  return { ...common, kind: spec.kind, scales, dscales: new Float32Array(scales.length) };
}

function buildNode(g: Graph, op: Op, ins: number[], options: NetworkOptions): Node | undefined {
  const output = op.outputs[0];
  const params = (): unknown => getOpDef(g, op).prepare(opContext(g, op));
  switch (op.type) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D': {
      const p = params() as Conv2DFloatParams | DepthwiseConv2DFloatParams;
      if ('groups' in p && p.groups !== 1) return undefined;
      const geom: ConvGeom = {
        batch: 1,
        inH: p.inputHeight,
        inW: p.inputWidth,
        inC: p.inputDepth,
        outH: p.outputHeight,
        outW: p.outputWidth,
        outC: p.outputDepth,
        fH: p.filterHeight,
        fW: p.filterWidth,
        strideH: p.strideHeight,
        strideW: p.strideWidth,
        dilH: p.dilationHeight,
        dilW: p.dilationWidth,
        padH: p.padHeight,
        padW: p.padWidth,
      };
      const type = op.type === 'CONV_2D' ? 'conv' : 'depthwise';
      return { op, layer: { type, geom, lo: p.activationMin, hi: p.activationMax }, input: ins[0], output, weights: weightParam(g, op, options) };
    }
    case 'FULLY_CONNECTED': {
      const p = params() as FullyConnectedFloatParams;
      return {
        op,
        layer: { type: 'fc', rows: p.batches, k: p.inputDepth, outC: p.outputDepth, lo: p.activationMin, hi: p.activationMax },
        input: ins[0],
        output,
        weights: weightParam(g, op, options),
      };
    }
    case 'MAX_POOL_2D': {
      const p = params() as Pool2DParams;
      if (p.activationMin > -3e38 || p.activationMax < 3e38) return undefined;
      const geom: PoolGeom = {
        batch: 1,
        inH: p.inputHeight,
        inW: p.inputWidth,
        c: p.depth,
        outH: p.outputHeight,
        outW: p.outputWidth,
        fH: p.filterH,
        fW: p.filterW,
        strideH: p.strideH,
        strideW: p.strideW,
        padH: p.padH,
        padW: p.padW,
      };
      return { op, layer: { type: 'maxpool', geom }, input: ins[0], output };
    }
    case 'PAD': {
      const p = params() as PadParams;
      if (p.inShape.slice(0, -4).some((d) => d !== 1) || p.padValue !== 0) return undefined;
      const inShape = p.inShape.slice(-4);
      const outShape = p.outShape.slice(-4);
      if (p.left.slice(-4)[0] !== 0 || p.right.slice(-4)[0] !== 0) return undefined;
      return { op, layer: { type: 'pad', geom: { inShape, outShape, before: p.left.slice(-4) } }, input: ins[0], output };
    }
    case 'MEAN': {
      const inT = g.tensors[ins[0]];
      const axes = g.tensors[op.inputs[1]]?.data;
      if (inT.shape.length !== 4 || !axes || axes.length !== 2) return undefined;
      const set = new Set(Array.from(axes as Int32Array, Number).map((a) => (a < 0 ? a + 4 : a)));
      if (!set.has(1) || !set.has(2)) return undefined;
      return { op, layer: { type: 'mean', hw: inT.shape[1] * inT.shape[2], c: inT.shape[3] }, input: ins[0], output };
    }
    case 'ADD': {
      if (ins.length !== 2) return undefined;
      const [a, b] = ins.map((id) => g.tensors[id].shape.join('x'));
      if (a !== b || a !== g.tensors[output].shape.join('x')) return undefined;
      const p = params() as { activationMin: number; activationMax: number };
      return { op, layer: { type: 'add', lo: p.activationMin, hi: p.activationMax }, input: ins[0], input2: ins[1], output };
    }
    case 'RELU':
      return { op, layer: { type: 'clamp', lo: 0, hi: Infinity }, input: ins[0], output };
    case 'RELU6':
      return { op, layer: { type: 'clamp', lo: 0, hi: 6 }, input: ins[0], output };
    case 'RESHAPE':
      return { op, layer: { type: 'reshape' }, input: ins[0], output };
    default:
      return undefined;
  }
}

/** What a forward pass keeps for the backward pass. */
export interface Trace {
  batch: number;
  quantized: boolean;
  /** Activation values (after fake quantization) by tensor id. */
  values: Map<number, Float32Array>;
  /** Pre-quantization values of each node output (z before clamp and fake quantization). */
  pre: Map<number, Float32Array>;
  /** Fake-quantized weights and biases of each weight node. */
  wHat: Map<number, Float32Array>;
  bHat: Map<number, Float32Array | undefined>;
  conv: Map<number, ConvCache>;
  argmax: Map<number, Int32Array>;
}

/** Bias as the int32 kernel adds it: round(b / (s_in · s_w[c])) · s_in · s_w[c]. */
function fakeQuantBias(b: Float32Array, inScale: number, wScales: Float32Array): Float32Array {
  const out = new Float32Array(b.length);
  const si = Math.fround(inScale);
  for (let c = 0; c < b.length; c++) {
    const s = Math.fround(si * wScales[wScales.length === 1 ? 0 : c]);
    const v = b[c] / s;
    out[c] = s * (v < 0 ? -Math.round(-v) : Math.round(v));
  }
  return out;
}

function withBatch<T extends { batch: number }>(geom: T, batch: number): T {
  return { ...geom, batch };
}

/**
 * Runs the network on a batch (`x`: batch × inputSize values). `quantized` false is the float
 * model (fused activations clamp, nothing is quantized); true is the fake-quantized one.
 */
export function forward(net: Network, x: Float32Array, batch: number, quantized: boolean): Trace {
  const tr: Trace = { batch, quantized, values: new Map(), pre: new Map(), wHat: new Map(), bHat: new Map(), conv: new Map(), argmax: new Map() };
  const inQ = net.quant.get(net.input)!;
  tr.pre.set(net.input, x);
  tr.values.set(net.input, quantized ? fakeQuantActivation(x, inQ, -Infinity, Infinity) : x);
  for (const node of net.nodes) runNode(net, node, tr);
  return tr;
}

/**
 * One layer alone: node `n`'s output for the given input activations (by tensor id, batch
 * `batch`), fake-quantized when `quantized`. Lets each layer be compared with its integer kernel.
 */
export function layerForward(net: Network, n: number, inputs: ReadonlyMap<number, Float32Array>, batch: number, quantized = true): Float32Array {
  const tr: Trace = { batch, quantized, values: new Map(inputs), pre: new Map(), wHat: new Map(), bHat: new Map(), conv: new Map(), argmax: new Map() };
  const node = net.nodes[n];
  runNode(net, node, tr);
  return tr.values.get(node.output)!;
}

function runNode(net: Network, node: Node, tr: Trace): void {
  const { batch, quantized } = tr;
  {
    const xin = tr.values.get(node.input)!;
    const L = node.layer;
    let z: Float32Array;
    let lo = -Infinity;
    let hi = Infinity;
    if (node.weights) {
      const p = node.weights;
      const w = !quantized ? p.w : p.levels ? fakeQuantClusteredWeights(p.w, p.scales, p.layout, p.levels) : fakeQuantWeights(p.w, p.scales, p.layout, p.kind);
      const b = p.b && quantized ? fakeQuantBias(p.b, net.quant.get(node.input)!.scale, p.scales) : p.b;
      tr.wHat.set(node.op.index, w);
      tr.bHat.set(node.op.index, b);
      if (L.type === 'conv') {
        const r = convForward(xin, w, b, withBatch(L.geom, batch));
        z = r.y;
        tr.conv.set(node.op.index, r.cache);
      } else if (L.type === 'depthwise') z = depthwiseForward(xin, w, b, withBatch(L.geom, batch));
      else if (L.type === 'fc') z = denseForward(xin, w, b, L.rows * batch, L.k, L.outC);
      else throw new Error('unreachable');
      lo = (L as { lo: number }).lo;
      hi = (L as { hi: number }).hi;
    } else if (L.type === 'maxpool') {
      const r = maxPoolForward(xin, withBatch(L.geom, batch));
      z = r.y;
      tr.argmax.set(node.op.index, r.argmax);
    } else if (L.type === 'pad') {
      const geom = { ...L.geom, inShape: [batch, ...L.geom.inShape.slice(1)], outShape: [batch, ...L.geom.outShape.slice(1)] };
      // Padding with 0 in float is padding with the zero point in int8 (0 is exactly representable).
      z = padForward(xin, geom, 0);
    } else if (L.type === 'mean') z = spatialMeanForward(xin, batch, L.hw, L.c);
    else if (L.type === 'add') {
      const x2 = tr.values.get(node.input2!)!;
      z = new Float32Array(xin.length);
      for (let i = 0; i < z.length; i++) z[i] = xin[i] + x2[i];
      lo = L.lo;
      hi = L.hi;
    } else if (L.type === 'clamp') {
      z = xin;
      lo = L.lo;
      hi = L.hi;
    } else z = xin;
    tr.pre.set(node.output, z);
    let y: Float32Array;
    const inQ = net.quant.get(node.input)!;
    if (quantized && node.outQuant && node.weights) y = fakeQuantRequant(z, node.outQuant, lo, hi, layerRequant(inQ.scale, node.weights.scales, node.outQuant.scale));
    else if (quantized && node.outQuant && L.type === 'mean') y = fakeQuantRequant(z, node.outQuant, lo, hi, meanRequant(inQ.scale, node.outQuant.scale, L.hw));
    else if (quantized && node.outQuant) y = fakeQuantActivation(z, node.outQuant, lo, hi);
    else if (lo > -Infinity || hi < Infinity) {
      y = new Float32Array(z.length);
      for (let i = 0; i < z.length; i++) y[i] = z[i] < lo ? lo : z[i] > hi ? hi : z[i];
    } else y = z;
    tr.values.set(node.output, y);
  }
}

function addGrad(grads: Map<number, Float32Array>, id: number, size: number): Float32Array {
  let g = grads.get(id);
  if (!g) {
    g = new Float32Array(size);
    grads.set(id, g);
  }
  return g;
}

/**
 * Back-propagates `dOut` (gradient of the loss with respect to the output values) through a
 * quantized trace, accumulating into every parameter's and quantizer's gradient.
 */
export function backward(net: Network, tr: Trace, dOut: Float32Array): void {
  const grads = new Map<number, Float32Array>();
  grads.set(net.output, dOut);
  const actGrad = new Map<ActQuant, { grad: number }>(net.learnedActs.map((a) => [a.q, a]));
  for (let n = net.nodes.length - 1; n >= 0; n--) {
    const node = net.nodes[n];
    const dy = grads.get(node.output);
    if (!dy) continue;
    const z = tr.pre.get(node.output)!;
    const L = node.layer;
    const lo = 'lo' in L ? L.lo : -Infinity;
    const hi = 'hi' in L ? L.hi : Infinity;
    let dz: Float32Array;
    if (tr.quantized && node.outQuant) {
      dz = new Float32Array(z.length);
      const ds = fakeQuantActivationBackward(z, node.outQuant, lo, hi, dy, dz, z.length / tr.batch);
      actGrad.get(node.outQuant)!.grad += ds;
    } else if (lo > -Infinity || hi < Infinity) {
      dz = new Float32Array(z.length);
      for (let i = 0; i < z.length; i++) if (z[i] > lo && z[i] < hi) dz[i] = dy[i];
    } else dz = dy;
    const inSize = tr.values.get(node.input)!.length;
    // The graph input needs no gradient.
    const dx = node.input === net.input ? undefined : addGrad(grads, node.input, inSize);
    if (node.weights) {
      const p = node.weights;
      const w = tr.wHat.get(node.op.index)!;
      const dwHat = tr.quantized ? new Float32Array(p.w.length) : p.dw;
      if (L.type === 'conv') convBackward(tr.conv.get(node.op.index)!, w, dz, withBatch(L.geom, tr.batch), dwHat, p.db, dx);
      else if (L.type === 'depthwise') depthwiseBackward(tr.values.get(node.input)!, w, dz, withBatch(L.geom, tr.batch), dwHat, p.db, dx);
      else if (L.type === 'fc') denseBackward(tr.values.get(node.input)!, w, dz, L.rows * tr.batch, L.k, L.outC, dwHat, p.db, dx);
      if (tr.quantized && p.levels) fakeQuantClusteredWeightsBackward(p.w, p.scales, p.layout, p.levels, dwHat, p.dw, p.dscales, p.dlevels!);
      else if (tr.quantized) fakeQuantWeightsBackward(p.w, p.scales, p.layout, p.kind, dwHat, p.dw, p.dscales);
    } else if (L.type === 'maxpool') {
      if (dx) maxPoolBackward(tr.argmax.get(node.op.index)!, dz, dx);
    } else if (L.type === 'pad') {
      const geom = { ...L.geom, inShape: [tr.batch, ...L.geom.inShape.slice(1)], outShape: [tr.batch, ...L.geom.outShape.slice(1)] };
      if (dx) padBackward(dz, geom, dx);
    } else if (L.type === 'mean') {
      if (dx) spatialMeanBackward(dz, tr.batch, L.hw, L.c, dx);
    } else if (L.type === 'add') {
      if (dx) for (let i = 0; i < dz.length; i++) dx[i] += dz[i];
      if (node.input2 !== net.input) {
        const dx2 = addGrad(grads, node.input2!, dz.length);
        for (let i = 0; i < dz.length; i++) dx2[i] += dz[i];
      }
    } else if (dx) for (let i = 0; i < dz.length; i++) dx[i] += dz[i];
  }
}

/** Zeroes every gradient. */
export function zeroGrads(net: Network): void {
  for (const p of net.weights) {
    p.dw.fill(0);
    p.db?.fill(0);
    p.dscales.fill(0);
    p.dlevels?.fill(0);
  }
  for (const a of net.learnedActs) a.grad = 0;
}
