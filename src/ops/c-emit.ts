/**
 * C emission helpers of the layers with weights: constant arrays, optional pointers, the params
 * struct's designated initializer, the fields the quantized conv-like structs share, and the
 * kernel function name per quantized kind.
 */
import { UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { Accumulator, QuantKind } from './layer-params.js';
import type { CEmission, EmitContext } from './op-def.js';
import { cFloat } from './elementwise-util.js';

/** For an op whose float32 path runs on the host only: a clear refusal at code generation. */
export function floatKernelUnsupported(ctx: { prefix: string }, type: OpType): never {
  throw new UnsupportedOpError(`${type} (${ctx.prefix}): float32 ${type} has no C kernel yet; quantize the model to int8 or 16x8`);
}


export function cInt32Array(name: string, values: readonly number[]): string {
  return `static const int32_t ${name}[${values.length}] = {${values.join(', ')}};`;
}

/** `static const float <name>[] = {...};`, each value exactly its float32. */
export function cFloatArray(name: string, values: readonly number[]): string {
  return `static const float ${name}[${values.length}] = {${values.map(cFloat).join(', ')}};`;
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

/**
 * The emission of a float32 conv-like layer: `static const <type>_f32_params` with the given
 * geometry fields plus the activation clamp, and one call `<base>_f32(&params, input, weights,
 * bias or NULL, output)` into `<file>_f32.c`.
 */
export function emitFloatConvLike(
  file: string,
  base: string,
  p: { activationMin: number; activationMax: number },
  fields: Record<string, string | number>,
  args: { input: string | undefined; weights: string | undefined; bias: string | undefined; output: string },
  ctx: EmitContext,
): CEmission {
  const decls = cStructInit(`${base}_f32_params`, `${ctx.prefix}_params`, {
    ...fields,
    activation_min: cFloat(p.activationMin),
    activation_max: cFloat(p.activationMax),
  });
  const call = `  ${base}_f32(&${ctx.prefix}_params, ${args.input}, ${args.weights}, ${cPointer(args.bias)}, ${args.output});`;
  return { kernels: [`${file}_f32.c`], includes: [`${file}_f32.h`], decls, call };
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
