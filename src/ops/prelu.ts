/**
 * PRELU (x >= 0 ? x : alpha * x, alpha broadcast against x) as TFLite Micro's prelu.cc.
 *
 * int8 and int16 (alpha of the input's type): the re-centred input is rescaled by
 * input_scale / output_scale when non-negative, otherwise multiplied by the re-centred alpha and
 * rescaled by input_scale * alpha_scale / output_scale (both multipliers from doubles), then the
 * output zero point is added and the result clamped to the type. The sign test is on the
 * re-centred input, so the input's zero point itself takes the first branch.
 * float32: x >= 0 ? x : x * alpha (C: elementwise_f32.c's tinyml_prelu_f32).
 */
import { GraphError } from '../errors.js';
import type { NoAttrs } from '../ir/attrs.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../fixedpoint.js';
import { describeOp } from '../ir/types.js';
import type { BroadcastLayout } from './elementwise-util.js';
import { broadcastLayout, cBroadcastFields, cInt, cStructDecl, f32, forEachBroadcast, inferBroadcastShape, input, perTensorQuant, unsupportedDtypes, withNormalizedParams } from './elementwise-util.js';
import type { OpDef } from './op-def.js';
import { versionByInput } from './tflite-options.js';

export interface PreluQuantParams extends BroadcastLayout {
  kind: 'int8' | 'int16';
  /** Negated zero points of the input and alpha; the output zero point. */
  inputOffset: number;
  alphaOffset: number;
  outputOffset: number;
  /** input_scale / output_scale, for inputs at or above the zero point. */
  multiplierPositive: number;
  shiftPositive: number;
  /** input_scale * alpha_scale / output_scale, for inputs below it. */
  multiplierNegative: number;
  shiftNegative: number;
}

export interface PreluFloatParams extends BroadcastLayout {
  kind: 'float32';
}

export type PreluParams = PreluQuantParams | PreluFloatParams;

declare module '../ir/attrs.js' {
  interface OpAttrs {
    PRELU: NoAttrs;
  }
}

export const prelu: OpDef<'PRELU', PreluParams> = withNormalizedParams<'PRELU', PreluParams>({
  type: 'PRELU',
  // No options table in schema.fbs.
  tflite: { version: versionByInput(1, 1) },
  inferShapes: (ctx) => [inferBroadcastShape(ctx)],
  macs: () => 0,
  prepare(ctx) {
    const layout = broadcastLayout(ctx);
    const x = input(ctx, 0);
    const alpha = input(ctx, 1);
    const out = ctx.outputs[0];
    const expected = inferBroadcastShape(ctx);
    if (out.shape.length !== expected.length || out.shape.some((d, i) => d !== expected[i])) {
      throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: output is [${out.shape.join(', ')}] but PRELU gives [${expected.join(', ')}]`);
    }
    if (x.dtype !== alpha.dtype || x.dtype !== out.dtype || !['int8', 'int16', 'float32'].includes(x.dtype)) {
      throw unsupportedDtypes(ctx, 'PRELU takes int8, int16 or float32, the same for input, alpha and output');
    }
    if (x.dtype === 'float32') return { kind: 'float32', ...layout };
    const qx = perTensorQuant(ctx, x);
    const qa = perTensorQuant(ctx, alpha);
    const qo = perTensorQuant(ctx, out);
    // Keeps the int32 product of the re-centred input and alpha in range (|v * a| <= 2^30).
    if (x.dtype === 'int16' && (qx.zeroPoint !== 0 || qa.zeroPoint !== 0 || qo.zeroPoint !== 0)) {
      throw unsupportedDtypes(ctx, `int16 PRELU needs zero points 0 (got ${qx.zeroPoint}, ${qa.zeroPoint}, ${qo.zeroPoint})`);
    }
    // TFLM: double(input_scale) / double(output_scale), and double(input) * double(alpha) / double(output).
    const pos = quantizeMultiplier(qx.scale / qo.scale);
    const neg = quantizeMultiplier((qx.scale * qa.scale) / qo.scale);
    return {
      kind: x.dtype as 'int8' | 'int16',
      ...layout,
      inputOffset: -qx.zeroPoint,
      alphaOffset: -qa.zeroPoint,
      outputOffset: qo.zeroPoint,
      multiplierPositive: pos.multiplier,
      shiftPositive: pos.shift,
      multiplierNegative: neg.multiplier,
      shiftNegative: neg.shift,
    };
  },
  evaluate(p, inputs, outputs) {
    if (p.kind === 'float32') {
      const x = inputs[0] as Float32Array;
      const a = inputs[1] as Float32Array;
      const o = outputs[0] as Float32Array;
      forEachBroadcast(p, (i, i1, i2) => {
        o[i] = x[i1] >= 0 ? x[i1] : f32(x[i1] * a[i2]);
      });
      return;
    }
    const x = inputs[0] as Int8Array | Int16Array;
    const a = inputs[1] as Int8Array | Int16Array;
    const o = outputs[0] as Int8Array | Int16Array;
    const [lo, hi] = p.kind === 'int8' ? [-128, 127] : [-32768, 32767];
    forEachBroadcast(p, (i, i1, i2) => {
      const v = x[i1] + p.inputOffset;
      const r =
        (v >= 0
          ? multiplyByQuantizedMultiplier(v, p.multiplierPositive, p.shiftPositive)
          : multiplyByQuantizedMultiplier(v * (a[i2] + p.alphaOffset), p.multiplierNegative, p.shiftNegative)) + p.outputOffset;
      o[i] = r < lo ? lo : r > hi ? hi : r;
    });
  },
  emitC(p, names, ctx) {
    if (p.kind === 'float32') {
      return {
        kernels: ['elementwise_f32.c'],
        includes: ['elementwise_f32.h'],
        decls: cStructDecl('tinyml_prelu_f32_params', `${ctx.prefix}_params`, cBroadcastFields(p)),
        call: `  tinyml_prelu_f32(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
      };
    }
    return {
      kernels: ['prelu.c'],
      includes: ['prelu.h'],
      decls: cStructDecl('tinyml_prelu_params', `${ctx.prefix}_params`, [
        ...cBroadcastFields(p),
        `.input_offset = ${cInt(p.inputOffset)}`,
        `.alpha_offset = ${cInt(p.alphaOffset)}`,
        `.output_offset = ${cInt(p.outputOffset)}`,
        `.multiplier_positive = ${cInt(p.multiplierPositive)}`,
        `.shift_positive = ${cInt(p.shiftPositive)}`,
        `.multiplier_negative = ${cInt(p.multiplierNegative)}`,
        `.shift_negative = ${cInt(p.shiftNegative)}`,
      ]),
      call: `  tinyml_prelu_${p.kind === 'int8' ? 's8' : 's16'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
    };
  },
});
