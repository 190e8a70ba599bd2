/**
 * RESHAPE, SQUEEZE and EXPAND_DIMS: the output is the input's bytes under a new shape. All are pure
 * metadata changes, so the memory planner aliases output to input (`aliasesInput`) and the
 * generated code runs no copy; evaluate/emitC still perform a plain byte copy for the cases
 * where the buffers are distinct.
 */
import { GraphError, UnsupportedOpError } from '../errors.js';
import type { DType, Tensor, TensorData } from '../ir/types.js';
import { DTYPE_BYTES, describeOp, elementCount } from '../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OpContext, OpDef } from './op-def.js';
import type { NoAttrs } from '../ir/attrs.js';
import { emptyOptions } from './tflite-options.js';

/** Element types a byte copy handles; the data never changes, so every storage type works. */
const COPY_DTYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'int32', 'int64', 'float32', 'bool'];

export interface CopyParams {
  /** The (shared) dtype of input and output. */
  kind: DType;
  /** Element count (equal for input and output). */
  count: number;
  /** Bytes copied: count * element size. */
  bytes: number;
}

function constIntValues(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, (v) => Number(v));
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

/**
 * The requested shape, before resolving -1, following TFLite: a constant 1-D int32 shape
 * tensor wins; otherwise the new_shape option, where the legacy value [0] means a scalar; with
 * neither, the output is a scalar.
 */
function requestedShape(ctx: OpContext<'RESHAPE'>): number[] {
  const { graph, op } = ctx;
  const shapeTensor = ctx.inputs[1];
  if (shapeTensor && shapeTensor.shape.length === 1 && (shapeTensor.dtype === 'int32' || shapeTensor.dtype === 'int64')) {
    const values = constIntValues(shapeTensor);
    if (values) return values;
    if (ctx.op.attrs.newShape === undefined) {
      // TFLite Micro never reads a runtime shape: it trusts the converter's output dims.
      const declared = ctx.outputs[0]?.shape;
      if (declared && elementCount(declared) === elementCount(ctx.inputs[0]!.shape)) return [...declared];
      throw new UnsupportedOpError(`${describeOp(graph, op)}: the shape input '${shapeTensor.name}' is computed at run time; tinyml needs a constant shape`);
    }
  }
  const newShape = op.attrs.newShape;
  if (newShape === undefined) return [];
  if (newShape.length === 1 && newShape[0] === 0) return [];
  return [...newShape];
}

function resolveReshape(ctx: OpContext<'RESHAPE'>): number[] {
  const { graph, op } = ctx;
  if (ctx.inputs.length < 1 || ctx.inputs.length > 2 || !ctx.inputs[0]) {
    throw new GraphError(`${describeOp(graph, op)}: RESHAPE takes an input and an optional shape tensor, got ${ctx.inputs.length} inputs`);
  }
  if (ctx.outputs.length !== 1) throw new GraphError(`${describeOp(graph, op)}: RESHAPE has one output, got ${ctx.outputs.length}`);
  const inputCount = elementCount(ctx.inputs[0].shape);
  const shape = requestedShape(ctx);
  let stretch = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (stretch !== -1) throw new GraphError(`${describeOp(graph, op)}: new shape [${shape.join(', ')}] has more than one -1 dimension`);
      stretch = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new GraphError(`${describeOp(graph, op)}: new shape [${shape.join(', ')}] has an invalid dimension ${d}`);
    } else {
      known *= d;
    }
  });
  if (stretch !== -1) {
    if (known === 0) throw new GraphError(`${describeOp(graph, op)}: cannot infer the -1 dimension of [${shape.join(', ')}] next to a zero dimension`);
    shape[stretch] = Math.floor(inputCount / known);
    known *= shape[stretch];
  }
  if (known !== inputCount) {
    throw new GraphError(`${describeOp(graph, op)}: cannot reshape [${ctx.inputs[0].shape.join(', ')}] (${inputCount} elements) to [${shape.join(', ')}] (${known} elements)`);
  }
  return shape;
}

