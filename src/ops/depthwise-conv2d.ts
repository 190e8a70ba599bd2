/**
 * DEPTHWISE_CONV_2D: each input channel is convolved with its own `depthMultiplier` filters
 * (output channel = input channel * multiplier + m). Weights are [1, H, W, out channels],
 * quantized per channel along dimension 3.
 *
 * Reference: TFLite Micro's reference_integer_ops::DepthwiseConvPerChannel (int8, and 16x8 with
 * int64 bias) and reference_ops::DepthwiseConv for float.
 */
import type { SubByteKind } from '../ir/weight-encoding.js';
import { GraphError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import { SCRATCH_WEIGHTS, f64Scratch } from './gemm-f64.js';
import { planeConvLayer } from './plane-conv.js';
import { normalizeParams, withSubByteWeights, opLabel, type Accumulator, type QuantKind, type QuantLayerFields, type WindowFields, finishReference, prepareWindowed, windowOutputShapes } from './layer-params.js';
import { convGeometry, emitConvLike } from './c-emit.js';
import { outputStage } from './requant-fast.js';
import { forwardWindow, forwardWindowOperands } from './padding.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { readConvOptions, writeConvOptions, type Conv2DAttrs } from './conv2d.js';
import { dtypeOf, type TfliteMapping } from './tflite-options.js';
import { withHybridForm } from './hybrid/common.js';
import { depthwiseInPlaceOk, depthwiseInPlaceRowBytes } from './depthwise-in-place.js';
import { scratchArg } from './scratch.js';
import { evaluateHybridDepthwiseConv2d, prepareHybridDepthwiseConv2d, type HybridDepthwiseConv2DParams } from './hybrid/depthwise-conv2d.js';

/** outputDepth is inputDepth * depthMultiplier. */
export interface DepthwiseConv2DGeometry extends WindowFields {
  depthMultiplier: number;
  dilationHeight: number;
  dilationWidth: number;
}

export interface DepthwiseConv2DQuantParams extends DepthwiseConv2DGeometry, QuantLayerFields {
  kind: QuantKind;
  /** Always int64 for 16x8 (TFLM's depthwise 16x8 kernel only takes int64 bias). */
  accumulator: Accumulator;
  /** -weights zero point: 0 in the int8 spec; a legacy uint8 model's shifted one (int8 only). */
  weightsOffset: number;
  /** Set when the constant weights are stored sub-byte (decoded values in the tensor; see ops/subbyte/). */
  weightEncoding?: SubByteKind;
}

export interface DepthwiseConv2DFloatParams extends DepthwiseConv2DGeometry {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type DepthwiseConv2DParams = DepthwiseConv2DQuantParams | DepthwiseConv2DFloatParams;

function geometry(ctx: OpContext<'DEPTHWISE_CONV_2D'>): DepthwiseConv2DGeometry {
  const operands = forwardWindowOperands(ctx);
  const a = ctx.op.attrs;
  const inC = operands.input.shape[3];
  const [one, , , outC] = operands.filter.shape;
  if (one !== 1) {
    throw new GraphError(`${opLabel(ctx)}: depthwise weights must be [1, H, W, channels], got [${operands.filter.shape.join(', ')}]`);
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
  return { ...forwardWindow(ctx, operands, outC, a), depthMultiplier };
}

function prepare(ctx: OpContext<'DEPTHWISE_CONV_2D'>): DepthwiseConv2DParams {
  const g = geometry(ctx);
  // [1, H, W, C] weights: channel c's taps are strided by the channel count.
  const channels = g.outputDepth;
  return prepareWindowed(ctx, g, {
    int32BiasFor16x8: false,
    channelDim: 3,
    channels,
    check64: (kind) => (kind === 'int16' ? { taps: g.filterHeight * g.filterWidth, index: (c, k) => k * channels + c } : undefined),
  });
}

/** The fast host path: the weights as doubles, one channel's taps contiguous, then planeConvLayer. */
function evaluate(p: DepthwiseConv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  // Weights with a zero point (legacy uint8 models) take the plain loops.
  if (p.kind === 'int8' && p.weightsOffset !== 0) return depthwiseReference(p, inputs, outputs);
  const filter = inputs[1] as Int8Array | Float32Array;
  const bias = p.hasBias ? inputs[2] : undefined;
  const outC = p.outputDepth | 0;
  const taps = (p.filterHeight * p.filterWidth) | 0;
  // The 16x8 depthwise kernel ignores the output zero point.
  const stage = outputStage(p, outC, bias, outputs[0], p.kind === 'int8' ? p.outputOffset | 0 : 0);
  // Weights [1, fH, fW, outC] transposed to [outC][taps].
  const W = f64Scratch(SCRATCH_WEIGHTS, outC * taps);
  for (let t = 0; t < taps; t++) for (let c = 0; c < outC; c++) W[c * taps + t] = filter[t * outC + c];
  planeConvLayer(p, p.depthMultiplier, input, p.kind === 'float32' ? 0 : p.inputOffset, W, stage);
}

/**
 * The plain reference (the oracle): TFLite Micro's reference_integer_ops::DepthwiseConvPerChannel
 * and reference_ops::DepthwiseConv loops, one output at a time. `evaluate` is the fast host path,
 * tested equal to this.
 */
export function depthwiseReference(p: DepthwiseConv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const output = outputs[0];
  const { inputHeight: inH, inputWidth: inW, inputDepth: inC, filterHeight: fH, filterWidth: fW } = p;
  const { outputHeight: outH, outputWidth: outW, outputDepth: outC, depthMultiplier: mult } = p;
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  const filter = inputs[1] as Int8Array | Float32Array;
  const inOff = p.kind === 'float32' ? 0 : p.inputOffset;
  const wOff = p.kind === 'int8' ? p.weightsOffset : 0;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let oc = 0; oc < outC; oc++) {
          const ic = Math.floor(oc / mult);
          let acc = 0;
          for (let fy = 0; fy < fH; fy++) {
            const iy = oy * p.strideHeight - p.padHeight + p.dilationHeight * fy;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < fW; fx++) {
              const ix = ox * p.strideWidth - p.padWidth + p.dilationWidth * fx;
              if (ix < 0 || ix >= inW) continue;
              const x = input[((b * inH + iy) * inW + ix) * inC + ic];
              const w = filter[(fy * fW + fx) * outC + oc];
              acc += (w + wOff) * (x + inOff);
            }
          }
          output[o++] = finishReference(p, acc, inputs[2], oc, p.kind === 'int8' ? (p as { outputOffset: number }).outputOffset : 0);
        }
      }
    }
  }
}

