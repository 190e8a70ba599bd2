/**
 * C emission helpers of the layers with weights: constant arrays, optional pointers, the params
 * struct's designated initializer, the fields the quantized conv-like structs share, and the
 * kernel function name per quantized kind.
 */
import { UnsupportedOpError } from '../errors.js';
import type { OpType } from '../ir/attrs.js';
import type { Accumulator, QuantKind, QuantLayerFields } from './layer-params.js';
import type { CEmission, EmitContext, EmitNames } from './op-def.js';
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
 * The geometry layouts of firmware/kernels/tinyml_conv_geometry.h, each field in its C order. A
 * conv-like params struct embeds one of them first, as `geo`.
 */
const GEOMETRY_FIELDS = {
  conv2d: ['batches', 'input_height', 'input_width', 'input_depth', 'filter_height', 'filter_width', 'filter_input_depth', 'output_height', 'output_width', 'output_depth', 'groups', 'stride_height', 'stride_width', 'dilation_height', 'dilation_width', 'pad_height', 'pad_width'],
  depthwise: ['batches', 'input_height', 'input_width', 'input_depth', 'filter_height', 'filter_width', 'output_height', 'output_width', 'output_depth', 'depth_multiplier', 'stride_height', 'stride_width', 'dilation_height', 'dilation_width', 'pad_height', 'pad_width'],
  window: ['batches', 'input_height', 'input_width', 'input_depth', 'filter_height', 'filter_width', 'output_height', 'output_width', 'output_depth', 'stride_height', 'stride_width', 'pad_height', 'pad_width'],
  packed: ['batches', 'input_height', 'input_width', 'input_depth', 'filter_height', 'filter_width', 'stride_height', 'stride_width', 'dilation_height', 'dilation_width', 'pad_height', 'pad_width', 'output_height', 'output_width'],
} as const;

/** tinyml_conv2d_geometry, tinyml_depthwise_geometry, tinyml_window_geometry, tinyml_packed_geometry. */
export type GeometryLayout = keyof typeof GEOMETRY_FIELDS;

type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** The params fields a layout reads: `input_height` is `inputHeight`. */
export type GeometryOf<L extends GeometryLayout> = { [K in (typeof GEOMETRY_FIELDS)[L][number] as CamelCase<K>]: number };

/**
 * The `geo` member of a conv-like params struct: the nested initializer of its geometry layout,
 * so the int8, float, hybrid, DSP and MVE emitters all fill it one way.
 */
export function convGeometry<L extends GeometryLayout>(layout: L, p: GeometryOf<L>): { geo: string } {
  const values = p as unknown as Record<string, number>;
  const fields = Object.fromEntries(GEOMETRY_FIELDS[layout].map((field) => [field, values[field.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())]]));
  return { geo: cInitializer(fields) };
}

/** A nested designated initializer on one line: `{.a = 1, .b = x}`. */
function cInitializer(fields: Record<string, string | number>): string {
  return `{${Object.entries(fields)
    .map(([k, v]) => `.${k} = ${v}`)
    .join(', ')}}`;
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

/** What a conv-like layer's emission reads of its params, float or quantized. */
export type ConvLikeEmitParams =
  | { kind: 'float32'; hasBias: boolean; activationMin: number; activationMax: number }
  | ({ kind: QuantKind; accumulator: Accumulator; hasBias: boolean; padHeightOffset: number; padWidthOffset: number } & QuantLayerFields);

/**
 * The emission of a conv-like layer whose operands are (input, weights, bias) and whose params
 * struct is `fields` (its geometry) plus, when quantized, the trailing padding and the shared
 * requantization fields: `<base>_f32(...)` from `<file>_f32.c`, or `<base>_s8|_s16|_s16_b32(...)`
 * from `<file>.c` with the multipliers and shifts as arrays.
 */
export function emitConvLike(
  file: string,
  base: string,
  p: ConvLikeEmitParams,
  fields: Record<string, string | number>,
  names: EmitNames,
  ctx: EmitContext,
): CEmission {
  const bias = p.hasBias ? names.inputs[2] : undefined;
  if (p.kind === 'float32') {
    return emitFloatConvLike(file, base, p, fields, { input: names.inputs[0], weights: names.inputs[1], bias, output: names.outputs[0] }, ctx);
  }
  const decls = quantConvDecls(`${base}_params`, p, fields, ctx.prefix);
  const args = [`&${ctx.prefix}_params`, names.inputs[0], names.inputs[1], cPointer(bias), names.outputs[0]];
  return { kernels: [`${file}.c`], includes: [`${file}.h`], decls, call: `  ${kernelFunction(base, p.kind, p.accumulator)}(${args.join(', ')});` };
}

/**
 * A quantized conv-like layer's declarations: `<prefix>_mult` and `<prefix>_shift`, then the
 * params struct `type` with `fields`, the trailing padding offsets and the requantization fields.
 */
export function quantConvDecls(
  type: string,
  p: QuantLayerFields & { padHeightOffset: number; padWidthOffset: number },
  fields: Record<string, string | number>,
  prefix: string,
): string {
  return [
    cInt32Array(`${prefix}_mult`, p.outputMultiplier),
    cInt32Array(`${prefix}_shift`, p.outputShift),
    cStructInit(type, `${prefix}_params`, {
      ...fields,
      pad_height_offset: p.padHeightOffset,
      pad_width_offset: p.padWidthOffset,
      ...quantCommonFields(p, prefix),
    }),
  ].join('\n');
}

/**
 * The `q` member of the quantized conv-like and fully connected params structs: the nested
 * initializer of their tinyml_layer_quant (tinyml_layer_quant.h), multipliers and shifts being
 * the `<prefix>_mult` and `<prefix>_shift` arrays.
 */
export function quantCommonFields(p: Omit<QuantLayerFields, 'outputMultiplier' | 'outputShift'>, prefix: string): { q: string } {
  const fields: Record<string, string | number> = {
    input_offset: p.inputOffset,
    output_offset: p.outputOffset,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
    per_channel: p.perChannel ? 1 : 0,
    output_multiplier: `${prefix}_mult`,
    output_shift: `${prefix}_shift`,
  };
  return { q: cInitializer(fields) };
}

/** The C function for a quantized kind and accumulator: <base>_s8, <base>_s16, <base>_s16_b32. */
export function kernelFunction(base: string, kind: QuantKind, accumulator: Accumulator): string {
  if (kind === 'int8') return `${base}_s8`;
  return accumulator === 'int64' ? `${base}_s16` : `${base}_s16_b32`;
}