function resolveSqueeze(ctx: OpContext<'SQUEEZE'>): number[] {
  const { graph, op } = ctx;
  if (ctx.inputs.length !== 1 || !ctx.inputs[0]) throw new GraphError(`${describeOp(graph, op)}: SQUEEZE takes one input, got ${ctx.inputs.length}`);
  if (ctx.outputs.length !== 1) throw new GraphError(`${describeOp(graph, op)}: SQUEEZE has one output, got ${ctx.outputs.length}`);
  const inShape = ctx.inputs[0].shape;
  const rank = inShape.length;
  // TFLite Micro's squeeze works on at most 8 dimensions.
  if (rank > 8) throw new UnsupportedOpError(`${describeOp(graph, op)}: SQUEEZE supports inputs of up to 8 dimensions, got ${rank}`);
  const squeeze = new Array<boolean>(rank).fill(false);
  const dims = op.attrs.squeezeDims ?? [];
  if (dims.length === 0) {
    inShape.forEach((d, i) => (squeeze[i] = d === 1));
  } else {
    for (const raw of dims) {
      const axis = raw < 0 ? raw + rank : raw;
      if (!(axis >= 0 && axis < rank)) {
        throw new GraphError(`${describeOp(graph, op)}: squeeze dimension ${raw} is out of range for a ${rank}-D input`);
      }
      if (inShape[axis] !== 1) {
        throw new GraphError(`${describeOp(graph, op)}: cannot squeeze dimension ${raw} of [${inShape.join(', ')}]: its size is ${inShape[axis]}, not 1`);
      }
      squeeze[axis] = true;
    }
  }
  return inShape.filter((_, i) => !squeeze[i]);
}

/**
 * EXPAND_DIMS inserts a size-1 dimension at the constant scalar (or 1-element) int32 `axis`;
 * a negative axis counts from the end of the output, as in TFLite Micro's expand_dims.cc.
 */
function resolveExpandDims(ctx: OpContext<'EXPAND_DIMS'>): number[] {
  const { graph, op } = ctx;
  const where = describeOp(graph, op);
  if (ctx.inputs.length !== 2 || !ctx.inputs[0] || !ctx.inputs[1]) throw new GraphError(`${where}: EXPAND_DIMS takes an input and an axis, got ${ctx.inputs.length} inputs`);
  if (ctx.outputs.length !== 1) throw new GraphError(`${where}: EXPAND_DIMS has one output, got ${ctx.outputs.length}`);
  const axisTensor = ctx.inputs[1];
  if (axisTensor.dtype !== 'int32') throw new UnsupportedOpError(`${where}: the axis of EXPAND_DIMS must be int32, got ${axisTensor.dtype}`);
  if (axisTensor.shape.length > 1 || elementCount(axisTensor.shape) !== 1) {
    throw new GraphError(`${where}: the axis of EXPAND_DIMS must hold one value, got shape [${axisTensor.shape.join(', ')}]`);
  }
  const values = constIntValues(axisTensor);
  if (!values) throw new UnsupportedOpError(`${where}: the axis '${axisTensor.name}' is computed at run time; tinyml (like TFLite Micro) needs a constant axis`);
  const inShape = ctx.inputs[0].shape;
  const axis = values[0] < 0 ? values[0] + inShape.length + 1 : values[0];
  if (!(axis >= 0 && axis <= inShape.length)) throw new GraphError(`${where}: axis ${values[0]} is out of range for a ${inShape.length}-D input`);
  return [...inShape.slice(0, axis), 1, ...inShape.slice(axis)];
}

