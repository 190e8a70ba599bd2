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
  /**
   * Per-group scales along the input dimension (optional; absent: one scale per channel). Each
   * output channel's weights, in the order a kernel reduces them (CONV_2D [O, KH, KW, I]: the
   * channel's KH·KW·I weights as stored; FULLY_CONNECTED [O, I]: its I weights), are cut into
   * consecutive groups of `size`; group g of channel c has scale
   * `quant.scale[c] * multipliers[c * (weightsPerChannel / size) + g]`. The int8 contract holds:
   * `data` is the decoded int8 value, the width's grid point times its group's multiplier (so
   * int8 kernels with the channel scale are exact); a packer stores data / multiplier, which is
   * within the width's range. Multipliers are 1..15 for int4 (|-8 · 15| < 128), 1..63 for int2,
   * 1..127 for ternary and binary.
   */
  groups?: { size: number; multipliers: Uint8Array };
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

/** Largest group multiplier of each width: grid point x multiplier stays within int8's [-127, 127]. */
export const MAX_GROUP_MULTIPLIER: Record<SubByteKind, number> = { int4: 15, int2: 63, ternary: 127, binary: 127 };

/**
 * True when `v` is a value the encoding can store (for 'lut', any int8: the table decides). With
 * per-group multipliers, `v` is the grid point before its multiplier (data / multiplier).
 */
export function fitsEncoding(enc: WeightEncoding, v: number): boolean {
  if (enc.kind === 'lut') return v >= -128 && v <= 127;
  if (enc.kind === 'binary') return v === -1 || v === 1;
  const r = SUB_BYTE_RANGE[enc.kind];
  return v >= r.min && v <= r.max;
}
