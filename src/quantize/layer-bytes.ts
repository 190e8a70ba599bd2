/**
 * A weight layer's stored bytes, counted one way for the quantization report, the sub-byte
 * summary and `--flash-budget`: its weights as stored (src/ir/stored-bytes.ts: packed sub-byte
 * values and group multipliers, or clustered indices and tables), its bias, and its
 * requantization parameters (an int32 multiplier and an int32 shift per scale, as the generated
 * C keeps them).
 */
import { storedBytes } from '../ir/stored-bytes.js';
import type { Graph } from '../ir/types.js';
import { bitsPerWeight } from '../ir/weight-encoding.js';

/** Flash bytes per weight scale in the firmware: the output multiplier and shift, int32 each. */
export const SCALE_BYTES = 8;

export interface LayerBytes {
  /** Bits per stored weight: 8, 4 / 2 / 1 for sub-byte weights, the index bits of clustered ones. */
  weightBits: number;
  /** Weights per group of per-group scales, when the layer has them. */
  weightGroupSize?: number;
  /** Weights as stored, tables and group multipliers included. */
  weightBytes: number;
  biasBytes: number;
  /** Requantization parameters: SCALE_BYTES per weight scale. */
  scaleBytes: number;
  /** Weights and bias (what `tinyml inspect` counts as the layer's parameter bytes). */
  parameterBytes: number;
  /** The same layer with plain int8 weights: its weights' int8 bytes and bias. */
  int8ParameterBytes: number;
  /** Everything the layer stores: weights, bias and scales. */
  totalBytes: number;
}

export function layerStoredBytes(q: Graph, weightTensor: number, biasTensor: number | undefined): LayerBytes {
  const w = q.tensors[weightTensor];
  const enc = w.weightEncoding;
  const weightBytes = storedBytes(w);
  const biasBytes = biasTensor !== undefined ? (q.tensors[biasTensor].data?.byteLength ?? 0) : 0;
  const scaleBytes = SCALE_BYTES * (w.quant?.scale.length ?? 1);
  const groups = enc && enc.kind !== 'lut' ? enc.groups : undefined;
  return {
    weightBits: bitsPerWeight(enc),
    ...(groups ? { weightGroupSize: groups.size } : {}),
    weightBytes,
    biasBytes,
    scaleBytes,
    parameterBytes: weightBytes + biasBytes,
    int8ParameterBytes: (w.data?.length ?? 0) + biasBytes,
    totalBytes: weightBytes + biasBytes + scaleBytes,
  };
}
