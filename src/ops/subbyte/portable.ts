/**
 * The portable sub-byte kernels (firmware/kernels/subbyte.c): CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED with int8 activations and weights packed 4, 2 or 1 bits each in the int8
 * kernel's weight order. They take the int8 kernels' params structs unchanged, so the emission
 * is the op's own, with the packed array in place of the int8 one and the `_w<bits>` entry point.
 */
import type { SubByteKind } from '../../ir/weight-encoding.js';
import { flashBits, packSubByte } from '../../ir/weight-packing.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpDef } from '../op-def.js';
import type { OpType } from '../../ir/attrs.js';

/** The int8 entry point each op's portable emission calls. */
const INT8_ENTRY: Partial<Record<OpType, string>> = {
  CONV_2D: 'tinyml_conv2d_s8',
  DEPTHWISE_CONV_2D: 'tinyml_depthwise_conv2d_s8',
  FULLY_CONNECTED: 'tinyml_fully_connected_s8',
};

/** `static const uint8_t name[] = {...};` of packed weights, word aligned (the DSP loads read words). */
export function cPackedArray(name: string, bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 24) {
    lines.push(`  ${Array.from(bytes.subarray(i, i + 24), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}`);
  }
  return `static const uint8_t ${name}[${Math.max(1, bytes.length)}] __attribute__((aligned(4))) = {\n${bytes.length ? lines.join(',\n') : '  0'}\n};`;
}

/**
 * The layer's C on the portable sub-byte kernel: the op's int8 emission (params struct,
 * multipliers) with the weights packed in flash.
 */
export function emitPortableSubByte(
  def: OpDef<OpType, unknown>,
  kind: SubByteKind,
  params: unknown,
  names: EmitNames,
  ctx: EmitContext,
): CEmission {
  const weights = ctx.constants?.[1] as TensorData | undefined;
  const entry = INT8_ENTRY[def.type];
  if (!weights || !entry || !def.emitC) {
    throw new Error(`${ctx.prefix}: ${def.type} with ${kind} weights needs constant weights and a portable int8 kernel`);
  }
  const bits = flashBits(kind);
  const packed = `${ctx.prefix}_w${bits}`;
  const inner = def.emitC(params, { ...names, inputs: names.inputs.map((n, i) => (i === 1 ? packed : n)) }, ctx);
  const call = `  ${entry}(`;
  if (!inner.call.includes(call)) throw new Error(`${ctx.prefix}: unexpected int8 emission for ${def.type}: ${inner.call.trim()}`);
  return {
    kernels: [...inner.kernels, 'subbyte.c'],
    includes: ['subbyte.h'],
    decls: [cPackedArray(packed, packSubByte(weights as Int8Array, bits)), inner.decls].join('\n'),
    call: inner.call.replace(call, `  ${entry}_w${bits}(`),
  };
}