/** int8/16x8: depthwise_conv2d.c, float32: depthwise_conv2d_f32.c; both embed tinyml_depthwise_geometry. */
function emitC(p: DepthwiseConv2DParams, names: EmitNames, ctx: EmitContext): CEmission {
  const geo = convGeometry('depthwise', p);
  if (ctx.inPlace) {
    // Output over input (depthwise-in-place.ts): one pointer, and the planned row buffer.
    if (p.kind !== 'int8' || !depthwiseInPlaceOk(p)) throw new Error(`${ctx.prefix}: this depthwise layer cannot run in place`);
    const rows = scratchArg(ctx, 'int8_t', depthwiseInPlaceRowBytes(p), 'depthwise_conv2d_s8_in_place');
    const em = emitConvLike('depthwise_conv2d', 'tinyml_depthwise_conv2d', p, { ...geo, weights_offset: p.weightsOffset }, names, ctx);
    const bias = p.hasBias ? names.inputs[2] : 'NULL';
    return { ...em, call: `  tinyml_depthwise_conv2d_s8_in_place(&${ctx.prefix}_params, ${names.outputs[0]}, ${names.inputs[1]}, ${bias}, ${rows});` };
  }
  // Legacy uint8 models carry a per-tensor weights zero point (0 in the int8 spec).
  return emitConvLike('depthwise_conv2d', 'tinyml_depthwise_conv2d', p, p.kind === 'float32' ? geo : { ...geo, weights_offset: p.kind === 'int8' ? p.weightsOffset : 0 }, names, ctx);
}

export interface DepthwiseConv2DAttrs extends Conv2DAttrs {
  depthMultiplier: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    DEPTHWISE_CONV_2D: DepthwiseConv2DAttrs;
  }
}

/**
 * DepthwiseConv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier,
 * 4 fused_activation_function, 5 dilation_w_factor = 1, 6 dilation_h_factor = 1.
 */
const depthwiseTflite: TfliteMapping<DepthwiseConv2DAttrs> = {
  options: {
    table: 'DepthwiseConv2DOptions',
    unionType: 2,
    fields: [
      { id: 0, name: 'padding', kind: 'i8' },
      { id: 1, name: 'stride_w', kind: 'i32' },
      { id: 2, name: 'stride_h', kind: 'i32' },
      { id: 3, name: 'depth_multiplier', kind: 'i32' },
      { id: 4, name: 'fused_activation_function', kind: 'i8' },
      { id: 5, name: 'dilation_w_factor', kind: 'i32', default: 1 },
      { id: 6, name: 'dilation_h_factor', kind: 'i32', default: 1 },
    ],
    // depth_multiplier: redundant in TFLite >= 2.x (output channels come from the filter); kept as stored.
    read: (v, c) => ({ ...readConvOptions(v, c), depthMultiplier: v.num('depth_multiplier') }),
    write: (a, c) => ({ ...writeConvOptions(a, c), depth_multiplier: c.int('depthMultiplier', a.depthMultiplier) }),
  },
  version(graph, op) {
    const [in0, in1] = [dtypeOf(graph, op.inputs[0]), dtypeOf(graph, op.inputs[1])];
    if (in0 === 'int16') return 5;
    if (in0 === 'int8' && in1 === 'int8') return 3;
    if (in0 === 'float32' && in1 === 'int8') return (graph.tensors[op.inputs[1]].quant?.scale.length ?? 1) > 1 ? 6 : 4; // hybrid
    const a = op.attrs as DepthwiseConv2DAttrs;
    return a.dilationH !== 1 || a.dilationW !== 1 ? 2 : 1;
  },
};

export const depthwiseConv2d: OpDef<'DEPTHWISE_CONV_2D', DepthwiseConv2DParams | HybridDepthwiseConv2DParams> = {
  type: 'DEPTHWISE_CONV_2D',
  tflite: depthwiseTflite,
  quant: { weights: { weights: 1, axis: 3, bias: 2, input: 0 } },
  inferShapes: (ctx) => windowOutputShapes(geometry(ctx)),
  macs(ctx) {
    const g = geometry(ctx);
    return g.batches * g.outputHeight * g.outputWidth * g.outputDepth * g.filterHeight * g.filterWidth;
  },
  // Hybrid layers (float activations, int8 weights) are ops/hybrid/'s; their C kernel is a
  // kernel variant registered there.
  ...withHybridForm(
    { prepare: (ctx) => normalizeParams(withSubByteWeights(ctx, prepare(ctx))), evaluate, reference: depthwiseReference, emitC },
    { prepare: (ctx) => prepareHybridDepthwiseConv2d(ctx, geometry(ctx)), evaluate: evaluateHybridDepthwiseConv2d },
  ),
  inPlaceScratchBytes: (p) => (p.kind !== 'hybrid' && depthwiseInPlaceOk(p) ? depthwiseInPlaceRowBytes(p) : undefined),
};
