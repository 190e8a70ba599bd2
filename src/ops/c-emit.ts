/**
 * C emission helpers of the layers with weights: constant arrays, optional pointers, the params
 * struct's designated initializer, the fields the quantized conv-like structs share, and the
 * kernel function name per quantized kind.
 */
import { UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { Accumulator, QuantKind } from './layer-params.js';

export function cInt32Array(name: string, values: readonly number[]): string {
  return `static const int32_t ${name}[${values.length}] = {${values.join(', ')}};`;
}

export function cPointer(name: string | undefined): string {
  return name ?? 'NULL';
}

/** Designated-initializer body for a params struct: `.field = value` lines. */
export function cStructInit(type: string, name: string, fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([k, v]) => `  .${k} = ${v},`)
    .join('\n');
  return `static const ${type} ${name} = {\n${body}\n};`;
}

export function floatKernelUnsupported(ctx: { prefix: string }, type: OpType): never {
  throw new UnsupportedOpError(`${type} (${ctx.prefix}): float32 kernels are not emitted to C yet; quantize the model to int8 or 16x8`);
}


export function quantCommonFields(p: {
  inputOffset: number;
  outputOffset: number;
  activationMin: number;
  activationMax: number;
  perChannel: boolean;
}, prefix: string): Record<string, string | number> {
  return {
    input_offset: p.inputOffset,
    output_offset: p.outputOffset,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
    per_channel: p.perChannel ? 1 : 0,
    output_multiplier: `${prefix}_mult`,
    output_shift: `${prefix}_shift`,
  };
}

/** The C function for a quantized kind and accumulator: <base>_s8, <base>_s16, <base>_s16_b32. */
export function kernelFunction(base: string, kind: QuantKind, accumulator: Accumulator): string {
  if (kind === 'int8') return `${base}_s8`;
  return accumulator === 'int64' ? `${base}_s16` : `${base}_s16_b32`;
}
