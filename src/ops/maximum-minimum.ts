/**
 * MAXIMUM and MINIMUM with numpy broadcasting, as TFLite Micro's reference kernel computes them:
 * the larger (smaller) of the two stored values, with no rescaling. That is only the real-valued
 * maximum when both inputs and the output share one scale and zero point, which the TFLite
 * converter guarantees; a model that breaks it is refused here instead of computing silently
 * wrong values (TFLite Micro does not check). int8, int16, int32 and float32, as in TFLM.
 */
import type { TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import type { NoAttrs } from '../ir/attrs.js';
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import {
  type BroadcastLayout,
  broadcastLayout,
  cBroadcastFields,
  cStructDecl,
  forEachBroadcast,
  inferBroadcastShape,
  input,
  normalizeParams,
  perTensorQuant,
  unsupportedDtypes,
} from './elementwise-util.js';
import { emptyOptions, versionByInput } from './tflite-options.js';

export type MaxMinKind = 'int8' | 'int16' | 'int32' | 'float32';

export interface MaxMinParams extends BroadcastLayout {
  kind: MaxMinKind;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    MAXIMUM: NoAttrs;
    MINIMUM: NoAttrs;
  }
}

const KINDS: readonly MaxMinKind[] = ['int8', 'int16', 'int32', 'float32'];

/** Same shape of rule for both ops; `pick` chooses between the two stored values. */
function maxMinDef<T extends 'MAXIMUM' | 'MINIMUM'>(type: T, cName: 'maximum' | 'minimum', pick: (a: number, b: number) => number): OpDef<T, MaxMinParams> {
  return {
    type,
    tflite: {
      // MaximumMinimumOptions is an empty table (union type 39).
      options: emptyOptions('MaximumMinimumOptions', 39),
      // op_version.cc: 4 for int16, 2 for int8, 1 otherwise (3, broadcasting above 4-D, is not
      // produced: MAX_BROADCAST_DIMS covers it but converters keep these ops at 4-D or below).
      version: versionByInput(4, 2),
    },
    // The kernel compares stored values: output and both inputs must share their parameters.
    quant: { sameQParams: 'all' },
    inferShapes: (ctx) => [inferBroadcastShape(ctx)],
    macs: () => 0,
    prepare: (ctx) => normalizeParams(prepareMaxMin(ctx)),
    evaluate: (p, inputs, outputs) => evaluateMaxMin(p, inputs, outputs, pick),
    emitC: (p, names, ctx) => emitMaxMin(cName, p, names, ctx),
  };
}

function prepareMaxMin(ctx: OpContext<'MAXIMUM' | 'MINIMUM'>): MaxMinParams {
  const layout = broadcastLayout(ctx);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  const out = ctx.outputs[0];
  const what = describeOp(ctx.graph, ctx.op);
  if (out.shape.reduce((p, d) => p * d, 1) !== layout.size) {
    throw new GraphError(`${what}: output shape [${out.shape.join(', ')}] does not match the broadcast shape [${inferBroadcastShape(ctx).join(', ')}]`);
  }
  if (a.dtype !== b.dtype || a.dtype !== out.dtype || !KINDS.includes(out.dtype as MaxMinKind)) {
    throw unsupportedDtypes(ctx, `inputs and output must share one of ${KINDS.join(', ')}`);
  }
  const kind = out.dtype as MaxMinKind;
  if (kind === 'int8' || kind === 'int16') {
    const qo = perTensorQuant(ctx, out);
    for (const t of [a, b]) {
      const q = perTensorQuant(ctx, t);
      if (q.scale !== qo.scale || q.zeroPoint !== qo.zeroPoint) {
        throw new UnsupportedOpError(
          `${what}: input '${t.name}' (scale ${q.scale}, zero point ${q.zeroPoint}) is quantized unlike the output (scale ${qo.scale}, zero point ${qo.zeroPoint}); ` +
            `${ctx.op.type} compares stored values, so all three must share their quantization (re-convert the model with the TFLite converter)`,
        );
      }
    }
  }
  return { kind, ...layout };
}

function evaluateMaxMin(p: MaxMinParams, inputs: (TensorData | undefined)[], outputs: TensorData[], pick: (a: number, b: number) => number): void {
  const x = inputs[0] as Int8Array | Int16Array | Int32Array | Float32Array;
  const y = inputs[1] as Int8Array | Int16Array | Int32Array | Float32Array;
  const o = outputs[0] as Int8Array | Int16Array | Int32Array | Float32Array;
  forEachBroadcast(p, (i, i1, i2) => {
    o[i] = pick(x[i1], y[i2]);
  });
}

// TFLM's MaximumOp/MinimumOp are `a > b ? a : b` and `a < b ? a : b`: with a NaN operand the
// second value wins, which Math.max/min would not reproduce.
const maximumOf = (a: number, b: number): number => (a > b ? a : b);
const minimumOf = (a: number, b: number): number => (a < b ? a : b);

const C_SUFFIX: Record<MaxMinKind, string> = { int8: 's8', int16: 's16', int32: 's32', float32: 'f32' };

function emitMaxMin(cName: 'maximum' | 'minimum', p: MaxMinParams, names: EmitNames, ctx: EmitContext): CEmission {
  return {
    kernels: ['maximum_minimum.c'],
    includes: ['maximum_minimum.h'],
    decls: cStructDecl('tinyml_maxmin_params', `${ctx.prefix}_params`, cBroadcastFields(p)),
    call: `  tinyml_${cName}_${C_SUFFIX[p.kind]}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.inputs[1]}, ${names.outputs[0]});`,
  };
}

export const maximum = maxMinDef('MAXIMUM', 'maximum', maximumOf);
export const minimum = maxMinDef('MINIMUM', 'minimum', minimumOf);
