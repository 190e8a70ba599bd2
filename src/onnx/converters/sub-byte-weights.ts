/**
 * 4-bit weights of ONNX QDQ models (opset 21: DequantizeLinear of an INT4 or UINT4 initializer,
 * per tensor, per axis, or blocked with `block_size`) → int8 IR weights restricted to int4, with
 * `weightEncoding` so they are stored packed (src/ir/weight-encoding.ts).
 *
 * Zero points: the IR's weights are symmetric, so the value kept is `q - zero_point`. UINT4 with
 * zero point 8 maps onto int4 exactly; any other zero point does as long as every `q - zero_point`
 * lies in [-8, 7], and is refused otherwise (the values would need a wider type).
 *
 * Blocked scales become the IR's per-group scales, which are a channel scale times an integer
 * multiplier 1..15 (so the int8 data, grid point times multiplier, stays within int8). A block
 * scale that is not such a multiple cannot be stored exactly, and the import says so rather than
 * silently changing the weights.
 */
import { UnsupportedOpError } from '../../errors.js';
import type { Quantization } from '../../ir/types.js';
import { MAX_GROUP_MULTIPLIER, SUB_BYTE_RANGE, type SubByteEncoding } from '../../ir/weight-encoding.js';
import type { OnnxContext } from '../context.js';
import { constNumbers, type ConstQuant, type OnnxConst, stridesOf } from '../tensors.js';
import type { NodeInfo } from '../values.js';

/** Relative tolerance for a block scale to count as channel scale x integer (float32 rounding). */
const MULTIPLE_TOLERANCE = 1e-5;

/** Expands a blocked parameter tensor (`axis` dimension ceil(D / size)) to one value per element. */
function expandBlocked(values: ArrayLike<number>, shape: readonly number[], axis: number, size: number): number[] {
  const blockShape = shape.map((d, i) => (i === axis ? Math.ceil(d / size) : d));
  const st = stridesOf(shape);
  const bst = stridesOf(blockShape);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let d = 0; d < shape.length; d++) {
      const idx = Math.floor(i / st[d]) % shape[d];
      b += (d === axis ? Math.floor(idx / size) : idx) * bst[d];
    }
    out[i] = values[b];
  }
  return out;
}

/**
 * DequantizeLinear of a 4-bit constant: the int4 values `q - zero_point` (zero points 0), with
 * per-element scales when blocked. `scaleShape` is the shape of the scale input.
 */
export function dequantizeFourBit(cx: OnnxContext, n: NodeInfo, c: OnnxConst, quant: ConstQuant, blockSize: number, scaleShape: readonly number[]): OnnxConst {
  const name = cx.inputName(n, 0) ?? '';
  const type = c.dtype === 'uint8' ? 'UINT4' : 'INT4';
  const count = c.data.length;
  let scale: number[];
  let zp: number[];
  if (blockSize > 0) {
    const want = c.shape.map((d, i) => (i === quant.axis ? Math.ceil(d / blockSize) : d));
    if (scaleShape.length !== want.length || scaleShape.some((d, i) => d !== want[i])) {
      cx.unsupported(n, `blocked scale of shape [${scaleShape.join(', ')}] does not fit ${type} weights [${c.shape.join(', ')}] with block_size ${blockSize} on axis ${quant.axis} (expected [${want.join(', ')}])`);
    }
    scale = expandBlocked(quant.scale, c.shape, quant.axis, blockSize);
    zp = expandBlocked(quant.zeroPoint, c.shape, quant.axis, blockSize);
  } else {
    const st = stridesOf(c.shape);
    const at = (i: number): number => (quant.scale.length === 1 ? 0 : Math.floor(i / st[quant.axis]) % c.shape[quant.axis]);
    scale = Array.from({ length: count }, (_, i) => quant.scale[at(i)]);
    zp = Array.from({ length: count }, (_, i) => quant.zeroPoint[at(i)] ?? 0);
  }
  const q = constNumbers(c);
  const data = new Int8Array(count);
  const { min, max } = SUB_BYTE_RANGE.int4;
  for (let i = 0; i < count; i++) {
    const v = q[i] - zp[i];
    if (v < min || v > max) {
      throw new UnsupportedOpError(
        `${n.label}: ${type} weights '${name}' with zero point ${zp[i]} hold ${q[i]} (q - zero point = ${v}, outside int4's [${min}, ${max}]); ` +
          `tinyml stores 4-bit weights as symmetric int4: use INT4 with zero point 0, or UINT4 with zero point 8`,
      );
    }
    data[i] = v;
  }
  const symmetric: ConstQuant = { ...quant, zeroPoint: quant.zeroPoint.map(() => 0) };
  const out: OnnxConst = { dtype: 'int8', shape: [...c.shape], data, quant: symmetric, dequantized: true, packedBits: 4 };
  if (blockSize > 0) out.blocks = { axis: quant.axis, size: blockSize, scale: Float32Array.from(scale) };
  return out;
}

