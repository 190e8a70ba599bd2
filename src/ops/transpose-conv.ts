/**
 * TRANSPOSE_CONV: the gradient of a convolution, computed as a scatter: every input pixel adds
 * input x weights into a window of the output. Inputs: [output_shape (int32 constant), weights
 * OHWI, input, bias (optional)].
 *
 * Reference: TFLite Micro's transpose_conv kernel (reference_integer_ops::TransposeConv for int8
 * with an int32 scratch accumulator and 16x8 with an int64 one; reference_ops::TransposeConv for
 * float). The padding comes from ComputePaddingHeightWidth applied to the *output* size.
 */
import { GraphError, InputError, UnsupportedOpError } from '../errors.js';
import type { Padding, FusedActivation } from '../ir/attrs.js';
import type { Graph, Tensor, TensorData } from '../ir/types.js';
import { multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplier64 } from '../fixedpoint.js';
import { checkArity, checkBias, classifyDtypes, floatActivationRange, normalizeParams, opLabel, requireRank, type QuantKind, type QuantLayerFields, quantLayerFields, type WindowFields, weightsOffsetOf, windowOutputShapes } from './layer-params.js';
import { convGeometry, cPointer, emitFloatConvLike, quantConvDecls } from './c-emit.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { scratchArg } from './scratch.js';
import { dtypeOf, type TfliteMapping } from './tflite-options.js';

/** The pads are output rows/columns cropped at the top/left; the bottom/right lose pad + offset. */
export interface TransposeConvGeometry extends WindowFields {
  /** output_shape is not a constant: check at run time that it holds the output shape. */
  outputShapeAtRuntime: boolean;
  /** The op, for the run-time error. */
  label: string;
}

export interface TransposeConvQuantParams extends TransposeConvGeometry, QuantLayerFields {
  kind: QuantKind;
  /** 16x8 only: the bias is int16 (TFLM widens it to int64 before use). */
  bias16: boolean;
}

