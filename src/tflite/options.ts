/**
 * Maps the builtin options of each supported TFLite op onto the IR's attrs (src/ir/attrs.ts),
 * validating enum values and ranges so later stages can trust them.
 */
import { ModelFormatError, UnsupportedOpError } from '../errors.js';
import type { FusedActivation, OpAttrs, OpType, Padding } from '../ir/attrs.js';
import type { Table } from './flatbuffer-reader.js';
import {
  OptionsType,
  optionsTypeName,
  readActivationOnlyOptions,
  readConcatenationOptions,
  readConv2DOptions,
  readDepthwiseConv2DOptions,
  readFullyConnectedOptions,
  readGatherOptions,
  readLeakyReluOptions,
  readPackOptions,
  readPool2DOptions,
  readReducerOptions,
  readReshapeOptions,
  readResizeNearestNeighborOptions,
  readShapeOptions,
  readSoftmaxOptions,
  readSqueezeOptions,
  readStridedSliceOptions,
  readTransposeConvOptions,
  readUnidirectionalSequenceLstmOptions,
  type OptionsTypeName,
} from './options-tables.js';
import type { OperatorTable } from './schema.js';

const PADDINGS: readonly Padding[] = ['SAME', 'VALID'];
const ACTIVATIONS: readonly FusedActivation[] = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

/** The options table each op with attributes carries; ops absent here have no attributes. */
const OPTIONS_OF: Partial<Record<OpType, OptionsTypeName>> = {
  CONV_2D: 'Conv2DOptions',
  DEPTHWISE_CONV_2D: 'DepthwiseConv2DOptions',
  FULLY_CONNECTED: 'FullyConnectedOptions',
  AVERAGE_POOL_2D: 'Pool2DOptions',
  MAX_POOL_2D: 'Pool2DOptions',
  ADD: 'AddOptions',
  SUB: 'SubOptions',
  MUL: 'MulOptions',
  RESHAPE: 'ReshapeOptions',
  SQUEEZE: 'SqueezeOptions',
  SOFTMAX: 'SoftmaxOptions',
  LEAKY_RELU: 'LeakyReluOptions',
  CONCATENATION: 'ConcatenationOptions',
  MEAN: 'ReducerOptions',
  SUM: 'ReducerOptions',
  STRIDED_SLICE: 'StridedSliceOptions',
  TRANSPOSE_CONV: 'TransposeConvOptions',
  RESIZE_NEAREST_NEIGHBOR: 'ResizeNearestNeighborOptions',
  SHAPE: 'ShapeOptions',
  PACK: 'PackOptions',
  GATHER: 'GatherOptions',
  EXPAND_DIMS: 'ExpandDimsOptions',
  UNIDIRECTIONAL_SEQUENCE_LSTM: 'UnidirectionalSequenceLSTMOptions',
};

/** Where an op sits, for messages: "op #3 CONV_2D". */
class OptionsContext {
  constructor(readonly label: string) {}

  padding(v: number): Padding {
    const p = PADDINGS[v];
    if (p === undefined) throw new ModelFormatError(`${this.label} has invalid padding ${v} (expected 0 SAME or 1 VALID)`);
    return p;
  }

  activation(v: number): FusedActivation {
    const a = ACTIVATIONS[v];
    if (a === undefined) {
      throw new ModelFormatError(`${this.label} has invalid fused activation ${v} (expected 0..${ACTIVATIONS.length - 1})`);
    }
    return a;
  }

  positive(v: number, field: string): number {
    if (!(v >= 1)) {
      throw new ModelFormatError(`${this.label} has ${field} ${v}; it must be at least 1 (missing or corrupt options?)`);
    }
    return v;
  }

  finite(v: number, field: string): number {
    if (!Number.isFinite(v)) throw new ModelFormatError(`${this.label} has non-finite ${field} ${v}`);
    return v;
  }
}

/**
 * The attrs of op `type` from its builtin options. `label` names the op in errors
 * ("op #3 CONV_2D"); `numInputs` is the op's input count (RESHAPE needs it).
 */
export function readOpAttrs<T extends OpType>(
  type: T,
  op: OperatorTable,
  label: string,
  numInputs: number,
): OpAttrs[T] {
  return mapOptions(type, optionsTable(type, op, label), new OptionsContext(label), numInputs) as OpAttrs[T];
}

/** The op's options table when it is the kind `type` expects; undefined when absent. */
function optionsTable(type: OpType, op: OperatorTable, label: string): Table | undefined {
  const expected = OPTIONS_OF[type];
  if (expected === undefined) return undefined; // attribute-less op: nothing to read
  const actual = op.builtinOptionsType;
  if (actual === 0) return undefined;
  if (actual !== OptionsType[expected]) {
    const name = optionsTypeName(actual);
    throw new ModelFormatError(
      `${label} carries builtin options of union type ${actual}${name ? ` (${name})` : ''}, ` +
        `but ${type} takes ${expected} (union type ${OptionsType[expected]})`,
    );
  }
  return op.builtinOptions(`the ${expected} of ${label}`);
}

