/**
 * Op types tinyml supports and the typed attributes each carries. Importers map their format's
 * options onto these; every other stage reads only these.
 */

export type FusedActivation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';
export type Padding = 'SAME' | 'VALID';

export interface Conv2DAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: FusedActivation;
}

export interface DepthwiseConv2DAttrs extends Conv2DAttrs {
  depthMultiplier: number;
}

export interface FullyConnectedAttrs {
  activation: FusedActivation;
  keepNumDims: boolean;
  /** Hybrid layers (float input, int8 weights): quantize each input row with a zero point (absent: false). */
  asymmetricQuantizeInputs?: boolean;
}

export interface Pool2DAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: FusedActivation;
}

export interface ElementwiseAttrs {
  activation: FusedActivation;
}

export interface ReshapeAttrs {
  /** From ReshapeOptions.new_shape when present; the shape input tensor otherwise. */
  newShape?: number[];
}

export interface SqueezeAttrs {
  squeezeDims: number[];
}

export interface SoftmaxAttrs {
  beta: number;
}

export interface LeakyReluAttrs {
  alpha: number;
}

export interface ConcatenationAttrs {
  axis: number;
  activation: FusedActivation;
}

/** MEAN and SUM; the axes come from the second input tensor. */
export interface ReduceAttrs {
  keepDims: boolean;
}

export interface StridedSliceAttrs {
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
  /** TFLite `offset`: `end` is relative to `begin`. */
  offset: boolean;
}

export interface TransposeConvAttrs {
  padding: Padding;
  strideH: number;
  strideW: number;
  activation: FusedActivation;
}

export interface ResizeNearestNeighborAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** SHAPE: the dtype of the output (TFLite ShapeOptions.out_type; int32 unless said otherwise). */
export interface ShapeAttrs {
  outType: 'int32' | 'int64';
}

/** PACK: stacks `valuesCount` equally shaped inputs along a new axis `axis` of the output. */
export interface PackAttrs {
  valuesCount: number;
  axis: number;
}

/** GATHER: picks slices of input 0 along `axis` at the indices in input 1. */
export interface GatherAttrs {
  axis: number;
  batchDims: number;
}

/** UNIDIRECTIONAL_SEQUENCE_LSTM (UnidirectionalSequenceLSTMOptions). */
export interface UnidirectionalSequenceLstmAttrs {
  /** The cell gate's non-linearity (TFLite writes TANH for a standard LSTM). */
  activation: FusedActivation;
  /** Cell state clipping bound (real value); 0 means no clipping. */
  cellClip: number;
  /** Projection clipping bound; no supported LSTM has a projection. */
  projClip: number;
  /** Input and output are [time, batch, features] instead of [batch, time, features]. */
  timeMajor: boolean;
  asymmetricQuantizeInputs: boolean;
  diagonalRecurrentTensors: boolean;
}

export type NoAttrs = Record<string, never>;

/** The attribute type of every supported op, keyed by its TFLite builtin name. */
export interface OpAttrs {
  CONV_2D: Conv2DAttrs;
  DEPTHWISE_CONV_2D: DepthwiseConv2DAttrs;
  FULLY_CONNECTED: FullyConnectedAttrs;
  AVERAGE_POOL_2D: Pool2DAttrs;
  MAX_POOL_2D: Pool2DAttrs;
  ADD: ElementwiseAttrs;
  SUB: ElementwiseAttrs;
  MUL: ElementwiseAttrs;
  RESHAPE: ReshapeAttrs;
  SQUEEZE: SqueezeAttrs;
  SOFTMAX: SoftmaxAttrs;
  LOGISTIC: NoAttrs;
  TANH: NoAttrs;
  RELU: NoAttrs;
  RELU6: NoAttrs;
  LEAKY_RELU: LeakyReluAttrs;
  HARD_SWISH: NoAttrs;
  PAD: NoAttrs;
  CONCATENATION: ConcatenationAttrs;
  MEAN: ReduceAttrs;
  SUM: ReduceAttrs;
  STRIDED_SLICE: StridedSliceAttrs;
  TRANSPOSE_CONV: TransposeConvAttrs;
  RESIZE_NEAREST_NEIGHBOR: ResizeNearestNeighborAttrs;
  QUANTIZE: NoAttrs;
  DEQUANTIZE: NoAttrs;
  SHAPE: ShapeAttrs;
  PACK: PackAttrs;
  GATHER: GatherAttrs;
  EXPAND_DIMS: NoAttrs;
  UNIDIRECTIONAL_SEQUENCE_LSTM: UnidirectionalSequenceLstmAttrs;
}

export type OpType = keyof OpAttrs;

export const OP_TYPES: readonly OpType[] = [
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'FULLY_CONNECTED',
  'AVERAGE_POOL_2D',
  'MAX_POOL_2D',
  'ADD',
  'SUB',
  'MUL',
  'RESHAPE',
  'SQUEEZE',
  'SOFTMAX',
  'LOGISTIC',
  'TANH',
  'RELU',
  'RELU6',
  'LEAKY_RELU',
  'HARD_SWISH',
  'PAD',
  'CONCATENATION',
  'MEAN',
  'SUM',
  'STRIDED_SLICE',
  'TRANSPOSE_CONV',
  'RESIZE_NEAREST_NEIGHBOR',
  'QUANTIZE',
  'DEQUANTIZE',
  'SHAPE',
  'PACK',
  'GATHER',
  'EXPAND_DIMS',
  'UNIDIRECTIONAL_SEQUENCE_LSTM',
];

export function isOpType(name: string): name is OpType {
  return (OP_TYPES as readonly string[]).includes(name);
}
