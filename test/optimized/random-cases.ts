/**
 * Random cases for the optimized-kernel tests: int8 ops with random shapes, strides, dilation,
 * padding, zero points, per-tensor or per-channel scales, and kinds that steer towards each
 * requantization mode (huge biases: REF; scales >= 0.5: REF; tiny scales: FAST without folding;
 * dead channels: constant outputs) or towards a layout (nibble-packable weights).
 */
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { Conv2DAttrs } from '../../src/ops/conv2d.js';
import type { DepthwiseConv2DAttrs } from '../../src/ops/depthwise-conv2d.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import { add, sub } from '../../src/ops/add-sub.js';
import { averagePool2d } from '../../src/ops/pool2d.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';
import type { VariantCase } from './harness.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'NONE', 'NONE'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** A random int8 conv case. `kind` steers towards a requantization mode. */
/** 'weights-zp': per-tensor weights with a zero point, as a legacy uint8 model's become in int8. */
/** 'stem': a 3x3 stride-2 "same" layer on few input channels, as an image model's first layer. */
export function randomConvCase(seed: number, kind: 'fast' | 'big-bias' | 'big-scale' | 'huge-scale' | 'tiny-scale' | 'pointwise' | 'dead' | 'weights-zp' | 'stem' = 'fast'): VariantCase {
  const r = rng(seed);
  const pointwise = kind === 'pointwise' || r() < 0.2;
  const stem = kind === 'stem';
  const fh = stem ? 3 : pointwise ? 1 : int(r, 1, 5);
  const fw = stem ? 3 : pointwise ? 1 : int(r, 1, 5);
  const dil = stem || pointwise || r() < 0.7 ? 1 : 2;
  const stride = stem ? 2 : pointwise && r() < 0.7 ? 1 : int(r, 1, 3);
  const padding = stem ? 'SAME' : pointwise ? 'VALID' : pick(r, ['SAME', 'VALID'] as const);
  const inH = stem ? int(r, 6, 16) : int(r, Math.max(1, (fh - 1) * dil + 1), 11);
  const inW = stem ? int(r, 6, 16) : int(r, Math.max(1, (fw - 1) * dil + 1), 11);
  const inC = stem ? int(r, 1, 4) : r() < 0.5 ? 4 * int(r, 1, 6) : int(r, 1, 13);
  const outC = stem ? int(r, 2, 2 * inC + 2) : int(r, 1, 19);
  const batches = stem ? 1 : r() < 0.15 ? 2 : 1;
  const perChannel = kind === 'dead' || (kind !== 'weights-zp' && r() < 0.7);
  const a: Conv2DAttrs = {
    padding,
    strideH: stride,
    strideW: stem || pointwise ? stride : int(r, 1, 3),
    dilationH: dil,
    dilationW: dil,
    activation: pick(r, ACTIVATIONS),
  };
  return convCase(r, kind, { batches, inH, inW, inC, outC, fh, fw, perChannel }, a);
}

/** The shape of a conv case (convCaseOfShape). */
export interface ConvShape {
  batches: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  fh: number;
  fw: number;
  perChannel: boolean;
}

/** A conv case of exactly this shape and these attributes, random weights, bias, scales and zero points (scales of `kind`). */
export function convCaseOfShape(seed: number, shape: ConvShape, a: Conv2DAttrs, kind: Parameters<typeof randomConvCase>[1] = 'fast'): VariantCase {
  return convCase(rng(seed), kind, shape, a);
}

