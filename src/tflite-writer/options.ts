/**
 * Writes the builtin options table of every op type in src/ir/attrs.ts, field by field in the
 * order (= field id) schema.fbs declares them. Fields equal to the schema default are left out,
 * as the converter's FlatBufferBuilder does, except where a reader relies on them being present.
 */
import type { Builder } from 'flatbuffers';
import { GraphError } from '../errors.js';
import type { FusedActivation, OpAttrs, OpType, Padding } from '../ir/attrs.js';
import type { Graph, Op } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { OptionsType } from '../tflite/options-tables.js';

/** ActivationFunctionType enum values. */
const ACTIVATION_CODE: Record<FusedActivation, number> = {
  NONE: 0,
  RELU: 1,
  RELU_N1_TO_1: 2,
  RELU6: 3,
  TANH: 4,
  SIGN_BIT: 5,
};

/** Padding enum values. */
const PADDING_CODE: Record<Padding, number> = { SAME: 0, VALID: 1 };

export interface WrittenOptions {
  /** BuiltinOptions union type (0 = NONE). */
  type: number;
  /** Offset of the options table (0 when there is none). */
  offset: number;
}

const NONE: WrittenOptions = { type: 0, offset: 0 };

function i32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function checkInt(graph: Graph, op: Op, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
    throw new GraphError(`${describeOp(graph, op)}: attribute ${field} is ${String(v)}, not an int32; cannot write it to TFLite`);
  }
  return v;
}

function activation(graph: Graph, op: Op, a: FusedActivation): number {
  const code = ACTIVATION_CODE[a];
  if (code === undefined) throw new GraphError(`${describeOp(graph, op)}: unknown fused activation '${String(a)}'`);
  return code;
}

function padding(graph: Graph, op: Op, p: Padding): number {
  const code = PADDING_CODE[p];
  if (code === undefined) throw new GraphError(`${describeOp(graph, op)}: unknown padding '${String(p)}'`);
  return code;
}

/**
 * Context the writer knows but the IR attrs do not carry: whether the op runs on int16
 * activations (ADD/SUB then need pot_scale_int16 = false, as the converter writes for 16x8
 * models with general scales).
 */
export interface OptionsContext {
  int16: boolean;
}

