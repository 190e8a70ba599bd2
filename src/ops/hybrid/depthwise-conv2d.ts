/**
 * DEPTHWISE_CONV_2D of a hybrid (dynamic-range quantized) model: float input and output, int8
 * weights with one scale per output channel.
 *
 * TFLite's semantics (depthwise_conv.cc EvalHybridPerChannel,
 * reference_integer_ops::DepthwiseConvHybridPerChannel): each batch of the input is quantized
 * asymmetrically when the layer runs; each output channel's int32 sum of weight * (input - zero
 * point) over the window, padding taps skipped, becomes (acc * weight_scale) * input_scale + bias
 * (the order of TFLite's optimized kernel, which its interpreter runs),
 * then the fused activation. The C kernel is firmware/kernels/hybrid_depthwise_conv2d.c.
 */
import { UnsupportedOpError } from '../../errors.js';
import type { Tensor, TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext } from '../op-def.js';
import { convGeometry } from '../c-emit.js';
import { opLabel } from '../layer-params.js';
import type { DepthwiseConv2DGeometry } from '../depthwise-conv2d.js';
import { clampF32 } from './conv2d.js';
import { emitHybridLayer, hybridFloatFields, hybridVariant } from './common.js';
import { quantizeAsymmetric } from './quantize-input.js';

export interface HybridDepthwiseConv2DParams extends DepthwiseConv2DGeometry {
  kind: 'hybrid';
  /** One per output channel. */
  weightScales: number[];
  activationMin: number;
  activationMax: number;
}

const f = Math.fround;

export function prepareHybridDepthwiseConv2d(ctx: OpContext<'DEPTHWISE_CONV_2D'>, g: DepthwiseConv2DGeometry): HybridDepthwiseConv2DParams {
  const fields = hybridFloatFields(ctx, 3, g.outputDepth);
  if (fields.weightScales.length !== g.outputDepth) {
    throw new UnsupportedOpError(
      `${opLabel(ctx)}: hybrid DEPTHWISE_CONV_2D needs one weight scale per output channel (${g.outputDepth}), as TFLite's hybrid kernel does; '${(ctx.inputs[1] as Tensor).name}' has ${fields.weightScales.length}`,
    );
  }
  return { ...g, kind: 'hybrid', ...fields };
}

export function evaluateHybridDepthwiseConv2d(p: HybridDepthwiseConv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const input = inputs[0] as Float32Array;
  const weights = inputs[1] as Int8Array;
  const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
  const out = outputs[0] as Float32Array;
  const inH = p.inputHeight;
  const inW = p.inputWidth;
  const inC = p.inputDepth;
  const outC = p.outputDepth;
  const mult = p.depthMultiplier;
  const inElems = inH * inW * inC;
  const xq = new Int8Array(inElems);
  for (let b = 0; b < p.batches; b++) {
    const q = quantizeAsymmetric(input, b * inElems, inElems, xq);
    for (let oy = 0; oy < p.outputHeight; oy++) {
      for (let ox = 0; ox < p.outputWidth; ox++) {
        const y0 = oy * p.strideHeight - p.padHeight;
        const x0 = ox * p.strideWidth - p.padWidth;
        const o = ((b * p.outputHeight + oy) * p.outputWidth + ox) * outC;
        for (let oc = 0; oc < outC; oc++) {
          const ic = Math.floor(oc / mult);
          let acc = 0;
          for (let fy = 0; fy < p.filterHeight; fy++) {
            const iy = y0 + fy * p.dilationHeight;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < p.filterWidth; fx++) {
              const ix = x0 + fx * p.dilationWidth;
              if (ix < 0 || ix >= inW) continue;
              acc += weights[(fy * p.filterWidth + fx) * outC + oc] * (xq[(iy * inW + ix) * inC + ic] - q.zeroPoint);
            }
          }
          let v = f(f(f(acc) * p.weightScales[oc]) * q.scale);
          if (bias) v = f(v + bias[oc]);
          out[o + oc] = clampF32(v, p.activationMin, p.activationMax);
        }
      }
    }
  }
}

/** hybrid_depthwise_conv2d.h's TINYML_HYBRID_DW_SCRATCH. */
export function hybridDepthwiseConv2dScratchBytes(p: HybridDepthwiseConv2DParams): number {
  return ((p.inputHeight * p.inputWidth * p.inputDepth + 3) & ~3) + 4 * p.outputDepth;
}

export function emitHybridDepthwiseConv2d(p: HybridDepthwiseConv2DParams, names: EmitNames, ctx: EmitContext): CEmission {
  return emitHybridLayer('depthwise_conv2d', p, convGeometry('depthwise', p), hybridDepthwiseConv2dScratchBytes(p), [], names, ctx);
}

export const hybridDepthwiseConv2dVariant = hybridVariant('depthwise_conv2d', 'DEPTHWISE_CONV_2D', emitHybridDepthwiseConv2d, hybridDepthwiseConv2dScratchBytes);
