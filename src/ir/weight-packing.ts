/**
 * Bit packing of sub-byte weights (see weight-encoding.ts): the layout TFLite uses for its INT4
 * and INT2 tensors (the flattened values, low bits first: two per byte for 4 bits, four per byte
 * for 2 bits, the last byte's unused high bits zero), and 1 bit per weight for binary weights
 * in the firmware (bit set = +1, clear = -1; TFLite has no 1-bit type).
 */
import type { SubByteKind, WeightEncoding } from './weight-encoding.js';
import { SUB_BYTE_RANGE } from './weight-encoding.js';

export type PackBits = 1 | 2 | 4;

/** Bytes that `count` weights of `bits` each occupy when packed. */
export function packedByteCount(count: number, bits: PackBits): number {
  return Math.ceil((count * bits) / 8);
}

/**
 * Packs `values` (int8 values inside the width's range) `bits` each, low bits first. With 1 bit,
 * a value > 0 sets its bit (binary weights: +1 set, -1 clear).
 */
export function packSubByte(values: ArrayLike<number>, bits: PackBits): Uint8Array {
  const out = new Uint8Array(packedByteCount(values.length, bits));
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < values.length; i++) {
    const field = bits === 1 ? (values[i] > 0 ? 1 : 0) : values[i] & mask;
    out[Math.floor(i / per)] |= field << ((i % per) * bits);
  }
  return out;
}

/** The `count` signed values packed `bits` each (2 or 4: two's complement fields; 1: -1 / +1). */
export function unpackSubByte(bytes: Uint8Array, count: number, bits: PackBits): Int8Array {
  const out = new Int8Array(count);
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const sign = 1 << (bits - 1);
  for (let i = 0; i < count; i++) {
    const field = (bytes[Math.floor(i / per)] >> ((i % per) * bits)) & mask;
    out[i] = bits === 1 ? (field ? 1 : -1) : field & sign ? field - (1 << bits) : field;
  }
  return out;
}

/** The narrowest uniform encoding a loaded 2-bit tensor's values allow: binary, ternary, else int2. */
export function narrowestTwoBitKind(values: ArrayLike<number>): SubByteKind {
  let binary = true;
  let ternary = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 1 && v !== -1) binary = false;
    if (v < -1 || v > 1) ternary = false;
  }
  return binary && values.length > 0 ? 'binary' : ternary ? 'ternary' : 'int2';
}

/** The first value outside the encoding's range, as [index, value], or undefined when all fit. */
export function firstOutOfRange(kind: SubByteKind, values: ArrayLike<number>): [number, number] | undefined {
  const r = SUB_BYTE_RANGE[kind];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < r.min || v > r.max || (kind === 'binary' && v === 0)) return [i, v];
  }
  return undefined;
}

/**
 * The narrowest sub-byte kind that holds every value exactly (binary, ternary, int2, int4), or
 * undefined when some value lies outside int4.
 */
export function narrowestSubByteKind(values: ArrayLike<number>): SubByteKind | undefined {
  if (values.length === 0) return undefined;
  if (!firstOutOfRange('int2', values)) return narrowestTwoBitKind(values);
  return firstOutOfRange('int4', values) ? undefined : 'int4';
}

/**
 * The sub-byte kind a tensor's weights are stored packed as (in .tflite files and in flash), or
 * undefined. Weights with per-group multipliers are not: their int8 values (grid point x
 * multiplier) run on the int8 kernels and are stored int8, since neither TFLite's INT4 layout nor
 * the firmware's sub-byte kernels carry the multipliers.
 */
export function packedKindOf(enc: WeightEncoding | undefined): SubByteKind | undefined {
  return enc && enc.kind !== 'lut' && !enc.groups ? enc.kind : undefined;
}

/** Bits per weight in a .tflite file: INT4 for int4, INT2 for int2, ternary and binary. */
export function fileBits(kind: SubByteKind): 2 | 4 {
  return kind === 'int4' ? 4 : 2;
}

/** Bits per weight in the firmware's flash: binary needs only one. */
export function flashBits(kind: SubByteKind): PackBits {
  return kind === 'int4' ? 4 : kind === 'binary' ? 1 : 2;
}
