/**
 * Compressed storage of constant int8 weight tensors (sub-byte widths and clustered weights).
 *
 * The contract every stage relies on: a weight tensor keeps `dtype: 'int8'`, its `quant`, and its
 * `data` as the *decoded* int8 values. The int8 reference kernels therefore define the meaning of a
 * compressed layer unchanged (a sub-byte or clustered kernel is correct when it equals the int8
 * kernel on the decoded weights, byte for byte). `Tensor.weightEncoding` only says which values the
 * data is restricted to and how the TFLite writer and the code generator pack it; kernels choose a
 * variant by it.
 */

/** Uniform sub-byte widths; values are the int8 data restricted to the width's range. */
export type SubByteKind = 'int4' | 'int2' | 'ternary' | 'binary';

export interface SubByteEncoding {
  kind: SubByteKind;
}

/**
 * Clustered weights: every weight is `table[channel * entries + index]` (scope 'channel', the
 * table indexed by the weight's position along `quant.quantizedDimension`) or `table[index]`
 * (scope 'tensor'). `indices` has one entry per weight in the data's order; `bits` =
 * ceil(log2(entries)), 1..8.
 */
export interface LutEncoding {
  kind: 'lut';
  bits: number;
  entries: number;
  scope: 'tensor' | 'channel';
  table: Int8Array;
  indices: Uint8Array;
}

export type WeightEncoding = SubByteEncoding | LutEncoding;

/** Inclusive value range of each uniform width (binary excludes 0: its values are -1 and +1). */
export const SUB_BYTE_RANGE: Record<SubByteKind, { min: number; max: number }> = {
  int4: { min: -8, max: 7 },
  int2: { min: -2, max: 1 },
  ternary: { min: -1, max: 1 },
  binary: { min: -1, max: 1 },
};

/** Bits one weight occupies when packed. */
export function bitsPerWeight(enc: WeightEncoding | undefined): number {
  if (!enc) return 8;
  switch (enc.kind) {
    case 'int4':
      return 4;
    case 'int2':
    case 'ternary':
      return 2;
    case 'binary':
      return 1;
    case 'lut':
      return enc.bits;
  }
}

/** True when `v` is a value the encoding can store (for 'lut', any int8: the table decides). */
export function fitsEncoding(enc: WeightEncoding, v: number): boolean {
  if (enc.kind === 'lut') return v >= -128 && v <= 127;
  if (enc.kind === 'binary') return v === -1 || v === 1;
  const r = SUB_BYTE_RANGE[enc.kind];
  return v >= r.min && v <= r.max;
}
