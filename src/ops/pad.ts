/**
 * PAD: constant padding of up to 5-D tensors, as TFLite Micro's PAD/PADV2 kernels do it. The
 * fill value is the output zero point for int8 (so padding represents real 0.0), plain 0 for
 * int16, int32 and float32 (TFLite Micro ignores the int16 zero point, which is 0 for valid
 * int16 models anyway), or the optional third input's constant value when present.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import type { NoAttrs } from '../ir/attrs.js';
import { emptyOptions, versionByInput } from './tflite-options.js';

/** TFLite's reference pad works on shapes extended to 5-D. */
const PAD_MAX_DIMS = 5;

export type PadKind = 'int8' | 'int16' | 'int32' | 'float32';

export interface PadParams {
  kind: PadKind;
  elementBytes: number;
  /** Input and output shapes and paddings, front-extended to 5-D (extra dims size 1, pad 0). */
  inShape: number[];
  outShape: number[];
  left: number[];
  right: number[];
  /** The fill value in the tensor's own representation (quantized for int8). */
  padValue: number;
}

function constIntValues(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

function fscale(t: Tensor): number {
  return Math.fround(t.quant?.scale[0] ?? 0);
}

function zeroPoint(t: Tensor): number {
  return t.quant?.zeroPoint[0] ?? 0;
}

/** Per input dimension [before, after], validated. */
function readPaddings(ctx: OpContext<'PAD'>): number[][] {
  const { graph, op } = ctx;
  if (ctx.inputs.length < 2 || ctx.inputs.length > 3 || !ctx.inputs[0] || !ctx.inputs[1]) {
    throw new GraphError(`${describeOp(graph, op)}: PAD takes an input, a paddings tensor and an optional pad value, got ${ctx.inputs.length} inputs`);
  }
  if (ctx.outputs.length !== 1) throw new GraphError(`${describeOp(graph, op)}: PAD has one output, got ${ctx.outputs.length}`);
  const input = ctx.inputs[0];
  const paddings = ctx.inputs[1];
  const rank = input.shape.length;
  if (rank > PAD_MAX_DIMS) {
    throw new UnsupportedOpError(`${describeOp(graph, op)}: PAD supports inputs of up to ${PAD_MAX_DIMS} dimensions (as TFLite Micro), got ${rank}`);
  }
  if (paddings.dtype !== 'int32' && paddings.dtype !== 'int64') {
    throw new UnsupportedOpError(`${describeOp(graph, op)}: paddings must be int32 or int64, got ${paddings.dtype}`);
  }
  const values = constIntValues(paddings);
  if (!values) throw new UnsupportedOpError(`${describeOp(graph, op)}: the paddings tensor '${paddings.name}' is computed at run time; tinyml (like TFLite Micro) needs constant paddings`);
  if (values.length !== rank * 2 || (paddings.shape.length === 2 && paddings.shape[1] !== 2)) {
    throw new GraphError(`${describeOp(graph, op)}: paddings [${paddings.shape.join(', ')}] must be [${rank}, 2] for a ${rank}-D input`);
  }
  const pairs: number[][] = [];
  for (let i = 0; i < rank; i++) {
    const before = values[2 * i];
    const after = values[2 * i + 1];
    if (before < 0 || after < 0) throw new GraphError(`${describeOp(graph, op)}: paddings of dimension ${i} are negative (${before}, ${after})`);
    pairs.push([before, after]);
  }
  return pairs;
}

function inferPad(ctx: OpContext<'PAD'>): number[] {
  const pairs = readPaddings(ctx);
  return ctx.inputs[0]!.shape.map((d, i) => d + pairs[i][0] + pairs[i][1]);
}

function extend(values: number[], fill: number): number[] {
  return [...new Array<number>(PAD_MAX_DIMS - values.length).fill(fill), ...values];
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    PAD: NoAttrs;
  }
}

