/**
 * CONV_2D of a hybrid (dynamic-range quantized) model: float input and output, int8 weights.
 *
 * TFLite's semantics (conv.cc EvalHybrid / EvalHybridPerChannel): each batch of the input is
 * quantized to int8 when the layer runs, asymmetrically when the weights have one scale per
 * output channel and symmetrically when they have one scale; products are summed in int32 with
 * padding taps skipped; each sum becomes float as acc * (weight_scale * input_scale), plus the
 * float bias, then the fused activation clamps it. `evaluate` computes this in float32
 * arithmetic; the C kernel is firmware/kernels/hybrid_conv2d.c.
 */
import { UnsupportedOpError } from '../../errors.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext } from '../op-def.js';
import type { Conv2DGeometry } from '../conv2d.js';
import { convGeometry } from '../c-emit.js';
import { opLabel } from '../layer-params.js';
import { emitHybridLayer, hybridFloatFields, hybridVariant } from './common.js';
import { quantizeAsymmetric, quantizeSymmetric } from './quantize-input.js';

export interface HybridConv2DParams extends Conv2DGeometry {
  kind: 'hybrid';
  /** One weight scale per output channel (and asymmetric input quantization), else one scale. */
  perChannel: boolean;
  weightScales: number[];
  activationMin: number;
  activationMax: number;
}

const f = Math.fround;

export function prepareHybridConv2d(ctx: OpContext<'CONV_2D'>, g: Conv2DGeometry): HybridConv2DParams {
  if (g.groups !== 1 || g.dilationHeight !== 1 || g.dilationWidth !== 1) {
    throw new UnsupportedOpError(
      `${opLabel(ctx)}: hybrid CONV_2D (float input, int8 weights) supports groups 1 and dilation 1, as TFLite's hybrid kernel does; ` +
        `this layer has ${g.groups} group(s), dilation ${g.dilationHeight}x${g.dilationWidth}`,
    );
  }
  const fields = hybridFloatFields(ctx, 0, g.outputDepth);
  return { ...g, kind: 'hybrid', perChannel: fields.weightScales.length > 1, ...fields };
}

/** The hybrid conv's float result from an int32 sum, in float32. */
export function hybridOutput(acc: number, weightScale: number, inputScale: number, bias: number | undefined): number {
  // TFLite's optimized kernels (what its interpreter runs) multiply the two scales first.
  const v = f(f(acc) * f(weightScale * inputScale));
  return bias === undefined ? v : f(v + bias);
}

export function clampF32(v: number, lo: number, hi: number): number {
  const y = v < lo ? lo : v;
  return hi < y ? hi : y;
}

export function evaluateHybridConv2d(p: HybridConv2DParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const input = inputs[0] as Float32Array;
  const weights = inputs[1] as Int8Array;
  const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
  const out = outputs[0] as Float32Array;
  const inH = p.inputHeight;
  const inW = p.inputWidth;
  const inC = p.inputDepth;
  const taps = p.filterHeight * p.filterWidth * inC;
  const inElems = inH * inW * inC;
  const xq = new Int8Array(inElems);
  const col = new Int32Array(taps);
  for (let b = 0; b < p.batches; b++) {
    const q = p.perChannel ? quantizeAsymmetric(input, b * inElems, inElems, xq) : quantizeSymmetric(input, b * inElems, inElems, xq);
    for (let oy = 0; oy < p.outputHeight; oy++) {
      for (let ox = 0; ox < p.outputWidth; ox++) {
        const y0 = oy * p.strideHeight - p.padHeight;
        const x0 = ox * p.strideWidth - p.padWidth;
        let k = 0;
        for (let fy = 0; fy < p.filterHeight; fy++) {
          const iy = y0 + fy;
          for (let fx = 0; fx < p.filterWidth; fx++) {
            const ix = x0 + fx;
            const inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW;
            const base = (iy * inW + ix) * inC;
            for (let ic = 0; ic < inC; ic++) col[k++] = inside ? xq[base + ic] - q.zeroPoint : 0;
          }
        }
        const o = ((b * p.outputHeight + oy) * p.outputWidth + ox) * p.outputDepth;
        for (let oc = 0; oc < p.outputDepth; oc++) {
          let acc = 0;
          const w = oc * taps;
          for (let t = 0; t < taps; t++) acc += col[t] * weights[w + t];
          const v = hybridOutput(acc, p.weightScales[p.perChannel ? oc : 0], q.scale, bias?.[oc]);
          out[o + oc] = clampF32(v, p.activationMin, p.activationMax);
        }
      }
    }
  }
}

const align4 = (n: number): number => (n + 3) & ~3;

/** The quantized batch, then one int16 im2col column (hybrid_conv2d.h's TINYML_HYBRID_CONV2D_SCRATCH). */
export function hybridConv2dScratchBytes(p: HybridConv2DParams): number {
  return align4(p.inputHeight * p.inputWidth * p.inputDepth) + 2 * align4(p.filterHeight * p.filterWidth * p.inputDepth);
}

export function emitHybridConv2d(p: HybridConv2DParams, names: EmitNames, ctx: EmitContext): CEmission {
  const geometry = {
    ...convGeometry('window', p),
    per_channel: p.perChannel ? 1 : 0,
  };
  return emitHybridLayer('conv2d', p, geometry, hybridConv2dScratchBytes(p), ['arm/tinyml_dsp.h'], names, ctx);
}

export const hybridConv2dVariant = hybridVariant('conv2d', 'CONV_2D', emitHybridConv2d, hybridConv2dScratchBytes);
