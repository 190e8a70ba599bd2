/**
 * The one table from ONNX op to converter. A converter reads one node through the import context
 * and emits IR ops (or records a constant it evaluated). Adding an ONNX op is a converter module
 * and a line here.
 */
import type { OnnxContext } from '../context.js';
import type { NodeInfo } from '../values.js';
import { clip, leakyRelu, unary } from './activations.js';
import { batchNorm } from './batchnorm.js';
import { concat } from './concat.js';
import { cast, constant, constantOfShape, gather, shapeNode } from './constants.js';
import { conv } from './conv.js';
import { gemm, matmul } from './dense.js';
import { binary } from './elementwise.js';
import { pad } from './pad.js';
import { QLINEAR_DEFAULT_DOMAIN, QLINEAR_MICROSOFT_DOMAIN } from './qlinear.js';
import { globalPool, pool } from './pool.js';
import { dequantizeLinear, quantizeLinear } from './quantize.js';
import { reduceMean } from './reduce.js';
import { resize } from './resize.js';
import { flatten, identity, reshapeNode, squeezeNode } from './reshape.js';
import { logSoftmax, softmax } from './softmax.js';
import { cumSum, split } from './split-scan.js';

export type Converter = (cx: OnnxContext, n: NodeInfo) => void;

/** Default-domain (ai.onnx) ops. */
const DEFAULT_DOMAIN: Readonly<Record<string, Converter>> = {
  Add: binary,
  AveragePool: pool,
  BatchNormalization: batchNorm,
  Cast: cast,
  Clip: clip,
  Concat: concat,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Conv: conv,
  CumSum: cumSum,
  DequantizeLinear: dequantizeLinear,
  Div: binary,
  Dropout: identity,
  Exp: (cx, n) => unary(cx, n, 'EXP', true),
  Flatten: flatten,
  Gather: gather,
  Gemm: gemm,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  HardSwish: (cx, n) => unary(cx, n, 'HARD_SWISH', false),
  Identity: identity,
  LeakyRelu: leakyRelu,
  LogSoftmax: logSoftmax,
  MatMul: matmul,
  MaxPool: pool,
  Mul: binary,
  Pad: pad,
  QuantizeLinear: quantizeLinear,
  ReduceMean: reduceMean,
  Relu: (cx, n) => unary(cx, n, 'RELU', true),
  Reshape: reshapeNode,
  Resize: resize,
  Shape: shapeNode,
  Sigmoid: (cx, n) => unary(cx, n, 'LOGISTIC', true),
  Softmax: softmax,
  Split: split,
  Squeeze: squeezeNode,
  Sub: binary,
  Tanh: (cx, n) => unary(cx, n, 'TANH', false),
  Unsqueeze: squeezeNode,
  ...QLINEAR_DEFAULT_DOMAIN,
};

/** Converters by domain ('' is the default domain). */
const BY_DOMAIN: Readonly<Record<string, Readonly<Record<string, Converter>>>> = {
  '': DEFAULT_DOMAIN,
  'com.microsoft': QLINEAR_MICROSOFT_DOMAIN,
};

/** The converter of an op in a domain (undefined and 'ai.onnx' are the default domain). */
export function converterFor(domain: string | undefined, opType: string): Converter | undefined {
  const d = !domain || domain === 'ai.onnx' ? '' : domain;
  const table = BY_DOMAIN[d];
  return table && Object.prototype.hasOwnProperty.call(table, opType) ? table[opType] : undefined;
}

/** Every supported op, domain-qualified except for the default domain, sorted. */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.entries(BY_DOMAIN)
  .flatMap(([d, t]) => Object.keys(t).map((op) => (d ? `${d}.${op}` : op)))
  .sort();
