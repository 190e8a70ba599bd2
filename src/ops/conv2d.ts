/**
 * CONV_2D: shape rule, MACs, prepare, reference kernels and emitC. What the conv-like ops share
 * lives in modules named for it: padding.ts, layer-params.ts, gemm-f64.ts, requant-fast.ts and
 * c-emit.ts.
 *
 * Reference: TFLite Micro's conv kernel (reference_integer_ops::ConvPerChannel for int8 and 16x8,
 * reference_ops::Conv for float), with grouped convolution (input depth = filter depth x groups).
 */
import type { SubByteKind } from '../ir/weight-encoding.js';
import { GraphError } from '../errors.js';
import type { FusedActivation, Padding } from '../ir/attrs.js';
import type { TensorData } from '../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { dtypeOf, type OptionsReadContext, type OptionsWriteContext, type RawOptions, type TfliteFieldValues, type TfliteMapping } from './tflite-options.js';
import { forwardWindow, forwardWindowOperands } from './padding.js';
import { type Accumulator, type QuantLayerFields, type WindowFields, normalizeParams, windowOutputShapes, withSubByteWeights, opLabel, type QuantKind, finishReference, prepareWindowed } from './layer-params.js';
import { ACC_CHUNK, type F64Buffer, f64Scratch, gemmF64, padInput, SCRATCH_ACC, SCRATCH_COLUMNS, SCRATCH_INPUT, SCRATCH_WEIGHTS, toF64, windowReach } from './gemm-f64.js';
import { planeConvLayer } from './plane-conv.js';
import { finalizeOutputs, outputStage } from './requant-fast.js';
import { convGeometry, emitConvLike } from './c-emit.js';
import { withHybridForm } from './hybrid/common.js';
import { evaluateHybridConv2d, prepareHybridConv2d, type HybridConv2DParams } from './hybrid/conv2d.js';

export interface Conv2DGeometry extends WindowFields {
  /** Filter dimension 3: input channels seen by one output channel (input depth / groups). */
  filterInputDepth: number;
  groups: number;
  dilationHeight: number;
  dilationWidth: number;
}

export interface Conv2DQuantParams extends Conv2DGeometry, QuantLayerFields {
  kind: QuantKind;
  /** int32 for int8; for 16x8, int64 unless the bias is int32 (TFLM then accumulates in int32). */
  accumulator: Accumulator;
  /** -weights zero point: 0 in the int8 spec; a legacy uint8 model's shifted one (int8 only). */
  weightsOffset: number;
  /** Set when the constant weights are stored sub-byte (decoded values in the tensor; see ops/subbyte/). */
  weightEncoding?: SubByteKind;
}