export interface TransposeConvFloatParams extends TransposeConvGeometry {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type TransposeConvParams = TransposeConvQuantParams | TransposeConvFloatParams;

/**
 * ComputePaddingHeightWidth as TFLM's transpose conv calls it: on the output size, dilation 1.
 * If either axis' windowed size comes out negative the reference leaves all padding at 0.
 */
function transposePadding(
  padding: Padding,
  strideH: number,
  strideW: number,
  outH: number,
  outW: number,
  fH: number,
  fW: number,
): { padHeight: number; padWidth: number; padHeightOffset: number; padWidthOffset: number } {
  const windowed = (size: number, f: number, s: number) => (padding === 'SAME' ? Math.trunc((size + s - 1) / s) : Math.trunc((size + s - f) / s));
  const wh = windowed(outH, fH, strideH);
  const ww = windowed(outW, fW, strideW);
  if (wh < 0 || ww < 0) return { padHeight: 0, padWidth: 0, padHeightOffset: 0, padWidthOffset: 0 };
  const totalH = Math.max(0, (wh - 1) * strideH + fH - outH);
  const totalW = Math.max(0, (ww - 1) * strideW + fW - outW);
  return {
    padHeight: Math.trunc(totalH / 2),
    padWidth: Math.trunc(totalW / 2),
    padHeightOffset: totalH % 2,
    padWidthOffset: totalW % 2,
  };
}

/**
 * The output shape, and whether the output_shape operand is only known at run time. A constant
 * operand gives the shape. A run-time operand (a graph input, as in streaming audio models) is
 * accepted when the declared output shape is one the input shape, strides and padding determine:
 * TFLM computes the declared shape whatever the operand holds, and tinyml checks at run time that
 * the operand holds exactly that shape (interpreter and firmware).
 */
function outputShapeOperand(ctx: OpContext<'TRANSPOSE_CONV'>, input: Tensor, filter: Tensor): { shape: number[]; runtime: boolean } {
  const t = ctx.inputs[0] as Tensor;
  if (t.dtype !== 'int32' || t.shape.reduce((a, b) => a * b, 1) !== 4) {
    throw new GraphError(`${opLabel(ctx)}: output_shape '${t.name}' must hold 4 int32 values, got ${t.dtype} [${t.shape.join(', ')}]`);
  }
  if (t.data) return { shape: Array.from(t.data as Int32Array), runtime: false };
  const declared = ctx.outputs[0].shape;
  const [, inH, inW] = input.shape;
  const [, fH, fW] = filter.shape;
  const a = ctx.op.attrs;
  // The forward convolution's output size: what a transpose convolution must invert.
  const windowed = (size: number, f: number, s: number) => (a.padding === 'SAME' ? Math.ceil(size / s) : Math.ceil((size - f + 1) / s));
  const range = (inSize: number, f: number, s: number) =>
    a.padding === 'SAME' ? `${(inSize - 1) * s + 1}..${inSize * s}` : `${(inSize - 1) * s + f}..${inSize * s + f - 1}`;
  if (declared.length !== 4 || declared[1] <= 0 || declared[2] <= 0 || windowed(declared[1], fH, a.strideH) !== inH || windowed(declared[2], fW, a.strideW) !== inW) {
    throw new GraphError(
      `${opLabel(ctx)}: output_shape '${t.name}' is computed at run time, so the output size must come from the declared output shape, ` +
        `but [${declared.join(', ')}] is not what a ${a.padding} transpose convolution with strides ${a.strideH}x${a.strideW} makes of the input ` +
        `[${input.shape.join(', ')}] (height ${range(inH, fH, a.strideH)}, width ${range(inW, fW, a.strideW)}). ` +
        `Converters declare dynamic dimensions as 1: give the model a fixed output shape (e.g. a constant output_shape).`,
    );
  }
  return { shape: [...declared], runtime: true };
}

/**
 * Values some graph inputs must hold: a TRANSPOSE_CONV output_shape fed by a graph input must be
 * the declared output shape. Random checks (deploy) use these instead of random values.
 */
export function requiredInputValues(graph: Graph): Map<number, Int32Array> {
  const required = new Map<number, Int32Array>();
  for (const op of graph.ops) {
    if (op.type !== 'TRANSPOSE_CONV') continue;
    const id = op.inputs[0];
    if (id >= 0 && graph.inputs.includes(id) && !graph.tensors[id].data) required.set(id, Int32Array.from(graph.tensors[op.outputs[0]].shape));
  }
  return required;
}

function geometry(ctx: OpContext<'TRANSPOSE_CONV'>): TransposeConvGeometry {
  checkArity(ctx, 3, 4);
  const [, filter, input, bias] = ctx.inputs as [Tensor, Tensor, Tensor, Tensor | undefined];
  requireRank(ctx, input, 4, 'input');
  requireRank(ctx, filter, 4, 'weights');
  const [batches, inH, inW, inC] = input.shape;
  const [outC, fH, fW, fIC] = filter.shape;
  const { shape: out, runtime } = outputShapeOperand(ctx, input, filter);
  const a = ctx.op.attrs;
  if (fIC !== inC) throw new GraphError(`${opLabel(ctx)}: input depth ${inC} differs from the weights' input depth ${fIC}`);
  if (out[0] !== batches || out[3] !== outC || out[1] <= 0 || out[2] <= 0) {
    throw new GraphError(
      `${opLabel(ctx)}: output_shape [${out.join(', ')}] must be [${batches}, H, W, ${outC}] (input batches, weights' output channels)`,
    );
  }
  if (!(a.strideH > 0 && a.strideW > 0)) throw new GraphError(`${opLabel(ctx)}: strides must be positive`);
  checkBias(ctx, bias, outC);
  return {
    batches,
    inputHeight: inH,
    inputWidth: inW,
    inputDepth: inC,
    filterHeight: fH,
    filterWidth: fW,
    outputHeight: out[1],
    outputWidth: out[2],
    outputDepth: outC,
    strideHeight: a.strideH,
    strideWidth: a.strideW,
    ...transposePadding(a.padding, a.strideH, a.strideW, out[1], out[2], fH, fW),
    hasBias: bias !== undefined,
    outputShapeAtRuntime: runtime,
    label: opLabel(ctx),
  };
}

function prepare(ctx: OpContext<'TRANSPOSE_CONV'>): TransposeConvParams {
  const g = geometry(ctx);
  const [, filter, input, bias] = ctx.inputs as [Tensor, Tensor, Tensor, Tensor | undefined];
  const output = ctx.outputs[0];
  // TFLM's 16x8 path also accepts an int16 bias (widened to int64); int32 bias is not an option there.
  const bias16 = input.dtype === 'int16' && filter.dtype === 'int8' && output.dtype === 'int16' && bias?.dtype === 'int16';
  const { kind } = classifyDtypes(ctx, input, filter, bias16 ? undefined : bias, output, false);
  const activation = ctx.op.attrs.activation;
  if (kind === 'float32') {
    const r = floatActivationRange(activation);
    return { ...g, kind, activationMin: r.min, activationMax: r.max };
  }
  // Each output sums every weight of its channel at most once (OHWI, taps contiguous).
  const taps = g.filterHeight * g.filterWidth * g.inputDepth;
  const check64 = kind === 'int16' ? { taps, index: (c: number, k: number) => c * taps + k } : undefined;
  // TFLite Micro's TRANSPOSE_CONV has no weights offset (and TFLite no uint8 one to match).
  if (weightsOffsetOf(ctx, filter, kind) !== 0) throw new UnsupportedOpError(`${opLabel(ctx)}: TRANSPOSE_CONV weights '${filter.name}' have a non-zero zero point; quantize them symmetrically`);
  return { ...g, kind, bias16, ...quantLayerFields(ctx, { input, filter, bias, output }, kind, activation, 0, g.outputDepth, check64) };
}

function checkOutputShapeInput(p: TransposeConvParams, shape: TensorData | undefined): void {
  if (!p.outputShapeAtRuntime) return;
  const want = [p.batches, p.outputHeight, p.outputWidth, p.outputDepth];
  const got = Array.from(shape as Int32Array);
  if (got.length !== 4 || got.some((v, i) => v !== want[i])) {
    throw new InputError(
      `${p.label}: the output_shape input holds [${got.join(', ')}], but this model computes an output of shape [${want.join(', ')}] ` +
        `(fixed by its declared output shape); give output_shape exactly that value`,
    );
  }
}

function evaluate(p: TransposeConvParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  checkOutputShapeInput(p, inputs[0]);
  if (p.kind === 'float32') {
    evaluateFloat(p, inputs[2] as Float32Array, inputs[1] as Float32Array, p.hasBias ? (inputs[3] as Float32Array) : undefined, outputs[0] as Float32Array);
    return;
  }
  const input = inputs[2] as Int8Array | Int16Array;
  const filter = inputs[1] as Int8Array;
  const { inputHeight: inH, inputWidth: inW, inputDepth: inC, filterHeight: fH, filterWidth: fW } = p;
  const { outputHeight: outH, outputWidth: outW, outputDepth: outC } = p;
  const inOff = p.inputOffset;
  const n = p.batches * outH * outW * outC;
  // int8: TFLM's int32 scratch (Int32Array stores wrap like it). 16x8: int64 scratch; every sum of
  // int16 x int8 products stays far below 2^53, so doubles hold it exactly.
  const scratch = p.kind === 'int8' ? new Int32Array(n) : new Float64Array(n);
  const filterOcStride = fH * fW * inC;
  for (let b = 0; b < p.batches; b++) {
    for (let iy = 0; iy < inH; iy++) {
      const oy0 = iy * p.strideHeight - p.padHeight;
      for (let ix = 0; ix < inW; ix++) {
        const ox0 = ix * p.strideWidth - p.padWidth;
        const ip = ((b * inH + iy) * inW + ix) * inC;
        for (let fy = 0; fy < fH; fy++) {
          const oy = oy0 + fy;
          if (oy < 0 || oy >= outH) continue;
          for (let fx = 0; fx < fW; fx++) {
            const ox = ox0 + fx;
            if (ox < 0 || ox >= outW) continue;
            const op = ((b * outH + oy) * outW + ox) * outC;
            let fp = (fy * fW + fx) * inC;
            // Integer sums are order independent, so each output channel takes its input
            // channels in one contiguous run (the reference interleaves them).
            for (let oc = 0; oc < outC; oc++, fp += filterOcStride) {
              let s = 0;
              for (let ic = 0; ic < inC; ic++) s += (input[ip + ic] + inOff) * filter[fp + ic];
              scratch[op + oc] += s;
            }
          }
        }
      }
    }
  }
  const { activationMin: lo, activationMax: hi, outputMultiplier: mults, outputShift: shifts, outputOffset: outOff } = p;
  if (p.kind === 'int8') {
    const out = outputs[0] as Int8Array;
    const bias = p.hasBias ? (inputs[3] as Int32Array) : undefined;
    for (let i = 0, oc = 0; i < n; i++) {
      const ch = p.perChannel ? oc : 0;
      const acc = bias ? (scratch[i] + bias[oc]) | 0 : scratch[i];
      const v = multiplyByQuantizedMultiplier(acc, mults[ch], shifts[ch]) + outOff;
      out[i] = v < lo ? lo : v > hi ? hi : v;
      if (++oc === outC) oc = 0;
    }
  } else {
    const out = outputs[0] as Int16Array;
    const bias = p.hasBias ? (inputs[3] as BigInt64Array | Int16Array) : undefined;
    for (let i = 0, oc = 0; i < n; i++) {
      const ch = p.perChannel ? oc : 0;
      const acc = bias ? BigInt(scratch[i]) + BigInt(bias[oc]) : BigInt(scratch[i]);
      const v = multiplyByQuantizedMultiplier64(acc, mults[ch], shifts[ch]);
      out[i] = v < lo ? lo : v > hi ? hi : v;
      if (++oc === outC) oc = 0;
    }
  }
}

function evaluateFloat(p: TransposeConvFloatParams, input: Float32Array, filter: Float32Array, bias: Float32Array | undefined, out: Float32Array): void {
  const { inputHeight: inH, inputWidth: inW, inputDepth: inC, filterHeight: fH, filterWidth: fW } = p;
  const { outputHeight: outH, outputWidth: outW, outputDepth: outC } = p;
  const fr = Math.fround;
  out.fill(0);
  // Float sums depend on order: keep the reference's (in_channel outside the taps) exactly.
  for (let b = 0; b < p.batches; b++) {
    for (let iy = 0; iy < inH; iy++) {
      for (let ix = 0; ix < inW; ix++) {
        for (let ic = 0; ic < inC; ic++) {
          const x = input[((b * inH + iy) * inW + ix) * inC + ic];
          for (let fy = 0; fy < fH; fy++) {
            const oy = iy * p.strideHeight - p.padHeight + fy;
            if (oy < 0 || oy >= outH) continue;
            for (let fx = 0; fx < fW; fx++) {
              const ox = ix * p.strideWidth - p.padWidth + fx;
              if (ox < 0 || ox >= outW) continue;
              const op = ((b * outH + oy) * outW + ox) * outC;
              for (let oc = 0; oc < outC; oc++) {
                out[op + oc] = fr(out[op + oc] + fr(x * filter[((oc * fH + fy) * fW + fx) * inC + ic]));
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0, oc = 0; i < out.length; i++) {
    const v = bias ? fr(out[i] + bias[oc]) : out[i];
    out[i] = Math.min(Math.max(v, p.activationMin), p.activationMax);
    if (++oc === outC) oc = 0;
  }
}

/** The kernel's accumulators: int32 per output element (int64 for 16x8); float runs on the host only. */
function scratchBytes(p: TransposeConvParams): number {
  if (p.kind === 'float32') return 0;
  return p.batches * p.outputHeight * p.outputWidth * p.outputDepth * (p.kind === 'int8' ? 4 : 8);
}

function emitC(p: TransposeConvParams, names: EmitNames, ctx: EmitContext): CEmission {
  const fields = convGeometry('window', p);
  if (p.kind === 'float32') {
    const args = { input: names.inputs[2], weights: names.inputs[1], bias: p.hasBias ? names.inputs[3] : undefined, output: names.outputs[0] };
    const em = emitFloatConvLike('transpose_conv', 'tinyml_transpose_conv', p, fields, args, ctx);
    // The output_shape operand is baked into the params (see below).
    return names.inputs[0] ? { ...em, call: `  (void)${names.inputs[0]};\n${em.call}` } : em;
  }
  const decls = quantConvDecls('tinyml_transpose_conv_params', p, fields, ctx.prefix);
  // The scatter's accumulators (one per output element) live in the arena during this op only.
  const scratch = scratchArg(ctx, p.kind === 'int8' ? 'int32_t' : 'int64_t', scratchBytes(p), 'transpose_conv');
  const fn = p.kind === 'int8' ? 'tinyml_transpose_conv_s8' : p.bias16 ? 'tinyml_transpose_conv_s16_b16' : 'tinyml_transpose_conv_s16';
  const args = [
    `&${ctx.prefix}_params`,
    names.inputs[2],
    names.inputs[1],
    cPointer(p.hasBias ? names.inputs[3] : undefined),
    names.outputs[0],
    scratch,
  ];
  // A constant output_shape operand is baked into the params; referencing it keeps its constant
  // array from tripping -Werror=unused-const-variable when nothing else reads it. A run-time one
  // must hold the output shape the code was generated for: otherwise invoke fails.
  const shapeCheck = p.outputShapeAtRuntime
    ? `  if (!tinyml_transpose_conv_output_shape_ok(${names.inputs[0]}, ${p.batches}, ${p.outputHeight}, ${p.outputWidth}, ${p.outputDepth})) return TINYML_ERR_OUTPUT_SHAPE;`
    : names.inputs[0]
      ? `  (void)${names.inputs[0]};`
      : undefined;
  const call = [shapeCheck, `  ${fn}(${args.join(', ')});`].filter(Boolean).join('\n');
  return { kernels: ['transpose_conv.c'], includes: ['transpose_conv.h'], decls, call };
}

export interface TransposeConvAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  activation: FusedActivation;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    TRANSPOSE_CONV: TransposeConvAttrs;
  }
}

/**
 * TransposeConvOptions: 0 padding, 1 stride_w, 2 stride_h, 3 fused_activation_function (added in
 * version 4; older models have none: NONE), 4 quantized_bias_type.
 */
const transposeConvTflite: TfliteMapping<TransposeConvAttrs> = {
  options: {
    table: 'TransposeConvOptions',
    unionType: 49,
    fields: [
      { id: 0, name: 'padding', kind: 'i8' },
      { id: 1, name: 'stride_w', kind: 'i32' },
      { id: 2, name: 'stride_h', kind: 'i32' },
      { id: 3, name: 'fused_activation_function', kind: 'i8' },
    ],
    read: (v, c) => ({
      padding: c.padding(v.num('padding')),
      strideH: c.positive(v.num('stride_h'), 'stride_h'),
      strideW: c.positive(v.num('stride_w'), 'stride_w'),
      activation: c.activation(v.num('fused_activation_function')),
    }),
    write: (a, c) => ({
      padding: c.padding(a.padding),
      stride_w: c.int('strideW', a.strideW),
      stride_h: c.int('strideH', a.strideH),
      fused_activation_function: c.activation(a.activation),
    }),
  },
  version(graph, op) {
    if ((op.attrs as TransposeConvAttrs).activation !== 'NONE') return 4;
    if (op.inputs.length === 4 && op.inputs[3] >= 0) return 3;
    return dtypeOf(graph, op.inputs[1]) === 'int8' ? 2 : 1;
  },
};

export const transposeConv: OpDef<'TRANSPOSE_CONV', TransposeConvParams> = {
  type: 'TRANSPOSE_CONV',
  tflite: transposeConvTflite,
  quant: { weights: { weights: 1, axis: 0, bias: 3, input: 2 } },
  inferShapes: (ctx) => windowOutputShapes(geometry(ctx)),
  macs(ctx) {
    const g = geometry(ctx);
    return g.batches * g.inputHeight * g.inputWidth * g.inputDepth * g.filterHeight * g.filterWidth * g.outputDepth;
  },
  prepare: (ctx) => normalizeParams(prepare(ctx)),
  evaluate,
  emitC,
  scratchBytes,
};
