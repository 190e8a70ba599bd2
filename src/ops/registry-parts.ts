/**
 * The op modules the registry collects (one import per op file). TFLite builtins are read and
 * written by their name, which is the IR op type, so this list is also the TFLite op table.
 */
import type { AnyOpDef } from './op-def.js';
import { hardSwish, leakyRelu, relu, relu6 } from './activations.js';
import { add, sub } from './add-sub.js';
import { argMax } from './arg-max.js';
import { batchMatmul } from './batch-matmul.js';
import { concatenation } from './concatenation.js';
import { conv2d } from './conv2d.js';
import { cumsum } from './cumsum.js';
import { depthToSpace, spaceToDepth } from './depth-space.js';
import { depthwiseConv2d } from './depthwise-conv2d.js';
import { div } from './div.js';
import { exp } from './exp.js';
import { fullyConnected } from './fully-connected.js';
import { gather } from './gather.js';
import { l2Normalization } from './l2-normalization.js';
import { logSoftmax } from './log-softmax.js';
import { logistic, tanh } from './logistic-tanh.js';
import { unidirectionalSequenceLstm } from './lstm.js';
import { maximum, minimum } from './maximum-minimum.js';
import { mirrorPad } from './mirror-pad.js';
import { mul } from './mul.js';
import { pack } from './pack.js';
import { pad } from './pad.js';
import { prelu } from './prelu.js';
import { averagePool2d, maxPool2d } from './pool2d.js';
import { dequantize, quantize } from './quantize.js';
import { mean, sum } from './reduce.js';
import { expandDims, reshape, squeeze } from './reshape.js';
import { resizeBilinear } from './resize-bilinear.js';
import { resizeNearestNeighbor } from './resize-nearest-neighbor.js';
import { rsqrt } from './rsqrt.js';
import { shape } from './shape.js';
import { softmax } from './softmax.js';
import { split, splitV, unpack } from './split.js';
import { squaredDifference } from './squared-difference.js';
import { stridedSlice } from './strided-slice.js';
import { transpose } from './transpose.js';
import { transposeConv } from './transpose-conv.js';

/** In this order in messages that list the supported ops. */
export const ALL_OPS: AnyOpDef[] = [
  conv2d,
  depthwiseConv2d,
  fullyConnected,
  averagePool2d,
  maxPool2d,
  add,
  sub,
  mul,
  reshape,
  squeeze,
  softmax,
  logistic,
  tanh,
  relu,
  relu6,
  leakyRelu,
  hardSwish,
  pad,
  concatenation,
  mean,
  sum,
  stridedSlice,
  transposeConv,
  resizeNearestNeighbor,
  resizeBilinear,
  batchMatmul,
  quantize,
  dequantize,
  shape,
  pack,
  gather,
  expandDims,
  unidirectionalSequenceLstm,
  maximum,
  minimum,
  transpose,
  depthToSpace,
  spaceToDepth,
  argMax,
  mirrorPad,
  rsqrt,
  l2Normalization,
  prelu,
  div,
  split,
  splitV,
  unpack,
  squaredDifference,
  exp,
  logSoftmax,
  cumsum,
];
