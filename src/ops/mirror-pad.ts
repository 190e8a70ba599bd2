/**
 * MIRROR_PAD: pads each axis with a mirror image of the input, as TFLite Micro's reference kernel
 * does for int8 and float32. REFLECT leaves the edge element out of the mirror (offset 1),
 * SYMMETRIC repeats it (offset 0). Pure data movement: the output keeps the input's quantization.
 * Shapes are front-padded to 6-D with unpadded axes of size 1.
 */
import { GraphError, ModelFormatError, UnsupportedOpError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import type { OpContext, OpDef } from './op-def.js';
import { cIntList, cStructDecl } from './elementwise-util.js';
import { versionByInput } from './tflite-options.js';

const MIRROR_PAD_MAX_DIMS = 6;

export interface MirrorPadAttrs {
  mode: 'REFLECT' | 'SYMMETRIC';
}

export interface MirrorPadParams {
  kind: 'int8' | 'float32';
  inDims: number[];
  outDims: number[];
  left: number[];
  /** 1 for REFLECT, 0 for SYMMETRIC. */
  offset: number;
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    MIRROR_PAD: MirrorPadAttrs;
  }
}

function constIntValues(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

/** Per axis [before, after], validated against the mode's limit. */
function readPaddings(ctx: OpContext<'MIRROR_PAD'>): number[][] {
  const what = describeOp(ctx.graph, ctx.op);
  const input = ctx.inputs[0];
  const pads = ctx.inputs[1];
  if (ctx.inputs.length !== 2 || !input || !pads || ctx.outputs.length !== 1) {
    throw new GraphError(`${what}: MIRROR_PAD takes an input and a paddings tensor and has one output, got ${ctx.inputs.length} input(s) and ${ctx.outputs.length} output(s)`);
  }
  const rank = input.shape.length;
  if (rank < 1 || rank > MIRROR_PAD_MAX_DIMS) throw new UnsupportedOpError(`${what}: MIRROR_PAD supports 1-D to ${MIRROR_PAD_MAX_DIMS}-D inputs, got ${rank}-D`);
  const values = constIntValues(pads);
  if (!values) throw new UnsupportedOpError(`${what}: the paddings '${pads.name}' must be a constant int32 or int64 tensor`);
  if (values.length !== 2 * rank) throw new GraphError(`${what}: paddings [${pads.shape.join(', ')}] must be [${rank}, 2] for a ${rank}-D input`);
  const reflect = ctx.op.attrs.mode === 'REFLECT';
  const pairs: number[][] = [];
  for (let i = 0; i < rank; i++) {
    const [l, r] = [values[2 * i], values[2 * i + 1]];
    // The mirror holds dim - 1 elements (REFLECT) or dim (SYMMETRIC) on each side.
    const limit = reflect ? input.shape[i] - 1 : input.shape[i];
    if (l < 0 || r < 0 || l > limit || r > limit) {
      throw new GraphError(`${what}: paddings (${l}, ${r}) of axis ${i} must be between 0 and ${limit} for ${ctx.op.attrs.mode} on a dimension of ${input.shape[i]}`);
    }
    pairs.push([l, r]);
  }
  return pairs;
}

function front(xs: number[], fill: number): number[] {
  return [...new Array<number>(MIRROR_PAD_MAX_DIMS - xs.length).fill(fill), ...xs];
}

export const mirrorPad: OpDef<'MIRROR_PAD', MirrorPadParams> = {
  type: 'MIRROR_PAD',
  tflite: {
    options: {
      // MirrorPadOptions: 0 mode (MirrorPadMode: REFLECT 0, SYMMETRIC 1).
      table: 'MirrorPadOptions',
      unionType: 77,
      fields: [{ id: 0, name: 'mode', kind: 'i8' }],
      read(v, c) {
        const m = v.num('mode');
        if (m === 0) return { mode: 'REFLECT' };
        if (m === 1) return { mode: 'SYMMETRIC' };
        throw new ModelFormatError(`${c.label} has mirror pad mode ${m}; schema.fbs knows REFLECT (0) and SYMMETRIC (1)`);
      },
      write: (a) => ({ mode: a.mode === 'SYMMETRIC' ? 1 : 0 }),
    },
    // op_version.cc: 2 for int8 (and 3 for int16, which TFLite Micro does not run), 1 otherwise.
    version: versionByInput(3, 2),
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes(ctx) {
    const pairs = readPaddings(ctx);
    return [ctx.inputs[0]!.shape.map((d, i) => d + pairs[i][0] + pairs[i][1])];
  },
  macs: () => 0,
  prepare(ctx) {
    const what = describeOp(ctx.graph, ctx.op);
    const pairs = readPaddings(ctx);
    const input = ctx.inputs[0]!;
    const output = ctx.outputs[0];
    if (input.dtype !== output.dtype || (input.dtype !== 'int8' && input.dtype !== 'float32')) {
      throw new UnsupportedOpError(`${what}: MIRROR_PAD of ${input.dtype} to ${output.dtype} is not supported (TFLite Micro: int8 or float32, same on both sides)`);
    }
    const expected = input.shape.map((d, i) => d + pairs[i][0] + pairs[i][1]);
    if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
      throw new GraphError(`${what}: output is [${output.shape.join(', ')}] but padding [${input.shape.join(', ')}] gives [${expected.join(', ')}]`);
    }
    return {
      kind: input.dtype,
      inDims: front(input.shape, 1),
      outDims: front(expected, 1),
      left: front(pairs.map((p) => p[0]), 0),
      offset: ctx.op.attrs.mode === 'REFLECT' ? 1 : 0,
    };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array | Float32Array;
    const o = outputs[0] as TensorData as Int8Array | Float32Array;
    const D = MIRROR_PAD_MAX_DIMS;
    // Per axis, the input index of each output index (TFLM's GetInputDimension).
    const src = p.outDims.map((n, d) => Array.from({ length: n }, (_, i) => sourceIndex(i, p.left[d], p.inDims[d], p.offset)));
    const inStrides = new Array<number>(D).fill(1);
    for (let d = D - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1] * p.inDims[d + 1];
    const idx = new Array<number>(D).fill(0);
    const size = p.outDims.reduce((a, b) => a * b, 1);
    for (let k = 0; k < size; k++) {
      let flat = 0;
      for (let d = 0; d < D; d++) flat += src[d][idx[d]] * inStrides[d];
      o[k] = x[flat];
      for (let d = D - 1; d >= 0 && ++idx[d] === p.outDims[d]; d--) idx[d] = 0;
    }
  },
  emitC(p, names, ctx) {
    const fields = [`.in_dims = ${cIntList(p.inDims)}`, `.out_dims = ${cIntList(p.outDims)}`, `.left = ${cIntList(p.left)}`, `.offset = ${p.offset}`];
    return {
      kernels: ['mirror_pad.c'],
      includes: ['mirror_pad.h'],
      decls: cStructDecl('tinyml_mirror_pad_params', `${ctx.prefix}_params`, fields),
      call: `  tinyml_mirror_pad_${p.kind === 'int8' ? 's8' : 'f32'}(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
    };
  },
};

/** TFLM's GetInputDimension: where output index `i` of an axis reads in the input. */
function sourceIndex(i: number, left: number, dim: number, offset: number): number {
  if (i < left) {
    const original = left + offset - 1;
    return original - Math.min(i, original - offset);
  }
  const j = i - left;
  if (j >= dim) {
    const original = dim - (1 + offset);
    return original - Math.min(j - dim, original);
  }
  return j;
}
