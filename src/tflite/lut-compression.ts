/**
 * TensorFlow Lite Micro's lookup-table compression, as stored in a .tflite file (its
 * `compression/metadata.fbs`): the Model's metadata entry "COMPRESSION_METADATA" holds a
 * flatbuffer `Metadata { schema_version, subgraphs: [Subgraph { lut_tensors: [LutTensor {
 * tensor, value_buffer, index_bitwidth }] }] }`. A compressed tensor keeps its type (int8 here)
 * and shape, but its buffer holds `index_bitwidth`-bit indices packed from the high-order bit of
 * each byte down, without padding; `value_buffer` holds the value tables, one per channel along
 * the quantized dimension for per-channel quantized tensors (one otherwise), each 2^bitwidth
 * entries long (unused entries zero).
 *
 * tinyml reads it into `Tensor.weightEncoding` ('lut', data = decoded values) and writes it for
 * clustered tensors. A tinyml table shared by all channels (scope 'tensor') of a per-channel
 * quantized tensor is written once per channel, as TFLM expects; reading identical tables back
 * gives scope 'tensor' again.
 */
import { GraphError, ModelFormatError, UnsupportedOpError } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { elementCount } from '../ir/types.js';
import type { LutEncoding } from '../ir/weight-encoding.js';
import { FlatBufferReader, type Table } from './flatbuffer-reader.js';

export const COMPRESSION_METADATA_KEY = 'COMPRESSION_METADATA';

export interface LutTensorRef {
  valueBuffer: number;
  bits: number;
}

/** Packs `indices` at `bits` bits each, high-order bits first (TFLM's layout). */
export function packIndices(indices: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((indices.length * bits) / 8));
  let bit = 0;
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    for (let b = bits - 1; b >= 0; b--, bit++) if ((v >> b) & 1) out[bit >> 3] |= 0x80 >> (bit & 7);
  }
  return out;
}

export function unpackIndices(bytes: Uint8Array, count: number, bits: number): Uint8Array {
  const out = new Uint8Array(count);
  let bit = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++, bit++) v = (v << 1) | ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1);
    out[i] = v;
  }
  return out;
}

/** Channels of the value tables TFLM uses for `t`: the per-channel quantization's count, or 1. */
export function lutChannels(t: Pick<Tensor, 'quant'>): number {
  return t.quant && t.quant.scale.length > 1 ? t.quant.scale.length : 1;
}

/** The value buffer TFLM reads for a clustered tensor: one 2^bits table per channel. */
export function lutValueBytes(t: Tensor, enc: LutEncoding): Uint8Array {
  const stride = 1 << enc.bits;
  const channels = lutChannels(t);
  const out = new Int8Array(channels * stride);
  for (let c = 0; c < channels; c++) {
    const src = enc.scope === 'channel' ? c : 0;
    for (let e = 0; e < enc.entries; e++) out[c * stride + e] = enc.table[src * enc.entries + e];
  }
  return new Uint8Array(out.buffer);
}

/** Model.metadata entries → the LUT tensors of subgraph 0, by tensor index. */
export function readCompressionMetadata(reader: FlatBufferReader, model: Table, bufferBytes: (index: number) => Uint8Array | undefined): Map<number, LutTensorRef> {
  const out = new Map<number, LutTensorRef>();
  const entries = model.tables(6, 'metadata', 'metadata entry');
  for (let i = 0; i < (entries?.length ?? 0); i++) {
    const e = entries!.at(i);
    if (e.string(0, 'name') !== COMPRESSION_METADATA_KEY) continue;
    const bytes = bufferBytes(e.u32(1, 'buffer'));
    if (!bytes) throw new ModelFormatError(`the model's ${COMPRESSION_METADATA_KEY} metadata points at an empty buffer`);
    const meta = new FlatBufferReader(bytes).root(`the ${COMPRESSION_METADATA_KEY} flatbuffer`);
    const version = meta.u32(0, 'schema_version', 1);
    if (version > 1) throw new UnsupportedOpError(`${COMPRESSION_METADATA_KEY} schema version ${version} is newer than tinyml reads (1)`);
    const subgraphs = meta.tables(1, 'subgraphs', 'compression subgraph');
    if (!subgraphs || subgraphs.length === 0) continue;
    const luts = subgraphs.at(0).tables(0, 'lut_tensors', 'LUT tensor');
    for (let k = 0; k < (luts?.length ?? 0); k++) {
      const l = luts!.at(k);
      const bits = l.u8(2, 'index_bitwidth');
      if (bits < 1 || bits > 8) throw new ModelFormatError(`LUT tensor ${l.i32(0, 'tensor')} has index_bitwidth ${bits} (expected 1..8)`);
      out.set(l.i32(0, 'tensor'), { valueBuffer: l.u32(1, 'value_buffer'), bits });
    }
  }
  return out;
}

/**
 * The decoded int8 data and LUT encoding of tensor `t` from its packed indices and value table.
 * `label` names the tensor in errors.
 */
