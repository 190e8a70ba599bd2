/**
 * L2_NORMALIZATION over the last axis, as TFLite Micro's l2norm.cc.
 *
 * int8: per row, the sum of squared re-centred inputs goes through TFLite's
 * GetInvSqrtQuantizedMultiplierExp (the one RSQRT uses), and each re-centred input is multiplied
 * by that 1/sqrt with 7 more bits of left shift: the output scale is fixed at 1/128, zero point
 * 0 (no epsilon: a zero row gives the largest multiplier, times zero inputs). float32: x / max(
 * sqrt(sum of squares), 1e-6) in float32 (C: elementwise_f32.c's tinyml_l2_normalization_f32).
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import { multiplyByQuantizedMultiplier } from '../fixedpoint.js';
import { describeOp } from '../ir/types.js';
import type { ElementwiseAttrs } from './elementwise-util.js';
import { activationOnlyFields, cInt, cStructDecl, f32, inferSameShape, input, perTensorQuant, unsupportedDtypes, withNormalizedParams } from './elementwise-util.js';
import type { OpDef } from './op-def.js';
import { invSqrtQuantizedMultiplierExp } from './rsqrt.js';
import { versionByInput } from './tflite-options.js';

export interface L2NormalizationParams {
  kind: 'int8' | 'float32';
  outerSize: number;
  depth: number;
  /** int8 only (0 for float32). */
  inputZeroPoint: number;
}

/** The int8 output quantization TFLite fixes: [-1, 127/128] in steps of 1/128. */
const OUTPUT_SCALE_BITS = 7;

declare module '../ir/attrs.js' {
  interface OpAttrs {
    L2_NORMALIZATION: ElementwiseAttrs;
  }
}

export const l2Normalization: OpDef<'L2_NORMALIZATION', L2NormalizationParams> = withNormalizedParams<'L2_NORMALIZATION', L2NormalizationParams>({
  type: 'L2_NORMALIZATION',
  // L2NormOptions: 0 fused_activation_function.
  tflite: {
    options: {
      table: 'L2NormOptions',
      unionType: 12,
      fields: activationOnlyFields(),
      read: (v, c) => ({ activation: c.activation(v.num('fused_activation_function')) }),
      write: (a, c) => ({ fused_activation_function: c.activation(a.activation) }),
    },
    version: versionByInput(2, 2),
  },
  // TFLM's int8 kernel writes 1/128 steps with zero point 0 whatever the output tensor says.
  quant: { fixedOutput: { int8: { scale: 1 / 128, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } } },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare(ctx) {
    inferSameShape(ctx);
    const where = describeOp(ctx.graph, ctx.op);
    const inT = input(ctx, 0);
    const outT = ctx.outputs[0];
    if (ctx.op.attrs.activation !== 'NONE') throw new UnsupportedOpError(`${where}: L2_NORMALIZATION with a fused ${ctx.op.attrs.activation} is not supported (TFLite Micro takes none)`);
    if (inT.shape.length < 1 || inT.shape.length > 4) throw new GraphError(`${where}: L2_NORMALIZATION takes a 1-D to 4-D input, got [${inT.shape.join(', ')}]`);
    if (inT.dtype !== outT.dtype || (inT.dtype !== 'int8' && inT.dtype !== 'float32')) throw unsupportedDtypes(ctx, 'L2_NORMALIZATION takes int8 or float32');
    const depth = inT.shape[inT.shape.length - 1];
    const outerSize = inT.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    if (inT.dtype === 'float32') return { kind: 'float32', outerSize, depth, inputZeroPoint: 0 };
    const qo = perTensorQuant(ctx, outT);
    if (qo.scale !== f32(1 / 128) || qo.zeroPoint !== 0) {
      throw new UnsupportedOpError(`${where}: int8 L2_NORMALIZATION writes scale 1/128 and zero point 0, but the output tensor has scale ${qo.scale} and zero point ${qo.zeroPoint}`);
    }
    return { kind: 'int8', outerSize, depth, inputZeroPoint: perTensorQuant(ctx, inT).zeroPoint };
  },
  evaluate(p, inputs, outputs) {
    const { outerSize, depth } = p;
    if (p.kind === 'float32') {
      const x = inputs[0] as Float32Array;
      const out = outputs[0] as Float32Array;
      for (let o = 0; o < outerSize; o++) {
        let sum = 0;
        for (let c = 0; c < depth; c++) sum = f32(sum + f32(x[o * depth + c] * x[o * depth + c]));
        const norm = Math.max(f32(Math.sqrt(sum)), f32(1e-6));
        for (let c = 0; c < depth; c++) out[o * depth + c] = f32(x[o * depth + c] / norm);
      }
      return;
    }
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    for (let o = 0; o < outerSize; o++) {
      // At most 255^2 per element: int32 holds 2^15 of them, more than any tensor here.
      let acc = 0;
      for (let c = 0; c < depth; c++) {
        const v = x[o * depth + c] - p.inputZeroPoint;
        acc += v * v;
      }
      const inv = invSqrtQuantizedMultiplierExp(acc);
      for (let c = 0; c < depth; c++) {
        const r = multiplyByQuantizedMultiplier(x[o * depth + c] - p.inputZeroPoint, inv.multiplier, inv.shift + OUTPUT_SCALE_BITS);
        out[o * depth + c] = r < -128 ? -128 : r > 127 ? 127 : r;
      }
    }
  },
  emitC(p, names, ctx) {
    if (p.kind === 'float32') {
      return {
        kernels: ['elementwise_f32.c'],
        includes: ['elementwise_f32.h'],
        decls: '',
        call: `  tinyml_l2_normalization_f32(${p.outerSize}, ${p.depth}, ${names.inputs[0]}, ${names.outputs[0]});`,
      };
    }
    return {
      kernels: ['l2_normalization.c'],
      includes: ['l2_normalization.h'],
      decls: cStructDecl('tinyml_l2_normalization_params', `${ctx.prefix}_params`, [
        `.outer_size = ${p.outerSize}`,
        `.depth = ${p.depth}`,
        `.input_zero_point = ${cInt(p.inputZeroPoint)}`,
      ]),
      call: `  tinyml_l2_normalization_s8(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
});