function mapOptions(type: OpType, t: Table | undefined, c: OptionsContext, numInputs: number): OpAttrs[OpType] {
  switch (type) {
    case 'CONV_2D': {
      const o = readConv2DOptions(t);
      return {
        padding: c.padding(o.padding),
        strideH: c.positive(o.strideH, 'stride_h'),
        strideW: c.positive(o.strideW, 'stride_w'),
        dilationH: c.positive(o.dilationH, 'dilation_h_factor'),
        dilationW: c.positive(o.dilationW, 'dilation_w_factor'),
        activation: c.activation(o.activation),
      };
    }
    case 'DEPTHWISE_CONV_2D': {
      const o = readDepthwiseConv2DOptions(t);
      return {
        padding: c.padding(o.padding),
        strideH: c.positive(o.strideH, 'stride_h'),
        strideW: c.positive(o.strideW, 'stride_w'),
        dilationH: c.positive(o.dilationH, 'dilation_h_factor'),
        dilationW: c.positive(o.dilationW, 'dilation_w_factor'),
        activation: c.activation(o.activation),
        // Redundant in TFLite >= 2.x (output channels come from the filter); kept as stored.
        depthMultiplier: o.depthMultiplier,
      };
    }
    case 'FULLY_CONNECTED': {
      const o = readFullyConnectedOptions(t);
      if (o.weightsFormat !== 0) {
        throw new UnsupportedOpError(
          `${c.label} uses weights_format ${o.weightsFormat === 1 ? 'SHUFFLED4x16INT8' : o.weightsFormat}; ` +
            `tinyml only supports the DEFAULT weights format`,
        );
      }
      return { activation: c.activation(o.activation), keepNumDims: o.keepNumDims, ...(o.asymmetricQuantizeInputs ? { asymmetricQuantizeInputs: true } : {}) };
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      const o = readPool2DOptions(t);
      return {
        padding: c.padding(o.padding),
        strideH: c.positive(o.strideH, 'stride_h'),
        strideW: c.positive(o.strideW, 'stride_w'),
        filterH: c.positive(o.filterHeight, 'filter_height'),
        filterW: c.positive(o.filterWidth, 'filter_width'),
        activation: c.activation(o.activation),
      };
    }
    case 'ADD':
    case 'SUB':
    case 'MUL':
      return { activation: c.activation(readActivationOnlyOptions(t).activation) };
    case 'RESHAPE': {
      const { newShape } = readReshapeOptions(t);
      // Converters often write an empty new_shape next to a shape input tensor; an empty
      // new_shape only means "reshape to a scalar" when there is no shape input.
      if (newShape === undefined || (newShape.length === 0 && numInputs >= 2)) return {};
      return { newShape };
    }
    case 'SQUEEZE':
      return { squeezeDims: readSqueezeOptions(t).squeezeDims };
    case 'SOFTMAX':
      return { beta: c.finite(readSoftmaxOptions(t).beta, 'beta') };
    case 'LEAKY_RELU':
      return { alpha: c.finite(readLeakyReluOptions(t).alpha, 'alpha') };
    case 'CONCATENATION': {
      const o = readConcatenationOptions(t);
      return { axis: o.axis, activation: c.activation(o.activation) };
    }
    case 'MEAN':
    case 'SUM':
      return { keepDims: readReducerOptions(t).keepDims };
    case 'STRIDED_SLICE':
      return readStridedSliceOptions(t);
    case 'TRANSPOSE_CONV': {
      const o = readTransposeConvOptions(t);
      return {
        padding: c.padding(o.padding),
        strideH: c.positive(o.strideH, 'stride_h'),
        strideW: c.positive(o.strideW, 'stride_w'),
        activation: c.activation(o.activation),
      };
    }
    case 'RESIZE_NEAREST_NEIGHBOR':
      return readResizeNearestNeighborOptions(t);
    case 'SHAPE': {
      const { outType } = readShapeOptions(t);
      // TensorType INT32 = 2, INT64 = 4: the only shape types TFLite allows.
      if (outType === 2) return { outType: 'int32' };
      if (outType === 4) return { outType: 'int64' };
      throw new ModelFormatError(`${c.label} has out_type ${outType}; SHAPE writes INT32 (2) or INT64 (4)`);
    }
    case 'PACK': {
      const o = readPackOptions(t);
      return { valuesCount: c.positive(o.valuesCount, 'values_count'), axis: o.axis };
    }
    case 'GATHER':
      return readGatherOptions(t);
    case 'UNIDIRECTIONAL_SEQUENCE_LSTM': {
      const o = readUnidirectionalSequenceLstmOptions(t);
      return {
        activation: c.activation(o.activation),
        cellClip: c.finite(o.cellClip, 'cell_clip'),
        projClip: c.finite(o.projClip, 'proj_clip'),
        timeMajor: o.timeMajor,
        asymmetricQuantizeInputs: o.asymmetricQuantizeInputs,
        diagonalRecurrentTensors: o.diagonalRecurrentTensors,
      };
    }
    case 'LOGISTIC':
    case 'TANH':
    case 'RELU':
    case 'RELU6':
    case 'HARD_SWISH':
    case 'PAD':
    case 'QUANTIZE':
    case 'DEQUANTIZE':
    case 'EXPAND_DIMS':
      return {};
  }
}