export interface Conv2DFloatParams extends Conv2DGeometry {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

export type Conv2DParams = Conv2DQuantParams | Conv2DFloatParams;

function conv2dGeometry(ctx: OpContext<'CONV_2D'>): Conv2DGeometry {
  const operands = forwardWindowOperands(ctx);
  const inC = operands.input.shape[3];
  const [outC, , , fIC] = operands.filter.shape;
  if (fIC <= 0 || inC % fIC !== 0) {
    throw new GraphError(`${opLabel(ctx)}: input depth ${inC} is not a multiple of the weights' input depth ${fIC}`);
  }
  const groups = inC / fIC;
  if (outC % groups !== 0) {
    throw new GraphError(`${opLabel(ctx)}: ${outC} output channels cannot be split into ${groups} groups`);
  }
  return { ...forwardWindow(ctx, operands, outC, ctx.op.attrs), filterInputDepth: fIC, groups };
}

/**
 * A 1x1 window at stride 1 with no padding: output pixel i reads input pixel i alone (the
 * pointwise layers the kernels and planners special-case; groups and depths are the caller's).
 */
export function isUnitWindow(p: Pick<Conv2DParams, 'filterHeight' | 'filterWidth' | 'strideHeight' | 'strideWidth' | 'padHeight' | 'padWidth'>): boolean {
  return p.filterHeight === 1 && p.filterWidth === 1 && p.strideHeight === 1 && p.strideWidth === 1 && p.padHeight === 0 && p.padWidth === 0;
}

function conv2dPrepare(ctx: OpContext<'CONV_2D'>): Conv2DParams {
  const g = conv2dGeometry(ctx);
  // OHWI weights: each output channel's taps are contiguous.
  const taps = g.filterHeight * g.filterWidth * g.filterInputDepth;
  return prepareWindowed(ctx, g, {
    int32BiasFor16x8: true,
    channelDim: 0,
    channels: g.outputDepth,
    check64: (kind, accumulator) => (kind === 'int16' && accumulator === 'int64' ? { taps, index: (c, k) => c * taps + k } : undefined),
  });
}

/**
 * CONV_2D evaluation: per batch, the input becomes a zero-padded buffer of doubles with the input
 * offset applied (padding taps then contribute 0, as the reference's skipped taps do); chunks of
 * output rows are unrolled into im2col rows (the padded input itself for a 1x1 stride-1
 * unpadded conv), multiplied with the weights per group, and requantized per output kind.
 */
function conv2dEvaluate(p: Conv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  const filter = inputs[1] as Int8Array | Float32Array;
  // Weights with a zero point (legacy uint8 models) take the plain loops.
  if (p.kind === 'int8' && p.weightsOffset !== 0) return conv2dReference(p, inputs, outputs);
  const bias = p.hasBias ? inputs[2] : undefined;
  // `| 0`: V8 may hold params fields as doubles; int32 locals keep all index arithmetic integral.
  const inH = p.inputHeight | 0;
  const inW = p.inputWidth | 0;
  const inC = p.inputDepth | 0;
  const fH = p.filterHeight | 0;
  const fW = p.filterWidth | 0;
  const fIC = p.filterInputDepth | 0;
  const outH = p.outputHeight | 0;
  const outW = p.outputWidth | 0;
  const outC = p.outputDepth | 0;
  const sH = p.strideHeight | 0;
  const sW = p.strideWidth | 0;
  const dH = p.dilationHeight | 0;
  const dW = p.dilationWidth | 0;
  const pH = p.padHeight | 0;
  const pW = p.padWidth | 0;
  const groups = p.groups | 0;
  const batches = p.batches | 0;
  const inOff = p.kind === 'float32' ? 0 : p.inputOffset | 0;
  // The 16x8 conv kernel ignores the output zero point.
  const outOff = p.kind === 'int8' ? p.outputOffset | 0 : 0;
  const stage = outputStage(p, outC, bias, outputs[0], outOff);
  const taps = fH * fW * fIC;
  // `| 0`: integers computed by division or Math.floor may be heap doubles, and a double index
  // argument would deoptimize gemmF64 into float index arithmetic.
  const filtersPerGroup = (outC / groups) | 0;
  const W = toF64(filter, 0, outC * taps, 0, f64Scratch(SCRATCH_WEIGHTS, outC * taps));
  const pointwise = fH === 1 && fW === 1 && sH === 1 && sW === 1 && pH === 0 && pW === 0;
  // One input channel: the padded input is a single plane, and each output channel slides its
  // window over it with the weights in locals, as a depthwise conv with multiplier outC does.
  if (inC === 1 && !pointwise) return planeConvLayer(p, outC, input, inOff, W, stage);
  // Rows and columns of (padded) input the windows reach, starting at -pad.
  const hp = windowReach(outH, sH, fH, dH);
  const wp = windowReach(outW, sW, fW, dW);
  const X = f64Scratch(SCRATCH_INPUT, hp * wp * inC);
  const rowsPerChunk = Math.max(1, Math.floor(ACC_CHUNK / (outW * Math.max(outC, taps)))) | 0;
  const acc = f64Scratch(SCRATCH_ACC, Math.min(outH, rowsPerChunk) * outW * outC);
  const cols = pointwise ? X : f64Scratch(SCRATCH_COLUMNS, Math.min(outH, rowsPerChunk) * outW * taps);
  for (let b = 0; b < batches; b++) {
    padInput('nhwc', input, b * inH * inW * inC, inH, inW, inC, inOff, X, hp, wp, pH, pW);
    for (let oy0 = 0; oy0 < outH; oy0 += rowsPerChunk) {
      const oy1 = Math.min(outH, oy0 + rowsPerChunk) | 0;
      const pixels = (oy1 - oy0) * outW;
      for (let g = 0; g < groups; g++) {
        if (pointwise) {
          gemmF64(X, oy0 * outW * inC + g * fIC, inC, pixels, W, g * filtersPerGroup * taps, taps, filtersPerGroup, acc, g * filtersPerGroup, outC);
        } else {
          im2col(X, wp, inC, g * fIC, fIC, fH, fW, dH, dW, sH, sW, oy0, oy1, outW, cols);
          gemmF64(cols, 0, taps, pixels, W, g * filtersPerGroup * taps, taps, filtersPerGroup, acc, g * filtersPerGroup, outC);
        }
      }
      finalizeOutputs(stage, acc, pixels, outC, ((b * outH + oy0) * outW) * outC);
    }
  }
}

/**
 * The plain reference (the oracle): TFLite Micro's reference_integer_ops::ConvPerChannel and
 * reference_ops::Conv loops, one output at a time, accumulating in doubles (exact for the
 * integer kinds). `conv2dEvaluate` is the fast host path, tested equal to this.
 */
export function conv2dReference(p: Conv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const output = outputs[0];
  const { inputHeight: inH, inputWidth: inW, inputDepth: inC, filterHeight: fH, filterWidth: fW, filterInputDepth: fIC } = p;
  const { outputHeight: outH, outputWidth: outW, outputDepth: outC, strideHeight: sH, strideWidth: sW } = p;
  const { dilationHeight: dH, dilationWidth: dW, padHeight: pH, padWidth: pW } = p;
  const input = inputs[0] as Int8Array | Int16Array | Float32Array;
  const filter = inputs[1] as Int8Array | Float32Array;
  const filtersPerGroup = outC / p.groups;
  const inOff = p.kind === 'float32' ? 0 : p.inputOffset;
  const wOff = p.kind === 'int8' ? p.weightsOffset : 0;
  let o = 0;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let oc = 0; oc < outC; oc++) {
          const icBase = Math.floor(oc / filtersPerGroup) * fIC;
          let acc = 0;
          for (let fy = 0; fy < fH; fy++) {
            const iy = oy * sH - pH + dH * fy;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < fW; fx++) {
              const ix = ox * sW - pW + dW * fx;
              if (ix < 0 || ix >= inW) continue;
              const ip = ((b * inH + iy) * inW + ix) * inC + icBase;
              const fp = ((oc * fH + fy) * fW + fx) * fIC;
              for (let ic = 0; ic < fIC; ic++) {
                acc += (filter[fp + ic] + wOff) * (input[ip + ic] + inOff);
              }
            }
          }
          output[o++] = finishReference(p, acc, inputs[2], oc, p.kind === 'int8' ? (p as { outputOffset: number }).outputOffset : 0);
        }
      }
    }
  }
}