/** Writes `op`'s options table (must be called outside any other table under construction). */
export function writeOptions(b: Builder, graph: Graph, op: Op, ctx: OptionsContext): WrittenOptions {
  const type: OpType = op.type;
  switch (type) {
    case 'CONV_2D': {
      const a = op.attrs as OpAttrs['CONV_2D'];
      // Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 fused_activation_function,
      // 4 dilation_w_factor = 1, 5 dilation_h_factor = 1, 6 quantized_bias_type.
      b.startObject(7);
      b.addFieldInt8(0, padding(graph, op, a.padding), 0);
      b.addFieldInt32(1, checkInt(graph, op, 'strideW', a.strideW), 0);
      b.addFieldInt32(2, checkInt(graph, op, 'strideH', a.strideH), 0);
      b.addFieldInt8(3, activation(graph, op, a.activation), 0);
      b.addFieldInt32(4, checkInt(graph, op, 'dilationW', a.dilationW), 1);
      b.addFieldInt32(5, checkInt(graph, op, 'dilationH', a.dilationH), 1);
      return { type: OptionsType.Conv2DOptions, offset: b.endObject() };
    }
    case 'DEPTHWISE_CONV_2D': {
      const a = op.attrs as OpAttrs['DEPTHWISE_CONV_2D'];
      // 0 padding, 1 stride_w, 2 stride_h, 3 depth_multiplier, 4 fused_activation_function,
      // 5 dilation_w_factor = 1, 6 dilation_h_factor = 1.
      b.startObject(7);
      b.addFieldInt8(0, padding(graph, op, a.padding), 0);
      b.addFieldInt32(1, checkInt(graph, op, 'strideW', a.strideW), 0);
      b.addFieldInt32(2, checkInt(graph, op, 'strideH', a.strideH), 0);
      b.addFieldInt32(3, checkInt(graph, op, 'depthMultiplier', a.depthMultiplier), 0);
      b.addFieldInt8(4, activation(graph, op, a.activation), 0);
      b.addFieldInt32(5, checkInt(graph, op, 'dilationW', a.dilationW), 1);
      b.addFieldInt32(6, checkInt(graph, op, 'dilationH', a.dilationH), 1);
      return { type: OptionsType.DepthwiseConv2DOptions, offset: b.endObject() };
    }
    case 'FULLY_CONNECTED': {
      const a = op.attrs as OpAttrs['FULLY_CONNECTED'];
      // 0 fused_activation_function, 1 weights_format = DEFAULT, 2 keep_num_dims,
      // 3 asymmetric_quantize_inputs, 4 quantized_bias_type.
      b.startObject(5);
      b.addFieldInt8(0, activation(graph, op, a.activation), 0);
      b.addFieldInt8(2, a.keepNumDims ? 1 : 0, 0);
      b.addFieldInt8(3, a.asymmetricQuantizeInputs ? 1 : 0, 0);
      return { type: OptionsType.FullyConnectedOptions, offset: b.endObject() };
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      const a = op.attrs as OpAttrs['MAX_POOL_2D'];
      // 0 padding, 1 stride_w, 2 stride_h, 3 filter_width, 4 filter_height, 5 fused_activation_function.
      b.startObject(6);
      b.addFieldInt8(0, padding(graph, op, a.padding), 0);
      b.addFieldInt32(1, checkInt(graph, op, 'strideW', a.strideW), 0);
      b.addFieldInt32(2, checkInt(graph, op, 'strideH', a.strideH), 0);
      b.addFieldInt32(3, checkInt(graph, op, 'filterW', a.filterW), 0);
      b.addFieldInt32(4, checkInt(graph, op, 'filterH', a.filterH), 0);
      b.addFieldInt8(5, activation(graph, op, a.activation), 0);
      return { type: OptionsType.Pool2DOptions, offset: b.endObject() };
    }
    case 'ADD':
    case 'SUB': {
      const a = op.attrs as OpAttrs['ADD'];
      // AddOptions / SubOptions: 0 fused_activation_function, 1 pot_scale_int16 = true.
      b.startObject(2);
      b.addFieldInt8(0, activation(graph, op, a.activation), 0);
      if (ctx.int16) b.addFieldInt8(1, 0, 1);
      return { type: type === 'ADD' ? OptionsType.AddOptions : OptionsType.SubOptions, offset: b.endObject() };
    }
    case 'MUL': {
      const a = op.attrs as OpAttrs['MUL'];
      b.startObject(1);
      b.addFieldInt8(0, activation(graph, op, a.activation), 0);
      return { type: OptionsType.MulOptions, offset: b.endObject() };
    }
    case 'RESHAPE': {
      const a = op.attrs as OpAttrs['RESHAPE'];
      // ReshapeOptions: 0 new_shape. Without it the shape comes from the second input.
      if (a.newShape === undefined) return NONE;
      a.newShape.forEach((d, i) => checkInt(graph, op, `newShape[${i}]`, d));
      const v = i32Vector(b, a.newShape);
      b.startObject(1);
      b.addFieldOffset(0, v, 0);
      return { type: OptionsType.ReshapeOptions, offset: b.endObject() };
    }
    case 'SQUEEZE': {
      const a = op.attrs as OpAttrs['SQUEEZE'];
      a.squeezeDims.forEach((d, i) => checkInt(graph, op, `squeezeDims[${i}]`, d));
      const v = i32Vector(b, a.squeezeDims);
      b.startObject(1);
      b.addFieldOffset(0, v, 0);
      return { type: OptionsType.SqueezeOptions, offset: b.endObject() };
    }
    case 'SOFTMAX': {
      const a = op.attrs as OpAttrs['SOFTMAX'];
      b.startObject(1);
      b.addFieldFloat32(0, a.beta, 0);
      return { type: OptionsType.SoftmaxOptions, offset: b.endObject() };
    }
    case 'LEAKY_RELU': {
      const a = op.attrs as OpAttrs['LEAKY_RELU'];
      b.startObject(1);
      b.addFieldFloat32(0, a.alpha, 0);
      return { type: OptionsType.LeakyReluOptions, offset: b.endObject() };
    }
    case 'CONCATENATION': {
      const a = op.attrs as OpAttrs['CONCATENATION'];
      // 0 axis, 1 fused_activation_function.
      b.startObject(2);
      b.addFieldInt32(0, checkInt(graph, op, 'axis', a.axis), 0);
      b.addFieldInt8(1, activation(graph, op, a.activation), 0);
      return { type: OptionsType.ConcatenationOptions, offset: b.endObject() };
    }
    case 'MEAN':
    case 'SUM': {
      const a = op.attrs as OpAttrs['MEAN'];
      b.startObject(1);
      b.addFieldInt8(0, a.keepDims ? 1 : 0, 0);
      return { type: OptionsType.ReducerOptions, offset: b.endObject() };
    }
    case 'STRIDED_SLICE': {
      const a = op.attrs as OpAttrs['STRIDED_SLICE'];
      // 0 begin_mask, 1 end_mask, 2 ellipsis_mask, 3 new_axis_mask, 4 shrink_axis_mask, 5 offset.
      b.startObject(6);
      b.addFieldInt32(0, checkInt(graph, op, 'beginMask', a.beginMask), 0);
      b.addFieldInt32(1, checkInt(graph, op, 'endMask', a.endMask), 0);
      b.addFieldInt32(2, checkInt(graph, op, 'ellipsisMask', a.ellipsisMask), 0);
      b.addFieldInt32(3, checkInt(graph, op, 'newAxisMask', a.newAxisMask), 0);
      b.addFieldInt32(4, checkInt(graph, op, 'shrinkAxisMask', a.shrinkAxisMask), 0);
      b.addFieldInt8(5, a.offset ? 1 : 0, 0);
      return { type: OptionsType.StridedSliceOptions, offset: b.endObject() };
    }
    case 'TRANSPOSE_CONV': {
      const a = op.attrs as OpAttrs['TRANSPOSE_CONV'];
      // 0 padding, 1 stride_w, 2 stride_h, 3 fused_activation_function, 4 quantized_bias_type.
      b.startObject(4);
      b.addFieldInt8(0, padding(graph, op, a.padding), 0);
      b.addFieldInt32(1, checkInt(graph, op, 'strideW', a.strideW), 0);
      b.addFieldInt32(2, checkInt(graph, op, 'strideH', a.strideH), 0);
      b.addFieldInt8(3, activation(graph, op, a.activation), 0);
      return { type: OptionsType.TransposeConvOptions, offset: b.endObject() };
    }
    case 'RESIZE_NEAREST_NEIGHBOR': {
      const a = op.attrs as OpAttrs['RESIZE_NEAREST_NEIGHBOR'];
      b.startObject(2);
      b.addFieldInt8(0, a.alignCorners ? 1 : 0, 0);
      b.addFieldInt8(1, a.halfPixelCenters ? 1 : 0, 0);
      return { type: OptionsType.ResizeNearestNeighborOptions, offset: b.endObject() };
    }
    case 'SHAPE': {
      const a = op.attrs as OpAttrs['SHAPE'];
      // ShapeOptions: 0 out_type (TensorType INT32 = 2, INT64 = 4), always written (default 0 is FLOAT32).
      b.startObject(1);
      b.addFieldInt8(0, a.outType === 'int64' ? 4 : 2, null);
      return { type: OptionsType.ShapeOptions, offset: b.endObject() };
    }
    case 'PACK': {
      const a = op.attrs as OpAttrs['PACK'];
      // PackOptions: 0 values_count, 1 axis.
      b.startObject(2);
      b.addFieldInt32(0, checkInt(graph, op, 'valuesCount', a.valuesCount), 0);
      b.addFieldInt32(1, checkInt(graph, op, 'axis', a.axis), 0);
      return { type: OptionsType.PackOptions, offset: b.endObject() };
    }
    case 'GATHER': {
      const a = op.attrs as OpAttrs['GATHER'];
      // GatherOptions: 0 axis, 1 batch_dims.
      b.startObject(2);
      b.addFieldInt32(0, checkInt(graph, op, 'axis', a.axis), 0);
      b.addFieldInt32(1, checkInt(graph, op, 'batchDims', a.batchDims), 0);
      return { type: OptionsType.GatherOptions, offset: b.endObject() };
    }
    case 'EXPAND_DIMS':
      return emptyTable(b, OptionsType.ExpandDimsOptions);
    case 'UNIDIRECTIONAL_SEQUENCE_LSTM': {
      const a = op.attrs as OpAttrs['UNIDIRECTIONAL_SEQUENCE_LSTM'];
      // 0 fused_activation_function, 1 cell_clip, 2 proj_clip, 3 time_major,
      // 4 asymmetric_quantize_inputs, 5 diagonal_recurrent_tensors.
      b.startObject(6);
      b.addFieldInt8(0, activation(graph, op, a.activation), 0);
      b.addFieldFloat32(1, a.cellClip, 0);
      b.addFieldFloat32(2, a.projClip, 0);
      b.addFieldInt8(3, a.timeMajor ? 1 : 0, 0);
      b.addFieldInt8(4, a.asymmetricQuantizeInputs ? 1 : 0, 0);
      b.addFieldInt8(5, a.diagonalRecurrentTensors ? 1 : 0, 0);
      return { type: OptionsType.UnidirectionalSequenceLSTMOptions, offset: b.endObject() };
    }
    // Empty options tables, written as the converter writes them.
    case 'PAD':
      return emptyTable(b, OptionsType.PadOptions);
    case 'QUANTIZE':
      return emptyTable(b, OptionsType.QuantizeOptions);
    case 'DEQUANTIZE':
      return emptyTable(b, OptionsType.DequantizeOptions);
    case 'HARD_SWISH':
      return emptyTable(b, OptionsType.HardSwishOptions);
    // No options table exists for these in schema.fbs.
    case 'LOGISTIC':
    case 'TANH':
    case 'RELU':
    case 'RELU6':
      return NONE;
  }
  throw new GraphError(`${describeOp(graph, op)}: op type ${String(type)} cannot be written to TFLite`);
}

function emptyTable(b: Builder, type: number): WrittenOptions {
  b.startObject(0);
  return { type, offset: b.endObject() };
}
