/**
 * DEPTHWISE_CONV_2D: each input channel is convolved with its own `depthMultiplier` filters
 * (output channel = input channel * multiplier + m). Weights are [1, H, W, out channels],
 * quantized per channel along dimension 3.
 *
 * Reference: TFLite Micro's reference_integer_ops::DepthwiseConvPerChannel (int8, and 16x8 with
 * int64 bias) and reference_ops::DepthwiseConv for float.
 */
import { GraphError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { multiplyByQuantizedMultiplier } from '../fixedpoint.js';
import {
  checkArity,
  checkBias,
  classifyDtypes,
  cInt32Array,
  convMultipliers,
  cPointer,
  cStructInit,
  filterScales,
  floatActivationRange,
  floatKernelUnsupported,
  kernelFunction,
  normalizeParams,
  opLabel,
  quantCommonFields,
  quantizedActivationRange,
  requantize16,
  requireRank,
  tensorQuant,
  zeroPointOffset,
  windowAxis,
  type Accumulator,
  type QuantKind,
} from './conv2d.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';

export interface DepthwiseConv2DGeometry {
  batches: number;
  inputHeight: number;
  inputWidth: number;
  inputDepth: number;
  filterHeight: number;
  filterWidth: number;
  outputHeight: number;
  outputWidth: number;
  /** inputDepth * depthMultiplier. */
  outputDepth: number;
  depthMultiplier: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padHeight: number;
  padWidth: number;
  padHeightOffset: number;
  padWidthOffset: number;
  hasBias: boolean;
}

export interface DepthwiseConv2DQuantParams extends DepthwiseConv2DGeometry {
  kind: QuantKind;
  /** Always int64 for 16x8 (TFLM's depthwise 16x8 kernel only takes int64 bias). */
  accumulator: Accumulator;
  inputOffset: number;
  outputOffset: number;
  activationMin: number;
  activationMax: number;
  perChannel: boolean;
  outputMultiplier: number[];
  outputShift: number[];
}

export interface DepthwiseConv2DFloatParams extends DepthwiseConv2DGeometry {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type DepthwiseConv2DParams = DepthwiseConv2DQuantParams | DepthwiseConv2DFloatParams;

function geometry(ctx: OpContext<'DEPTHWISE_CONV_2D'>): DepthwiseConv2DGeometry {
  checkArity(ctx, 2, 3);
  const [input, filter, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  requireRank(ctx, input, 4, 'input');
  requireRank(ctx, filter, 4, 'weights');
  const a = ctx.op.attrs;
  const [batches, inH, inW, inC] = input.shape;
  const [one, fH, fW, outC] = filter.shape;
  if (one !== 1) {
    throw new GraphError(`${opLabel(ctx)}: depthwise weights must be [1, H, W, channels], got [${filter.shape.join(', ')}]`);
  }
  if (inC <= 0 || outC % inC !== 0) {
    throw new GraphError(`${opLabel(ctx)}: weights have ${outC} channels, not a multiple of the input depth ${inC}`);
  }
  // The multiplier follows from the shapes (as TFLite's ComputeDepthMultiplier does); a stale
  // depth_multiplier option that contradicts them is a broken model.
  const depthMultiplier = outC / inC;
  if (a.depthMultiplier > 0 && a.depthMultiplier !== depthMultiplier) {
    throw new GraphError(
      `${opLabel(ctx)}: depth_multiplier ${a.depthMultiplier} contradicts the shapes (input depth ${inC}, ${outC} output channels)`,
    );
  }
  checkBias(ctx, bias, outC);
  const h = windowAxis(ctx, a.padding, inH, fH, a.strideH, a.dilationH);
  const w = windowAxis(ctx, a.padding, inW, fW, a.strideW, a.dilationW);
  return {
    batches,
    inputHeight: inH,
    inputWidth: inW,
    inputDepth: inC,
    filterHeight: fH,
    filterWidth: fW,
    outputHeight: h.out,
    outputWidth: w.out,
    outputDepth: outC,
    depthMultiplier,
    strideHeight: a.strideH,
    strideWidth: a.strideW,
    dilationHeight: a.dilationH,
    dilationWidth: a.dilationW,
    padHeight: h.pad,
    padWidth: w.pad,
    padHeightOffset: h.offset,
    padWidthOffset: w.offset,
    hasBias: bias !== undefined,
  };
}

function prepare(ctx: OpContext<'DEPTHWISE_CONV_2D'>): DepthwiseConv2DParams {
  const g = geometry(ctx);
  const [input, filter, bias] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
  const output = ctx.outputs[0];
  const { kind, accumulator } = classifyDtypes(ctx, input, filter, bias, output, false);
  const activation = ctx.op.attrs.activation;
  if (kind === 'float32') {
    const r = floatActivationRange(activation);
    return { ...g, kind, activationMin: r.min, activationMax: r.max };
  }
  const iq = tensorQuant(ctx, input, 'input');
  const oq = tensorQuant(ctx, output, 'output');
  const scales = filterScales(ctx, filter, 3, g.outputDepth);
  const m = convMultipliers(iq.scale, scales, oq.scale);
  const r = quantizedActivationRange(activation, kind, oq.scale, oq.zeroPoint);
  return {
    ...g,
    kind,
    accumulator,
    inputOffset: kind === 'int8' ? zeroPointOffset(iq.zeroPoint) : 0,
    outputOffset: kind === 'int8' ? oq.zeroPoint : 0,
    activationMin: r.min,
    activationMax: r.max,
    perChannel: scales.length > 1,
    outputMultiplier: m.multiplier,
    outputShift: m.shift,
  };
}

/**
 * Walks the taps tap-major with all channels of a pixel in the inner loop (fast in JavaScript);
 * each channel still sums its taps in the reference's (filter_y, filter_x) order, so integer
 * results are identical and float sums round identically.
 */
function evaluate(p: DepthwiseConv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  const filter = inputs[1] as Int8Array | Float32Array;
  const { inputHeight: inH, inputWidth: inW, inputDepth: inC, filterHeight: fH, filterWidth: fW } = p;
  const { outputHeight: outH, outputWidth: outW, outputDepth: outC, depthMultiplier: mult } = p;
  const isFloat = p.kind === 'float32';
  const inOff = p.kind === 'float32' ? 0 : p.inputOffset;
  const acc = new Float64Array(outC);
  const fr = Math.fround;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideHeight - p.padHeight;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideWidth - p.padWidth;
        acc.fill(0);
        for (let fy = 0; fy < fH; fy++) {
          const iy = iy0 + p.dilationHeight * fy;
          if (iy < 0 || iy >= inH) continue;
          for (let fx = 0; fx < fW; fx++) {
            const ix = ix0 + p.dilationWidth * fx;
            if (ix < 0 || ix >= inW) continue;
            const ip = ((b * inH + iy) * inW + ix) * inC;
            const fp = (fy * fW + fx) * outC;
            if (isFloat) {
              for (let ic = 0, oc = 0; ic < inC; ic++) {
                const x = input[ip + ic];
                for (let m = 0; m < mult; m++, oc++) acc[oc] = fr(acc[oc] + fr(filter[fp + oc] * x));
              }
            } else if (mult === 1) {
              for (let c = 0; c < outC; c++) acc[c] += filter[fp + c] * (input[ip + c] + inOff);
            } else {
              for (let ic = 0, oc = 0; ic < inC; ic++) {
                const x = input[ip + ic] + inOff;
                for (let m = 0; m < mult; m++, oc++) acc[oc] += filter[fp + oc] * x;
              }
            }
          }
        }
        if (p.kind === 'float32') {
          const out = outputs[0] as Float32Array;
          const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
          for (let c = 0; c < outC; c++) {
            const v = fr(acc[c] + (bias ? bias[c] : 0));
            out[o++] = Math.min(Math.max(v, p.activationMin), p.activationMax);
          }
        } else if (p.kind === 'int8') {
          const out = outputs[0] as Int8Array;
          const bias = p.hasBias ? (inputs[2] as Int32Array) : undefined;
          for (let c = 0; c < outC; c++) {
            const ch = p.perChannel ? c : 0;
            const total = (bias ? acc[c] + bias[c] : acc[c]) | 0;
            const v = multiplyByQuantizedMultiplier(total, p.outputMultiplier[ch], p.outputShift[ch]) + p.outputOffset;
            out[o++] = v < p.activationMin ? p.activationMin : v > p.activationMax ? p.activationMax : v;
          }
        } else {
          const out = outputs[0] as Int16Array;
          const bias = p.hasBias ? (inputs[2] as BigInt64Array) : undefined;
          for (let c = 0; c < outC; c++) {
            const ch = p.perChannel ? c : 0;
            const v = requantize16(acc[c], bias, c, p.accumulator, p.outputMultiplier[ch], p.outputShift[ch]);
            out[o++] = v < p.activationMin ? p.activationMin : v > p.activationMax ? p.activationMax : v;
          }
        }
      }
    }
  }
}

