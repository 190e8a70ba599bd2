/**
 * Per-op quantization rules of the TFLite int8 / 16x8 specification: which inputs are weights
 * (and along which axis they are quantized per channel), which is the bias, which inputs are
 * integer operands kept as they are (shapes, paddings, axes), which outputs have fixed
 * parameters, and which ops require their output quantized exactly like their input(s).
 */
import type { OpType } from '../ir/attrs.js';
import type { ActivationDType, QParams } from './qparams.js';

export interface WeightRule {
  /** Input index of the weights. */
  weights: number;
  /** Per-channel axis: 0 for conv/FC/transpose-conv (OHWI, [out, in]), 3 for depthwise (1HWC). */
  axis: number;
  /** Input index of the (optional) bias. */
  bias: number;
  /** Input index of the activation the bias scale derives from. */
  input: number;
}

export const WEIGHT_OPS: Partial<Record<OpType, WeightRule>> = {
  CONV_2D: { weights: 1, axis: 0, bias: 2, input: 0 },
  DEPTHWISE_CONV_2D: { weights: 1, axis: 3, bias: 2, input: 0 },
  FULLY_CONNECTED: { weights: 1, axis: 0, bias: 2, input: 0 },
  TRANSPOSE_CONV: { weights: 1, axis: 0, bias: 3, input: 2 },
};

/**
 * Ops whose quantized output must share the input's scale and zero point (TFLite Micro copies or
 * compares without rescaling). The listed input slots join the output's group.
 */
export const SAME_QPARAMS: Partial<Record<OpType, 'first' | 'all' | readonly number[]>> = {
  RESHAPE: 'first',
  SQUEEZE: 'first',
  MAX_POOL_2D: 'first',
  AVERAGE_POOL_2D: 'first',
  STRIDED_SLICE: 'first',
  RESIZE_NEAREST_NEIGHBOR: 'first',
  CONCATENATION: 'all',
  // PAD: the data and the optional constant pad value.
  PAD: [0, 2],
};

/** Data-movement ops: when not chosen explicitly, they run at the precision of their input. */
export const FOLLOWS_INPUT_PRECISION: ReadonlySet<OpType> = new Set<OpType>([
  'RESHAPE',
  'SQUEEZE',
  'MAX_POOL_2D',
  'STRIDED_SLICE',
  'RESIZE_NEAREST_NEIGHBOR',
  'PAD',
  'CONCATENATION',
]);

/** Outputs with parameters fixed by the spec (TFLite Micro checks them). */
export function fixedOutputQParams(type: OpType, dtype: ActivationDType): QParams | undefined {
  if (dtype === 'int8') {
    switch (type) {
      case 'SOFTMAX':
      case 'LOGISTIC':
        return { scale: 1 / 256, zeroPoint: -128 };
      case 'TANH':
        return { scale: 1 / 128, zeroPoint: 0 };
      default:
        return undefined;
    }
  }
  switch (type) {
    case 'SOFTMAX':
    case 'LOGISTIC':
    case 'TANH':
      return { scale: 1 / 32768, zeroPoint: 0 };
    default:
      return undefined;
  }
}

/** Float ops in a float graph the quantizer refuses outright (what they mean is already quantized). */
export const NOT_QUANTIZABLE: ReadonlySet<OpType> = new Set<OpType>(['QUANTIZE', 'DEQUANTIZE']);