/**
 * The IR data, quantization and encoding of 4-bit weights already permuted into the IR layout
 * (output channels on axis 0). Blocked weights must be blocked along the last axis (the one a
 * kernel reduces over: input channels of OHWI, inputs of [O, I]) with a block size that divides it.
 */
export function fourBitWeights(cx: OnnxContext, n: NodeInfo, name: string, t: OnnxConst): { data: Int8Array; quant: Quantization; encoding: SubByteEncoding } {
  const q = t.quant!;
  const data = t.data as Int8Array;
  if (!t.blocks) {
    return {
      data,
      quant: { scale: q.scale.map((s) => Math.fround(s)), zeroPoint: q.scale.map(() => 0), quantizedDimension: q.scale.length > 1 ? q.axis : 0 },
      encoding: { kind: 'int4' },
    };
  }
  const { axis, size, scale } = t.blocks;
  const last = t.shape.length - 1;
  if (axis !== last || t.shape.length < 2) {
    cx.unsupported(n, `weights '${name}' are blocked along an axis other than the one the layer sums over (tinyml's per-group scales run along the input dimension)`);
  }
  if (t.shape[last] % size !== 0) {
    cx.unsupported(n, `weights '${name}' have ${t.shape[last]} inputs per row, which block_size ${size} does not divide (tinyml's groups must cut every row evenly)`);
  }
  const channels = t.shape[0];
  const perChannel = data.length / channels;
  const groupsPerChannel = perChannel / size;
  const mmax = MAX_GROUP_MULTIPLIER.int4;
  const out = new Int8Array(data.length);
  const multipliers = new Uint8Array(channels * groupsPerChannel);
  const base: number[] = [];
  for (let ch = 0; ch < channels; ch++) {
    const s = Array.from({ length: groupsPerChannel }, (_, g) => scale[ch * perChannel + g * size]);
    const fit = channelMultipliers(s, mmax);
    if (!fit) {
      const shown = s.slice(0, 6).map((v) => v.toPrecision(6)).join(', ') + (s.length > 6 ? `, ... (${s.length} blocks)` : '');
      cx.unsupported(
        n,
        `weights '${name}': the block scales of output channel ${ch} (${shown}) are not one scale times integers 1..${mmax}, ` +
          `which is how tinyml stores per-group scales exactly; re-export them so, or quantize the float model with 'tinyml quantize --weights int4 --group-size ${size}'`,
      );
    }
    base.push(Math.fround(fit.base));
    multipliers.set(fit.multipliers, ch * groupsPerChannel);
    for (let k = 0; k < perChannel; k++) out[ch * perChannel + k] = data[ch * perChannel + k] * fit.multipliers[Math.floor(k / size)];
  }
  return {
    data: out,
    quant: { scale: base, zeroPoint: base.map(() => 0), quantizedDimension: 0 },
    encoding: { kind: 'int4', groups: { size, multipliers } },
  };
}

/** A base scale and integers 1..mmax with scales[g] = base * m[g], the largest base that works. */
function channelMultipliers(scales: number[], mmax: number): { base: number; multipliers: number[] } | undefined {
  const top = Math.max(...scales);
  if (!(top > 0) || scales.some((s) => !(s > 0))) return undefined;
  for (let m = 1; m <= mmax; m++) {
    const base = top / m;
    const ms = scales.map((s) => Math.round(s / base));
    if (ms.every((k, g) => k >= 1 && Math.abs(k * base - scales[g]) <= MULTIPLE_TOLERANCE * scales[g])) return { base, multipliers: ms };
  }
  return undefined;
}
