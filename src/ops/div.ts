/**
 * DIV of float32 tensors with numpy broadcasting, as TFLite Micro's div.cc: the float32 quotient,
 * then the fused activation's clamp, std::min(std::max(q, lo), hi) (which lets a NaN through and
 * keeps the sign of a zero); the C kernel is elementwise_f32.c's tinyml_div_f32. int8 DIV (which
 * TFLM also has) is refused.
 */
import { UnsupportedOpError } from '../errors.js';
import { describeOp } from '../ir/types.js';
import type { BroadcastLayout, ElementwiseAttrs } from './elementwise-util.js';
import { activationOnlyFields, activationRangeFloat, broadcastLayout, emitBinaryFloat, f32, forEachBroadcast, inferBroadcastShape, input, unsupportedDtypes } from './elementwise-util.js';
import type { OpDef } from './op-def.js';
import { versionByInput } from './tflite-options.js';

export interface DivParams extends BroadcastLayout {
  kind: 'float32';
  activationMin: number;
  activationMax: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    DIV: ElementwiseAttrs;
  }
}

export const div: OpDef<'DIV', DivParams> = {
  type: 'DIV',
  // DivOptions: 0 fused_activation_function.
  tflite: {
    options: {
      table: 'DivOptions',
      unionType: 29,
      fields: activationOnlyFields(),
      read: (v, c) => ({ activation: c.activation(v.num('fused_activation_function')) }),
      write: (a, c) => ({ fused_activation_function: c.activation(a.activation) }),
    },
    version: versionByInput(1, 2),
  },
  inferShapes: (ctx) => [inferBroadcastShape(ctx)],
  macs: () => 0,
  prepare(ctx) {
    const layout = broadcastLayout(ctx);
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    const out = ctx.outputs[0];
    const expected = inferBroadcastShape(ctx);
    if (out.shape.length !== expected.length || out.shape.some((d, i) => d !== expected[i])) {
      throw new UnsupportedOpError(`${describeOp(ctx.graph, ctx.op)}: output is [${out.shape.join(', ')}] but DIV gives [${expected.join(', ')}]`);
    }
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || out.dtype !== 'float32') {
      throw unsupportedDtypes(ctx, 'tinyml runs DIV on float32 only (quantized DIV is not supported yet)');
    }
    const [activationMin, activationMax] = activationRangeFloat(ctx.op.attrs.activation);
    return { kind: 'float32', ...layout, activationMin, activationMax };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const y = inputs[1] as Float32Array;
    const o = outputs[0] as Float32Array;
    const lo = p.activationMin;
    const hi = p.activationMax;
    forEachBroadcast(p, (i, i1, i2) => {
      const q = f32(x[i1] / y[i2]);
      // std::max(q, lo) then std::min(.., hi): comparisons, not Math.max (which turns -0 into 0).
      const m = q < lo ? lo : q;
      o[i] = hi < m ? hi : m;
    });
  },
  emitC: (p, names, ctx) => emitBinaryFloat('DIV', p, names, ctx),
};