function prepareCopy(ctx: OpContext<'RESHAPE' | 'SQUEEZE' | 'EXPAND_DIMS'>): CopyParams {
  const input = ctx.inputs[0]!;
  const output = ctx.outputs[0];
  if (input.dtype !== output.dtype || !COPY_DTYPES.includes(input.dtype)) {
    throw new UnsupportedOpError(
      `${describeOp(ctx.graph, ctx.op)}: ${ctx.op.type} with input ${input.dtype} and output ${output.dtype} is not supported (input and output must share one of ${COPY_DTYPES.join(', ')})`,
    );
  }
  const count = elementCount(input.shape);
  if (count !== elementCount(output.shape)) {
    throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: input has ${count} elements but output [${output.shape.join(', ')}] has ${elementCount(output.shape)}`);
  }
  return { kind: input.dtype, count, bytes: count * DTYPE_BYTES[input.dtype] };
}

function evaluateCopy(params: CopyParams, inputs: (TensorData | undefined)[], outputs: TensorData[]): void {
  const src = inputs[0]!;
  const dst = outputs[0];
  if (src === dst) return;
  // Same dtype on both sides, so the typed set is a byte copy.
  (dst as Int8Array).set(src as Int8Array);
}

/** A byte copy kernel call; the planner normally aliases the buffers and the call returns at once. */
export function emitCopy(params: CopyParams, names: EmitNames, ctx: EmitContext): CEmission {
  const p = `${ctx.prefix}_params`;
  return {
    kernels: ['copy.c'],
    includes: ['copy.h'],
    decls: `static const tinyml_copy_params ${p} = { ${params.bytes}u };`,
    call: `  tinyml_copy(&${p}, ${names.inputs[0]}, ${names.outputs[0]});`,
  };
}

export interface ReshapeAttrs {
  /** From ReshapeOptions.new_shape when present; the shape input tensor otherwise. */
  newShape?: number[];
}

export interface SqueezeAttrs {
  squeezeDims: number[];
}

declare module '../ir/attrs.js' {
  interface OpAttrs {
    RESHAPE: ReshapeAttrs;
    SQUEEZE: SqueezeAttrs;
    EXPAND_DIMS: NoAttrs;
  }
}

export const reshape: OpDef<'RESHAPE', CopyParams> = {
  type: 'RESHAPE',
  // ReshapeOptions: 0 new_shape. Without it the shape comes from the second input.
  tflite: {
    options: {
      table: 'ReshapeOptions',
      unionType: 17,
      fields: [{ id: 0, name: 'new_shape', kind: 'i32s' }],
      read(v, c) {
        const newShape = v.ints('new_shape');
        // Converters often write an empty new_shape next to a shape input tensor; an empty
        // new_shape only means "reshape to a scalar" when there is no shape input.
        if (newShape === undefined || (newShape.length === 0 && c.numInputs >= 2)) return {};
        return { newShape };
      },
      write: (a, c) => (a.newShape === undefined ? undefined : { new_shape: c.ints('newShape', a.newShape) }),
    },
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes: (ctx) => [resolveReshape(ctx)],
  macs: () => 0,
  prepare(ctx) {
    resolveReshape(ctx);
    return prepareCopy(ctx);
  },
  evaluate: evaluateCopy,
  aliasesInput: true,
  emitC: emitCopy,
};

export const squeeze: OpDef<'SQUEEZE', CopyParams> = {
  type: 'SQUEEZE',
  // SqueezeOptions: 0 squeeze_dims.
  tflite: {
    options: {
      table: 'SqueezeOptions',
      unionType: 30,
      fields: [{ id: 0, name: 'squeeze_dims', kind: 'i32s' }],
      read: (v) => ({ squeezeDims: v.ints('squeeze_dims') ?? [] }),
      write: (a, c) => ({ squeeze_dims: c.ints('squeezeDims', a.squeezeDims) }),
    },
  },
  quant: { sameQParams: 'first', followsInputPrecision: true },
  inferShapes: (ctx) => [resolveSqueeze(ctx)],
  macs: () => 0,
  prepare(ctx) {
    resolveSqueeze(ctx);
    return prepareCopy(ctx);
  },
  evaluate: evaluateCopy,
  aliasesInput: true,
  emitC: emitCopy,
};

export const expandDims: OpDef<'EXPAND_DIMS', CopyParams> = {
  type: 'EXPAND_DIMS',
  tflite: { options: emptyOptions('ExpandDimsOptions', 52, () => ({})) },
  inferShapes: (ctx) => [resolveExpandDims(ctx)],
  macs: () => 0,
  prepare(ctx) {
    const shape = resolveExpandDims(ctx);
    const out = ctx.outputs[0].shape;
    if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) {
      throw new GraphError(`${describeOp(ctx.graph, ctx.op)}: output is declared [${out.join(', ')}] but EXPAND_DIMS gives [${shape.join(', ')}]`);
    }
    return prepareCopy(ctx);
  },
  evaluate: evaluateCopy,
  aliasesInput: true,
  emitC: emitCopy,
};