/**
 * Output rows [oy0, oy1) of a padded NHWC input as im2col rows: one row of fH*fW*fIC values per
 * output pixel, in the weights' (fy, fx, ic) order, channels [icBase, icBase + fIC).
 */
function im2col(
  X: F64Buffer,
  wp: number,
  depth: number,
  icBase: number,
  fIC: number,
  fH: number,
  fW: number,
  dH: number,
  dW: number,
  sH: number,
  sW: number,
  oy0: number,
  oy1: number,
  outW: number,
  cols: F64Buffer,
): void {
  wp |= 0;
  depth |= 0;
  icBase |= 0;
  fIC |= 0;
  fH |= 0;
  fW |= 0;
  dH |= 0;
  dW |= 0;
  sH |= 0;
  sW |= 0;
  oy0 |= 0;
  oy1 |= 0;
  outW |= 0;
  let d = 0;
  if (dW === 1 && fIC === depth) {
    // Each filter row reads one contiguous run of fW*depth values.
    const run = fW * depth;
    for (let oy = oy0; oy < oy1; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let fy = 0; fy < fH; fy++) {
          const s = ((oy * sH + fy * dH) * wp + ox * sW) * depth;
          for (let k = 0; k < run; k++) cols[d++] = X[s + k];
        }
      }
    }
    return;
  }
  for (let oy = oy0; oy < oy1; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let fy = 0; fy < fH; fy++) {
        const row = ((oy * sH + fy * dH) * wp + ox * sW) * depth + icBase;
        for (let fx = 0; fx < fW; fx++) {
          const s = row + fx * dW * depth;
          for (let ic = 0; ic < fIC; ic++) cols[d++] = X[s + ic];
        }
      }
    }
  }
}

/** int8/16x8: conv2d.c, float32: conv2d_f32.c; both params structs embed tinyml_conv2d_geometry. */
function conv2dEmitC(p: Conv2DParams, names: EmitNames, ctx: EmitContext): CEmission {
  const geo = convGeometry('conv2d', p);
  // Legacy uint8 models carry a per-tensor weights zero point (0 in the int8 spec).
  return emitConvLike('conv2d', 'tinyml_conv2d', p, p.kind === 'float32' ? geo : { ...geo, weights_offset: p.kind === 'int8' ? p.weightsOffset : 0 }, names, ctx);
}