function convCase(r: () => number, kind: Parameters<typeof randomConvCase>[1], s: ConvShape, a: Conv2DAttrs): VariantCase {
  const { batches, inH, inW, inC, outC, fh, fw, perChannel } = s;
  const scales = Array.from({ length: perChannel ? outC : 1 }, () => (kind === 'big-scale' ? 0.5 + r() * 3 : kind === 'huge-scale' ? 2 ** int(r, 16, 24) : kind === 'tiny-scale' ? 2 ** -int(r, 20, 30) : 0.002 + r() * 0.02));
  if (perChannel && r() < 0.3) scales[int(r, 0, scales.length - 1)] = 0;
  const weights = randomInt8(outC * fh * fw * inC, r);
  const biasRange = kind === 'big-bias' ? 2 ** 31 - 1 : 3000;
  const bias = kind === 'dead' || r() < 0.9 ? randomInt32(outC, r, -biasRange, biasRange) : undefined;
  if (kind === 'dead') killChannels(r, scales, bias!);
  const inSpec = { shape: [batches, inH, inW, inC], dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(r, -128, 127) } };
  const wSpec = {
    shape: [outC, fh, fw, inC],
    dtype: 'int8' as const,
    quant: { scale: scales, zeroPoint: kind === 'weights-zp' ? [int(r, -128, 127)] : scales.map(() => 0), quantizedDimension: 0 },
    data: weights,
  };
  const bSpec = bias ? { shape: [outC], dtype: 'int32' as const, data: bias } : undefined;
  const probe = singleOpContext('CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape: [], dtype: 'int8' }]);
  const [shape] = conv2d.inferShapes(probe);
  const ctx = singleOpContext('CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape, dtype: 'int8', quant: { scale: 0.1 + r() * 0.2, zeroPoint: int(r, -128, 127) } }]);
  const params = conv2d.prepare(ctx);
  const input = randomInt8(batches * inH * inW * inC, r);
  return { ctx, params, inputs: [input, weights, bias] };
}

/** Dead channels: a bias far beyond what the weights can add and a tiny scale (constant output). */
export function killChannels(r: () => number, scales: number[], bias: Int32Array): void {
  const n = 1 + Math.floor(r() * Math.min(3, scales.length));
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * scales.length);
    scales[c] = 2 ** -(24 + Math.floor(r() * 8));
    bias[c] = (r() < 0.5 ? -1 : 1) * Math.floor(2 ** 29 + r() * (2 ** 31 - 1 - 2 ** 29));
  }
}

/** 'weights-zp' / 'depth1-zp': per-tensor weights with a zero point (legacy uint8 models). */
export type DwKind = 'fast' | 'k3' | 'big-bias' | 'big-scale' | 'huge-scale' | 'tiny-scale' | 'dead' | 'depth1' | 'weights-zp' | 'depth1-zp';

/** Fixed parts of a depthwise case (the rest stays random). */
export interface DwShape {
  inH: number;
  inW: number;
  inC: number;
  strideH: number;
  strideW: number;
  padding: 'SAME' | 'VALID';
  activation: FusedActivation;
  batches: number;
  /** A 3x3 filter whatever the kind. */
  k3: boolean;
}

export function randomDwCase(seed: number, kind: DwKind = 'fast', depthMultiplier = 1, fixed: Partial<DwShape> = {}): VariantCase {
  const r = rng(seed);
  const k3 = kind === 'k3' || r() < 0.3 || fixed.k3 === true;
  const fh = k3 ? 3 : int(r, 1, 5);
  const fw = k3 ? 3 : int(r, 1, 5);
  const dil = k3 || r() < 0.7 ? 1 : 2;
  const stride = fixed.strideH ?? int(r, 1, 2);
  const padding = fixed.padding ?? pick(r, ['SAME', 'VALID'] as const);
  const inH = fixed.inH ?? int(r, (fh - 1) * dil + 1, 12);
  const inW = fixed.inW ?? int(r, (fw - 1) * dil + 1, 12);
  const inC = fixed.inC ?? (kind === 'depth1' || kind === 'depth1-zp' ? 1 : r() < 0.5 ? 4 * int(r, 1, 5) : int(r, 1, 13));
  const outC = inC * depthMultiplier;
  const batches = fixed.batches ?? (r() < 0.15 ? 2 : 1);
  const weightsZp = kind === 'weights-zp' || kind === 'depth1-zp';
  const perChannel = kind === 'dead' || (!weightsZp && r() < 0.7);
  const a: DepthwiseConv2DAttrs = {
    padding,
    strideH: stride,
    strideW: fixed.strideW ?? int(r, 1, 2),
    dilationH: dil,
    dilationW: dil,
    depthMultiplier,
    activation: fixed.activation ?? pick(r, ACTIVATIONS),
  };
  const scales = Array.from({ length: perChannel ? outC : 1 }, () =>
    kind === 'big-scale' ? 0.5 + r() * 3 : kind === 'huge-scale' ? 2 ** int(r, 16, 24) : kind === 'tiny-scale' ? 2 ** -int(r, 20, 30) : 0.002 + r() * 0.05,
  );
  if (perChannel && r() < 0.3) scales[int(r, 0, scales.length - 1)] = 0;
  const weights = randomInt8(fh * fw * outC, r);
  const biasRange = kind === 'big-bias' ? 2 ** 31 - 1 : 3000;
  const bias = kind === 'dead' || r() < 0.9 ? randomInt32(outC, r, -biasRange, biasRange) : undefined;
  if (kind === 'dead') killChannels(r, scales, bias!);
  const inSpec = { shape: [batches, inH, inW, inC], dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(r, -128, 127) } };
  const wSpec = {
    shape: [1, fh, fw, outC],
    dtype: 'int8' as const,
    quant: { scale: scales, zeroPoint: weightsZp ? [int(r, -128, 127)] : scales.map(() => 0), quantizedDimension: 3 },
    data: weights,
  };
  const bSpec = bias ? { shape: [outC], dtype: 'int32' as const, data: bias } : undefined;
  const probe = singleOpContext('DEPTHWISE_CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape: [], dtype: 'int8' }]);
  const [shape] = depthwiseConv2d.inferShapes(probe);
  const ctx = singleOpContext('DEPTHWISE_CONV_2D', a, [inSpec, wSpec, bSpec], [
    { shape, dtype: 'int8', quant: { scale: 0.05 + r() * 0.2, zeroPoint: int(r, -128, 127) } },
  ]);
  const params = depthwiseConv2d.prepare(ctx);
  const input = randomInt8(batches * inH * inW * inC, r);
  return { ctx, params, inputs: [input, weights, bias] };
}