function emitC(p: DepthwiseConv2DParams, names: EmitNames, ctx: EmitContext): CEmission {
  if (p.kind === 'float32') floatKernelUnsupported(ctx, 'DEPTHWISE_CONV_2D');
  const fields: Record<string, string | number> = {
    batches: p.batches,
    input_height: p.inputHeight,
    input_width: p.inputWidth,
    input_depth: p.inputDepth,
    filter_height: p.filterHeight,
    filter_width: p.filterWidth,
    output_height: p.outputHeight,
    output_width: p.outputWidth,
    output_depth: p.outputDepth,
    depth_multiplier: p.depthMultiplier,
    stride_height: p.strideHeight,
    stride_width: p.strideWidth,
    dilation_height: p.dilationHeight,
    dilation_width: p.dilationWidth,
    pad_height: p.padHeight,
    pad_width: p.padWidth,
    pad_height_offset: p.padHeightOffset,
    pad_width_offset: p.padWidthOffset,
    ...quantCommonFields(p, ctx.prefix),
  };
  const decls = [
    cInt32Array(`${ctx.prefix}_mult`, p.outputMultiplier),
    cInt32Array(`${ctx.prefix}_shift`, p.outputShift),
    cStructInit('tinyml_depthwise_conv2d_params', `${ctx.prefix}_params`, fields),
  ].join('\n');
  const fn = kernelFunction('tinyml_depthwise_conv2d', p.kind, p.accumulator);
  const args = [`&${ctx.prefix}_params`, names.inputs[0], names.inputs[1], cPointer(p.hasBias ? names.inputs[2] : undefined), names.outputs[0]];
  return { kernels: ['depthwise_conv2d.c'], includes: ['depthwise_conv2d.h'], decls, call: `  ${fn}(${args.join(', ')});` };
}

export const depthwiseConv2d: OpDef<'DEPTHWISE_CONV_2D', DepthwiseConv2DParams> = {
  type: 'DEPTHWISE_CONV_2D',
  inferShapes(ctx) {
    const g = geometry(ctx);
    return [[g.batches, g.outputHeight, g.outputWidth, g.outputDepth]];
  },
  macs(ctx) {
    const g = geometry(ctx);
    return g.batches * g.outputHeight * g.outputWidth * g.outputDepth * g.filterHeight * g.filterWidth;
  },
  prepare: (ctx) => normalizeParams(prepare(ctx)),
  evaluate,
  emitC,
};
