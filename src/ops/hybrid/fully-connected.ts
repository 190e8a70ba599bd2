/**
 * FULLY_CONNECTED of a hybrid (dynamic-range quantized) model: float input and output, int8
 * weights.
 *
 * TFLite's semantics (fully_connected.cc EvalHybrid, tensor_utils
 * MatrixBatchVectorMultiplyAccumulate): each input row is quantized to int8 when the layer runs,
 * with a zero point when the op's asymmetric_quantize_inputs option says so (else
 * symmetrically); each unit's int32 sum of products (input minus zero point, times weight)
 * becomes float as bias + sum * (input_scale * weight_scale), then the fused activation. The C
 * kernel is firmware/kernels/hybrid_fully_connected.c.
 */
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext } from '../op-def.js';
import type { FullyConnectedGeometry } from '../fully-connected.js';
import { clampF32 } from './conv2d.js';
import { emitHybridLayer, hybridFloatFields, hybridVariant } from './common.js';
import { quantizeAsymmetric, quantizeSymmetric } from './quantize-input.js';

export interface HybridFullyConnectedParams extends FullyConnectedGeometry {
  kind: 'hybrid';
  /** Quantize input rows with a zero point (the op's asymmetric_quantize_inputs). */
  asymmetric: boolean;
  perChannel: boolean;
  weightScales: number[];
  activationMin: number;
  activationMax: number;
}

const f = Math.fround;

export function prepareHybridFullyConnected(ctx: OpContext<'FULLY_CONNECTED'>, g: FullyConnectedGeometry): HybridFullyConnectedParams {
  const fields = hybridFloatFields(ctx, 0, g.outputDepth);
  return {
    ...g,
    kind: 'hybrid',
    asymmetric: ctx.op.attrs.asymmetricQuantizeInputs === true,
    perChannel: fields.weightScales.length > 1,
    ...fields,
  };
}

export function evaluateHybridFullyConnected(p: HybridFullyConnectedParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const input = inputs[0] as Float32Array;
  const weights = inputs[1] as Int8Array;
  const bias = p.hasBias ? (inputs[2] as Float32Array) : undefined;
  const out = outputs[0] as Float32Array;
  const depth = p.inputDepth;
  const xq = new Int8Array(depth);
  for (let b = 0; b < p.batches; b++) {
    const q = p.asymmetric ? quantizeAsymmetric(input, b * depth, depth, xq) : quantizeSymmetric(input, b * depth, depth, xq);
    for (let o = 0; o < p.outputDepth; o++) {
      let acc = 0;
      const w = o * depth;
      for (let k = 0; k < depth; k++) acc += (xq[k] - q.zeroPoint) * weights[w + k];
      const scale = f(q.scale * p.weightScales[p.perChannel ? o : 0]);
      const v = f((bias ? bias[o] : 0) + f(f(acc) * scale));
      out[b * p.outputDepth + o] = clampF32(v, p.activationMin, p.activationMax);
    }
  }
}

/** hybrid_fully_connected.h's TINYML_HYBRID_FC_SCRATCH: the quantized row and its int16 column. */
export function hybridFullyConnectedScratchBytes(p: HybridFullyConnectedParams): number {
  return ((p.inputDepth + 3) & ~3) * 3;
}

export function emitHybridFullyConnected(p: HybridFullyConnectedParams, names: EmitNames, ctx: EmitContext): CEmission {
  const geometry = {
    batches: p.batches,
    input_depth: p.inputDepth,
    output_depth: p.outputDepth,
    asymmetric: p.asymmetric ? 1 : 0,
    per_channel: p.perChannel ? 1 : 0,
  };
  return emitHybridLayer('fully_connected', p, geometry, hybridFullyConnectedScratchBytes(p), ['arm/tinyml_dsp.h'], names, ctx);
}

export const hybridFullyConnectedVariant = hybridVariant('fully_connected', 'FULLY_CONNECTED', emitHybridFullyConnected, hybridFullyConnectedScratchBytes);