export interface Conv2DAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: FusedActivation;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    CONV_2D: Conv2DAttrs;
  }
}

/** The window fields Conv2DOptions and DepthwiseConv2DOptions share, by name. */
export function readConvOptions(v: RawOptions, c: OptionsReadContext): Conv2DAttrs {
  return {
    padding: c.padding(v.num('padding')),
    strideH: c.positive(v.num('stride_h'), 'stride_h'),
    strideW: c.positive(v.num('stride_w'), 'stride_w'),
    dilationH: c.positive(v.num('dilation_h_factor'), 'dilation_h_factor'),
    dilationW: c.positive(v.num('dilation_w_factor'), 'dilation_w_factor'),
    activation: c.activation(v.num('fused_activation_function')),
  };
}

export function writeConvOptions(a: Conv2DAttrs, c: OptionsWriteContext): TfliteFieldValues {
  return {
    padding: c.padding(a.padding),
    stride_w: c.int('strideW', a.strideW),
    stride_h: c.int('strideH', a.strideH),
    fused_activation_function: c.activation(a.activation),
    dilation_w_factor: c.int('dilationW', a.dilationW),
    dilation_h_factor: c.int('dilationH', a.dilationH),
  };
}

/**
 * Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 fused_activation_function,
 * 4 dilation_w_factor = 1, 5 dilation_h_factor = 1 (6 quantized_bias_type: not needed).
 */
const conv2dTflite: TfliteMapping<Conv2DAttrs> = {
  options: {
    table: 'Conv2DOptions',
    unionType: 1,
    fields: [
      { id: 0, name: 'padding', kind: 'i8' },
      { id: 1, name: 'stride_w', kind: 'i32' },
      { id: 2, name: 'stride_h', kind: 'i32' },
      { id: 3, name: 'fused_activation_function', kind: 'i8' },
      { id: 4, name: 'dilation_w_factor', kind: 'i32', default: 1 },
      { id: 5, name: 'dilation_h_factor', kind: 'i32', default: 1 },
    ],
    read: readConvOptions,
    write: writeConvOptions,
  },
  version(graph, op) {
    const [in0, in1, out0] = [dtypeOf(graph, op.inputs[0]), dtypeOf(graph, op.inputs[1]), dtypeOf(graph, op.outputs[0])];
    const input = graph.tensors[op.inputs[0]];
    const filter = graph.tensors[op.inputs[1]];
    if (input && filter && input.shape.length === 4 && filter.shape.length === 4 && input.shape[3] !== filter.shape[3]) return 6;
    if (in0 === 'int16' && in1 === 'int8' && out0 === 'int16') return 4;
    if (in0 === 'int8' && in1 === 'int8') return 3;
    if (in0 === 'float32' && in1 === 'int8') return (filter?.quant?.scale.length ?? 1) > 1 ? 5 : 2; // hybrid
    const a = op.attrs as Conv2DAttrs;
    return a.dilationH !== 1 || a.dilationW !== 1 ? 2 : 1;
  },
};

export const conv2d: OpDef<'CONV_2D', Conv2DParams | HybridConv2DParams> = {
  type: 'CONV_2D',
  tflite: conv2dTflite,
  quant: { weights: { weights: 1, axis: 0, bias: 2, input: 0 } },
  inferShapes: (ctx) => windowOutputShapes(conv2dGeometry(ctx)),
  macs(ctx) {
    const g = conv2dGeometry(ctx);
    return g.batches * g.outputHeight * g.outputWidth * g.outputDepth * g.filterHeight * g.filterWidth * g.filterInputDepth;
  },
  // Hybrid layers (float activations, int8 weights) are ops/hybrid/'s; their C kernel is a
  // kernel variant registered there.
  ...withHybridForm(
    { prepare: (ctx) => normalizeParams(withSubByteWeights(ctx, conv2dPrepare(ctx))), evaluate: conv2dEvaluate, reference: conv2dReference, emitC: conv2dEmitC },
    { prepare: (ctx) => prepareHybridConv2d(ctx, conv2dGeometry(ctx)), evaluate: evaluateHybridConv2d },
  ),
};
