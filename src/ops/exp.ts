/**
 * EXP, e^x elementwise, as TFLite Micro's exp.cc computes it: float32 only (TFLite Micro's
 * prepare refuses every other type, so an int8 EXP, which the TFLite converter can produce for
 * TFLite's own interpreter, is refused here with that reason). Each element is one call of the
 * single-precision exponential (std::exp on a float), so host and firmware agree to the
 * rounding of their libm's expf.
 */
import type { NoAttrs } from '../ir/attrs.js';
import type { OpDef } from './op-def.js';
import { elementCountOf, f32, inferSameShape, input, unsupportedDtypes } from './elementwise-util.js';
import { emptyOptions, versionByInput } from './tflite-options.js';

export interface ExpParams {
  kind: 'float32';
  size: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    EXP: NoAttrs;
  }
}

export const exp: OpDef<'EXP', ExpParams> = {
  type: 'EXP',
  tflite: {
    // ExpOptions is an empty table (union type 33).
    options: emptyOptions('ExpOptions', 33),
    // op_version.cc: 2 for int8 and int16 (TFLite's LUT kernel), 1 for float32.
    version: versionByInput(2, 2),
  },
  inferShapes: inferSameShape,
  macs: () => 0,
  prepare(ctx) {
    inferSameShape(ctx);
    const x = input(ctx, 0);
    if (x.dtype !== 'float32' || ctx.outputs[0].dtype !== 'float32') {
      throw unsupportedDtypes(ctx, 'TensorFlow Lite Micro runs EXP on float32 only; keep it float (TFLite converter: leave EXP out of int8 quantization) or drop it');
    }
    return { kind: 'float32', size: elementCountOf(x) };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const out = outputs[0] as Float32Array;
    for (let i = 0; i < p.size; i++) out[i] = f32(Math.exp(x[i]));
  },
  emitC: (p, names) => ({
    kernels: ['exp.c'],
    includes: ['exp.h'],
    decls: '',
    call: `  tinyml_exp_f32(${p.size}, ${names.inputs[0]}, ${names.outputs[0]});`,
  }),
};
