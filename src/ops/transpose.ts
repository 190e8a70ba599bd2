/**
 * TRANSPOSE: permutes the axes of a 1-D to 6-D tensor by a constant permutation, as TFLite
 * Micro's reference kernel does for int8, int16 and float32 (a pure data movement: the output
 * keeps the input's quantization). The generator turns the permutation into, per output axis
 * (front-padded to 6-D), the input stride to step, so the kernel is one strided walk.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { NoAttrs } from '../ir/attrs.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { DTYPE_BYTES, describeOp } from '../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import { cIntList, cStructDecl } from './elementwise-util.js';
import { dtypeOf, emptyOptions } from './tflite-options.js';

/** TFLite Micro's TransposePrepare accepts 1-D to 6-D inputs. */
const TRANSPOSE_MAX_DIMS = 6;

export type TransposeKind = 'int8' | 'int16' | 'float32';

export interface TransposeParams {
  kind: TransposeKind;
  elementBytes: number;
  /** Output dims front-padded with 1s to 6-D. */
  outDims: number[];
  /** Per output axis (6-D), the input element stride it steps. */
  inStrides: number[];
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    TRANSPOSE: NoAttrs;
  }
}

function constIntValues(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

/** The validated permutation: every axis of the input exactly once. */
function readPerm(ctx: OpContext<'TRANSPOSE'>): number[] {
  const what = describeOp(ctx.graph, ctx.op);
  if (ctx.inputs.length !== 2 || !ctx.inputs[0] || !ctx.inputs[1] || ctx.outputs.length !== 1) {
    throw new GraphError(`${what}: TRANSPOSE takes an input and a permutation and has one output, got ${ctx.inputs.length} input(s) and ${ctx.outputs.length} output(s)`);
  }
  const rank = ctx.inputs[0].shape.length;
  if (rank < 1 || rank > TRANSPOSE_MAX_DIMS) {
    throw new UnsupportedOpError(`${what}: TRANSPOSE supports 1-D to ${TRANSPOSE_MAX_DIMS}-D inputs (as TFLite Micro), got ${rank}-D`);
  }
  const permT = ctx.inputs[1];
  const perm = constIntValues(permT);
  if (!perm) {
    throw new UnsupportedOpError(`${what}: the permutation '${permT.name}' must be a constant int32 tensor (TFLite Micro reads it at run time, tinyml plans it at build time)`);
  }
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((v, i) => v !== i)) {
    throw new GraphError(`${what}: permutation [${perm.join(', ')}] is not a permutation of the ${rank} input axes (each of 0..${rank - 1} exactly once)`);
  }
  return perm;
}

export const transpose: OpDef<'TRANSPOSE', TransposeParams> = {
  type: 'TRANSPOSE',
  tflite: {
    options: emptyOptions('TransposeOptions', 26),
    // op_version.cc: 5 for int16, 4 above 4-D, 2 for int8, 1 otherwise (6-D inputs: 6).
    version: (graph, op) => {
      const d = dtypeOf(graph, op.inputs[0]);
      const rank = graph.tensors[op.inputs[0]]?.shape.length ?? 0;
      if (rank > 5) return 6;
      if (d === 'int16') return 5;
      if (rank > 4) return 4;
      return d === 'int8' ? 2 : 1;
    },
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes(ctx) {
    const perm = readPerm(ctx);
    const shape = ctx.inputs[0]!.shape;
    return [perm.map((p) => shape[p])];
  },
  macs: () => 0,
  prepare(ctx) {
    const what = describeOp(ctx.graph, ctx.op);
    const perm = readPerm(ctx);
    const input = ctx.inputs[0]!;
    const output = ctx.outputs[0];
    const kinds: TransposeKind[] = ['int8', 'int16', 'float32'];
    if (input.dtype !== output.dtype || !kinds.includes(input.dtype as TransposeKind)) {
      throw new UnsupportedOpError(`${what}: TRANSPOSE of ${input.dtype} to ${output.dtype} is not supported (TFLite Micro: int8, int16 or float32, same on both sides)`);
    }
    const expected = perm.map((p) => input.shape[p]);
    if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
      throw new GraphError(`${what}: output is [${output.shape.join(', ')}] but permuting [${input.shape.join(', ')}] by [${perm.join(', ')}] gives [${expected.join(', ')}]`);
    }
    return transposeParams(input.dtype as TransposeKind, input.shape, perm);
  },
  evaluate: (p, inputs, outputs) => transposeWalk(p, inputs[0] as TensorData, outputs[0] as TensorData),
  emitC: (p, names, ctx) => emitTranspose('TRANSPOSE', p, names, ctx),
};

/**
 * The strided walk that permutes `shape` (up to 6-D, row-major) by `perm`. DEPTH_TO_SPACE and
 * SPACE_TO_DEPTH are such permutations of a 6-D view of their input and reuse it.
 */
export function transposeParams(kind: TransposeKind, shape: readonly number[], perm: readonly number[]): TransposeParams {
  const rank = perm.length;
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d];
  }
  const pad = TRANSPOSE_MAX_DIMS - rank;
  return {
    kind,
    elementBytes: DTYPE_BYTES[kind],
    outDims: [...new Array<number>(pad).fill(1), ...perm.map((p) => shape[p])],
    inStrides: [...new Array<number>(pad).fill(0), ...perm.map((p) => strides[p])],
  };
}

/** The transpose kernel's call for `p`; `label` names the op in the generated comment. */
export function emitTranspose(label: string, p: TransposeParams, names: EmitNames, ctx: EmitContext): CEmission {
  const fields = [`.out_dims = ${cIntList(p.outDims)}`, `.in_strides = ${cIntList(p.inStrides)}`, `.elem_bytes = ${p.elementBytes}`];
  return {
    kernels: ['transpose.c'],
    includes: ['transpose.h'],
    decls: `/* ${label} ${p.kind} as a transpose to [${p.outDims.join('x')}] */\n${cStructDecl('tinyml_transpose_params', `${ctx.prefix}_params`, fields)}`,
    call: `  tinyml_transpose(&${ctx.prefix}_params, ${names.inputs[0]}, ${names.outputs[0]});`,
  };
}

/** Output elements in row-major order, each read from the input through the per-axis strides. */
export function transposeWalk(p: TransposeParams, x: TensorData, o: TensorData): void {
  const [d0, d1, d2, d3, d4, d5] = p.outDims;
  const [s0, s1, s2, s3, s4, s5] = p.inStrides;
  let k = 0;
  for (let a = 0; a < d0; a++)
    for (let b = 0; b < d1; b++)
      for (let c = 0; c < d2; c++)
        for (let d = 0; d < d3; d++)
          for (let e = 0; e < d4; e++) {
            const base = a * s0 + b * s1 + c * s2 + d * s3 + e * s4;
            for (let f = 0; f < d5; f++) o[k++] = x[base + f * s5];
          }
}