/**
 * 'pair': symmetric weights ([-127, 127], as TFLite's int8 weights), for the paired-row layout;
 * 'pair-fallback': the same with one half that int16 cannot hold (w_b = -128, w_a < 0), which
 * forces the four-row layout; 'pair-long': rows of 700 to 2,600 large symmetric weights, whose
 * 256 * dot_b leaves int32 over the whole row (the kernel then sums it chunk by chunk).
 */
export type FcKind = 'fast' | 'big-bias' | 'big-scale' | 'huge-scale' | 'tiny-scale' | 'nibble' | 'dead' | 'long' | 'pair' | 'pair-fallback' | 'pair-long';

export function randomFcCase(seed: number, kind: FcKind = 'fast', weightsZeroPoint = 0): VariantCase {
  const r = rng(seed);
  const nibble = kind === 'nibble';
  const pair = kind === 'pair' || kind === 'pair-fallback' || kind === 'pair-long';
  const k = kind === 'long' ? int(r, 1030, 2600) : kind === 'pair-long' ? int(r, 700, 2600) : nibble ? int(r, 64, 200) : pair ? int(r, 1, 300) : r() < 0.5 ? 4 * int(r, 1, 40) : int(r, 1, 150);
  const n = kind === 'long' ? int(r, 1, 9) : nibble ? int(r, 16, 41) : pair ? int(r, kind === 'pair-fallback' ? 2 : 1, 40) : int(r, 1, 23);
  const batches = r() < 0.2 ? int(r, 2, 3) : 1;
  const perChannel = kind === 'dead' || (weightsZeroPoint === 0 && r() < 0.5);
  const scales = Array.from({ length: perChannel ? n : 1 }, () =>
    kind === 'big-scale' ? 0.5 + r() * 3 : kind === 'huge-scale' ? 2 ** int(r, 16, 24) : kind === 'tiny-scale' ? 2 ** -int(r, 20, 30) : 0.001 + r() * 0.01,
  );
  // Nibble cases: mostly small weights (they pack into 4 bits), a few outliers anywhere.
  const weights = nibble ? Int8Array.from(randomInt8(n * k, r), (w, i) => (i % 61 === 3 || r() < 0.01 ? w : w >> 4)) : randomInt8(n * k, r);
  if (pair) weights.forEach((w, i) => (weights[i] = kind === 'pair-long' ? (w < 0 ? -1 : 1) * int(r, 100, 127) : w === -128 ? -127 : w));
  if (kind === 'pair-fallback') {
    const rb = 2 * int(r, 0, Math.floor(n / 2) - 1) + 1;
    const col = int(r, 0, k - 1);
    weights[rb * k + col] = -128;
    weights[(rb - 1) * k + col] = -int(r, 1, 127);
  }
  const biasRange = kind === 'big-bias' ? 2 ** 31 - 1 : 5000;
  const bias = kind === 'dead' || r() < 0.85 ? randomInt32(n, r, -biasRange, biasRange) : undefined;
  if (kind === 'dead') killChannels(r, scales, bias!);
  const inSpec = { shape: [batches, k], dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(r, -128, 127) } };
  const wSpec = {
    shape: [n, k],
    dtype: 'int8' as const,
    quant: { scale: scales, zeroPoint: scales.map(() => weightsZeroPoint), quantizedDimension: 0 },
    data: weights,
  };
  const bSpec = bias ? { shape: [n], dtype: 'int32' as const, data: bias } : undefined;
  const attrs = { activation: pick(r, ACTIVATIONS), keepNumDims: false };
  const ctx = singleOpContext('FULLY_CONNECTED', attrs, [inSpec, wSpec, bSpec], [
    { shape: [batches, n], dtype: 'int8', quant: { scale: 0.05 + r() * 0.2, zeroPoint: int(r, -128, 127) } },
  ]);
  const params = fullyConnected.prepare(ctx);
  return { ctx, params, inputs: [randomInt8(batches * k, r), weights, bias] };
}