export function decodeLutTensor(
  t: Tensor,
  indexBytes: Uint8Array | undefined,
  valueBytes: Uint8Array | undefined,
  bits: number,
  label: string,
  stride = 1 << bits,
): { data: Int8Array; encoding: LutEncoding } {
  if (t.dtype !== 'int8') throw new UnsupportedOpError(`${label} is LUT-compressed with values of type ${t.dtype}; tinyml reads compressed int8 weights only`);
  const count = elementCount(t.shape);
  const need = Math.ceil((count * bits) / 8);
  if (!indexBytes || indexBytes.length < need) {
    throw new ModelFormatError(`${label} is LUT-compressed at ${bits} bits: its ${count} indices need ${need} bytes, the buffer holds ${indexBytes?.length ?? 0}`);
  }
  if (stride < 1 || stride > 256) throw new ModelFormatError(`${label}: value tables of ${stride} entries (expected 1..256)`);
  const channels = lutChannels(t);
  if (!valueBytes || valueBytes.length < channels * stride) {
    throw new ModelFormatError(`${label}: its value tables need ${channels} x ${stride} bytes, the value buffer holds ${valueBytes?.length ?? 0}`);
  }
  const values = new Int8Array(valueBytes.buffer, valueBytes.byteOffset, channels * stride);
  const indices = unpackIndices(indexBytes, count, bits);
  // TFLM's DECODE tables hold only the values used (fewer than 2^bits): an index past them is corrupt.
  const bad = indices.findIndex((v) => v >= stride);
  if (bad >= 0) throw new ModelFormatError(`${label}: index ${indices[bad]} of weight ${bad} is past its value table of ${stride} entries`);
  const axis = t.quant?.quantizedDimension ?? 0;
  let inner = 1;
  for (let d = axis + 1; d < t.shape.length; d++) inner *= t.shape[d];
  const data = new Int8Array(count);
  for (let i = 0; i < count; i++) data[i] = values[(channels === 1 ? 0 : Math.floor(i / inner) % channels) * stride + indices[i]];
  let shared = true;
  for (let c = 1; c < channels && shared; c++) for (let e = 0; e < stride; e++) if (values[c * stride + e] !== values[e]) shared = false;
  const table = Int8Array.from(shared ? values.subarray(0, stride) : values);
  return { data, encoding: { kind: 'lut', bits, entries: stride, scope: shared && channels > 1 ? 'tensor' : channels > 1 ? 'channel' : 'tensor', table, indices } };
}

/** TFLite Micro's DECODE operator (custom op "TFLM_DECODE", compression/decode_insert.py). */
export const DECODE_CUSTOM_CODE = 'TFLM_DECODE';

/**
 * The LUT parameters of a DECODE ancillary tensor: a 16-byte header (byte 0 decode type, 0 =
 * LUT; byte 1 header version, 1; byte 4 LUT version, 1; byte 5 low 3 bits: index bit width;
 * byte 6: entries per channel's value table) followed by the value tables.
 */
export function readDecodeAncillary(bytes: Uint8Array | undefined, label: string): { bits: number; stride: number; values: Uint8Array } {
  if (!bytes || bytes.length < 16) throw new ModelFormatError(`${label}: the DECODE ancillary data is ${bytes?.length ?? 0} bytes, shorter than its 16-byte header`);
  if (bytes[0] !== 0) {
    const kind = bytes[0] === 1 ? 'Huffman' : bytes[0] === 2 ? 'pruning' : `type ${bytes[0]}`;
    throw new UnsupportedOpError(`${label} is compressed with TFLite Micro's ${kind} decoding; tinyml reads LUT compression only`);
  }
  if (bytes[1] !== 1 || bytes[4] !== 1) throw new UnsupportedOpError(`${label}: DECODE header version ${bytes[1]}, LUT version ${bytes[4]} (tinyml reads version 1 of both)`);
  const bits = bytes[5] & 7;
  if (bits < 1) throw new ModelFormatError(`${label}: the DECODE LUT header gives index bit width 0`);
  return { bits, stride: bytes[6], values: bytes.subarray(16) };
}

/** Widest index TFLM's DECODE reads (its header keeps the bit width in 3 bits). */
export const DECODE_MAX_BITS = 7;

/**
 * The DECODE ancillary tensor of clustered tensor `t` (the layout `readDecodeAncillary` reads):
 * header, then one value table per channel (per-channel quantized tensors) or one, each as long
 * as the largest index used + 1, as TFLM's tool writes them. Throws GraphError, naming `label`,
 * for what DECODE cannot express: 8-bit indices, and channels along an axis other than the
 * first or the last (the two TFLM's decoder walks).
 */
export function decodeAncillaryBytes(t: Tensor, enc: LutEncoding, label: string): Uint8Array {
  if (enc.bits > DECODE_MAX_BITS) {
    throw new GraphError(
      `${label} has ${enc.bits}-bit cluster indices (${enc.entries} clusters); TFLite Micro's DECODE reads at most ${DECODE_MAX_BITS}-bit indices (128 clusters): write the compression-metadata form instead, or use fewer clusters`,
    );
  }
  const channels = lutChannels(t);
  const axis = t.quant?.quantizedDimension ?? 0;
  if (axis !== 0 && !(channels > 1 && axis === t.shape.length - 1)) {
    throw new GraphError(`${label} is quantized along dimension ${axis} of [${t.shape.join(', ')}]; TFLite Micro's DECODE decodes tensors quantized along their first or (per-channel) last dimension only`);
  }
  if (enc.scope === 'channel' && channels === 1 && enc.table.length > enc.entries) {
    throw new GraphError(`${label} has a value table per channel but one quantization scale; TFLite Micro's DECODE takes its channels from the scales`);
  }
  let stride = 1;
  for (const i of enc.indices) if (i + 1 > stride) stride = i + 1;
  const out = new Uint8Array(16 + channels * stride);
  out.set([0 /* LUT */, 1 /* header version */, 0, 0, 1 /* LUT version */, enc.bits, stride]);
  const values = new Int8Array(out.buffer, 16);
  for (let c = 0; c < channels; c++) {
    const src = enc.scope === 'channel' ? c : 0;
    for (let e = 0; e < stride; e++) values[c * stride + e] = enc.table[src * enc.entries + e];
  }
  return out;
}