export const pad: OpDef<'PAD', PadParams> = {
  type: 'PAD',
  tflite: { options: emptyOptions('PadOptions', 22), version: versionByInput(3, 2) },
  // The data and the optional constant pad value.
  quant: { sameQParams: [0, 2], followsInputPrecision: true },
  inferShapes: (ctx) => [inferPad(ctx)],
  macs: () => 0,
  prepare(ctx) {
    const { graph, op } = ctx;
    const pairs = readPaddings(ctx);
    const input = ctx.inputs[0]!;
    const output = ctx.outputs[0];
    const constant = ctx.inputs[2];
    const kinds: PadKind[] = ['int8', 'int16', 'int32', 'float32'];
    if (input.dtype !== output.dtype || !kinds.includes(input.dtype as PadKind)) {
      throw new UnsupportedOpError(`${describeOp(graph, op)}: PAD with input ${input.dtype} and output ${output.dtype} is not supported (supported: int8, int16, int32, float32, same on both sides)`);
    }
    const kind = input.dtype as PadKind;
    const expected = input.shape.map((d, i) => d + pairs[i][0] + pairs[i][1]);
    if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
      throw new GraphError(`${describeOp(graph, op)}: output is [${output.shape.join(', ')}] but padding [${input.shape.join(', ')}] gives [${expected.join(', ')}]`);
    }
    let padValue = kind === 'int8' ? zeroPoint(output) : 0;
    if (constant) {
      if (constant.dtype !== kind) throw new UnsupportedOpError(`${describeOp(graph, op)}: pad value is ${constant.dtype} but the input is ${kind}`);
      if (!constant.data || constant.data.length !== 1) {
        throw new UnsupportedOpError(`${describeOp(graph, op)}: the pad value '${constant.name}' must be a constant with one element`);
      }
      if (kind === 'int8' && (zeroPoint(constant) !== zeroPoint(output) || fscale(constant) !== fscale(output))) {
        throw new UnsupportedOpError(`${describeOp(graph, op)}: the int8 pad value must be quantized like the output (TFLite Micro requires equal scale and zero point)`);
      }
      padValue = Number(constant.data[0]);
    }
    if (kind === 'int8' && (padValue < -128 || padValue > 127)) {
      throw new UnsupportedOpError(`${describeOp(graph, op)}: output zero point ${padValue} is outside int8 range`);
    }
    return {
      kind,
      elementBytes: DTYPE_BYTES[kind],
      inShape: extend(input.shape, 1),
      outShape: extend(expected, 1),
      left: extend(pairs.map((p) => p[0]), 0),
      right: extend(pairs.map((p) => p[1]), 0),
      padValue,
    };
  },
  evaluate(params, inputs, outputs) {
    const src = inputs[0] as Int8Array | Int16Array | Int32Array | Float32Array;
    const dst = outputs[0] as Int8Array | Int16Array | Int32Array | Float32Array;
    const [ob, op, oh, ow, od] = params.outShape;
    const [lb, lp, lh, lw, ld] = params.left;
    const [rb, rp, rh, rw, rd] = params.right;
    const v = params.padValue;
    // One pass over the output in order, consuming the input sequentially, as the reference does.
    let i = 0;
    let o = 0;
    for (let b = 0; b < ob; b++) {
      const bPad = b < lb || b >= ob - rb;
      for (let p = 0; p < op; p++) {
        const pPad = bPad || p < lp || p >= op - rp;
        for (let h = 0; h < oh; h++) {
          const hPad = pPad || h < lh || h >= oh - rh;
          for (let w = 0; w < ow; w++) {
            const wPad = hPad || w < lw || w >= ow - rw;
            for (let d = 0; d < od; d++) {
              dst[o++] = wPad || d < ld || d >= od - rd ? v : src[i++];
            }
          }
        }
      }
    }
  },
  emitC(params, names, ctx) {
    const p = `${ctx.prefix}_params`;
    // The C kernel stores the fill value as raw bits of the element type.
    const bits = params.kind === 'float32' ? new Int32Array(Float32Array.of(params.padValue).buffer)[0] : params.padValue;
    const arr = (a: number[]) => `{ ${a.map((x) => `${x}u`).join(', ')} }`;
    return {
      kernels: ['pad.c'],
      includes: ['pad.h'],
      decls:
        `/* PAD ${params.kind}: [${params.inShape.join('x')}] -> [${params.outShape.join('x')}] */\n` +
        `static const tinyml_pad_params ${p} = {\n` +
        `  ${arr(params.inShape)},\n  ${arr(params.outShape)},\n  ${arr(params.left)},\n  ${arr(params.right)},\n` +
        `  ${bits === -2147483648 ? '(-2147483647 - 1)' : bits}, ${params.elementBytes}u\n};`,
      call: `  tinyml_pad(&${p}, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};