const ADD_SUB_ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'NONE'];

/**
 * A random int8 ADD or SUB without broadcasting: random shape (or `shape`), scales, zero points,
 * activation. `outputRescale`: the output's scale chosen so that the output's rescale factor
 * (2 * the larger input scale / (2^20 * output scale)) is this.
 */
export function randomAddSubCase(type: 'ADD' | 'SUB', seed: number, shape?: number[], outputRescale?: number): VariantCase {
  const r = rng(seed);
  const dims = shape ?? Array.from({ length: int(r, 1, 4) }, () => int(r, 1, 9));
  const q = () => ({ scale: 0.01 + r() * (r() < 0.3 ? 2 : 0.2), zeroPoint: int(r, -128, 127) });
  const activation = ADD_SUB_ACTIVATIONS[int(r, 0, ADD_SUB_ACTIVATIONS.length - 1)];
  const inputs = [{ shape: dims, dtype: 'int8' as const, quant: q() }, { shape: dims, dtype: 'int8' as const, quant: q() }];
  const out = q();
  const ctx = singleOpContext(type, { activation }, inputs, [{ shape: dims, dtype: 'int8', quant: outputRescale === undefined ? out : { ...out, scale: (2 * Math.max(inputs[0].quant.scale, inputs[1].quant.scale)) / (2 ** 20 * outputRescale) } }]);
  const def = type === 'ADD' ? add : sub;
  const n = dims.reduce((a, b) => a * b, 1);
  return { ctx, params: def.prepare(ctx as never), inputs: [randomInt8(n, r), randomInt8(n, r)] };
}

/** Every byte pair once (a [256, 256] case): the whole function of two inputs. */
export function everyBytePairCase(type: 'ADD' | 'SUB', seed: number): VariantCase {
  const all = randomAddSubCase(type, seed, [256, 256]);
  const a = new Int8Array(65536);
  const b = new Int8Array(65536);
  for (let i = 0; i < 65536; i++) {
    a[i] = (i >> 8) - 128;
    b[i] = (i & 255) - 128;
  }
  all.inputs = [a, b];
  return all;
}

/**
 * A random int8 AVERAGE_POOL_2D: depths that are and are not multiples of four, SAME and VALID
 * padding (windows clipped at the edges), strides, fused activations; `global`: one window over
 * the whole input (the models' final pooling); `fixed`: a global window over a size x size x
 * depth input filled with one value.
 */
export function randomAvgPoolCase(seed: number, global = false, fixed?: { size: number; depth: number; value: number }): VariantCase {
  const r = rng(seed);
  const inH = fixed?.size ?? int(r, 1, global ? 25 : 12);
  const inW = fixed?.size ?? int(r, 1, global ? 10 : 12);
  const depth = fixed?.depth ?? (r() < 0.5 ? 4 * int(r, 1, 20) : int(r, 1, 70));
  const batches = fixed ? 1 : r() < 0.15 ? 2 : 1;
  const attrs = global
    ? { padding: 'VALID' as const, strideH: 1, strideW: 1, filterH: inH, filterW: inW, activation: pick(r, ACTIVATIONS) }
    : {
        padding: pick(r, ['SAME', 'VALID'] as const),
        strideH: int(r, 1, 3),
        strideW: int(r, 1, 3),
        filterH: int(r, 1, Math.min(inH, 6)),
        filterW: int(r, 1, Math.min(inW, 6)),
        activation: pick(r, ACTIVATIONS),
      };
  const q = { scale: 0.02 + r() * 0.1, zeroPoint: int(r, -128, 127) };
  const inSpec = { shape: [batches, inH, inW, depth], dtype: 'int8' as const, quant: q };
  const probe = singleOpContext('AVERAGE_POOL_2D', attrs, [inSpec], [{ shape: [], dtype: 'int8' }]);
  const [shape] = averagePool2d.inferShapes(probe);
  const ctx = singleOpContext('AVERAGE_POOL_2D', attrs, [inSpec], [{ shape, dtype: 'int8', quant: q }]);
  const input = fixed ? new Int8Array(inH * inW * depth).fill(fixed.value) : randomInt8(batches * inH * inW * depth, r);
  return { ctx, params: averagePool2d.prepare(ctx), inputs: [input] };
}
