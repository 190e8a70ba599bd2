/**
 * Graph preparation passes, each a pure function Graph → Graph, and `prepareForInference`, which
 * applies them in order:
 *
 * 1. `removeIdentityOps`  reshape to the same shape, add 0, mul 1, pad 0, Q(DQ(x))...
 * 2. `constantFold`       ops on constants evaluated once (QUANTIZE/DEQUANTIZE kept for step 5)
 * 3. `foldBatchNorm`      per-channel MUL/ADD after conv/dense folded into weights and bias
 * 4. `fuseActivations`    RELU/RELU6 into the producing conv/dense/add/mul
 * 5. `lowerAffineIslands` DEQUANTIZE → per-channel MUL/ADD → QUANTIZE (an unfolded BatchNorm of a
 *                         QDQ model) → int8 1x1 DEPTHWISE_CONV_2D; `lowerFixedRangeIslands`
 *                         LOGISTIC/TANH/SOFTMAX quantized otherwise than their int8 kernels'
 *                         fixed output → the int8 op + a requantizing QUANTIZE
 * 6. `foldQdq`            QUANTIZE/DEQUANTIZE ("fake quant") graphs → int8 layers
 * 7. `removeIdentityOps`, then shape inference (`inferShapes(graph, { update: true })`).
 */
import type { Graph } from '../ir/types.js';
import { inferShapes } from './validate.js';
import { foldBatchNorm } from './batchnorm-fold.js';
import { constantFold } from './constant-fold.js';
import { fuseActivations } from './fuse-activations.js';
import { removeIdentityOps } from './identity.js';
import { lowerAffineIslands } from './qdq-affine.js';
import { lowerFixedRangeIslands } from './qdq-fixed-range.js';
import { dequantizeConstants, foldQdq, type QdqFoldOptions } from './qdq-fold.js';

export { foldBatchNorm } from './batchnorm-fold.js';
export { constantFold, type ConstantFoldOptions } from './constant-fold.js';
export { fuseActivations } from './fuse-activations.js';
export { removeIdentityOps } from './identity.js';
export { foldShapeArithmetic } from './shape-fold.js';
export { dequantizeConstants, foldQdq, type QdqFoldOptions } from './qdq-fold.js';
export { compactGraph } from './graph-utils.js';
export { floatIslandError, floatIslands, lowerAffineIslands } from './qdq-affine.js';
export { lowerFixedRangeIslands } from './qdq-fixed-range.js';

export interface PrepareOptions extends QdqFoldOptions {
  /**
   * Skip QDQ folding and keep a QDQ graph's float fake-quant semantics (constant weights are
   * dequantized to float; activations keep their QUANTIZE/DEQUANTIZE pairs). Default false.
   */
  keepQdq?: boolean;
}

export function prepareForInference(graph: Graph, options: PrepareOptions = {}): Graph {
  let g = removeIdentityOps(graph);
  g = constantFold(g);
  g = foldBatchNorm(g);
  g = fuseActivations(g);
  g = options.keepQdq ? dequantizeConstants(g) : foldQdq(lowerFixedRangeIslands(lowerAffineIslands(g)), options);
  g = removeIdentityOps(g);
  return inferShapes(g, { update: true });
}
