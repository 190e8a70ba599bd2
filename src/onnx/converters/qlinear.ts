/**
 * ONNX Runtime's QOperator format: QLinearConv, QLinearMatMul and the com.microsoft ops
 * (QGemm, QLinearAdd, QLinearMul, QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat,
 * QLinearSigmoid, QLinearLeakyRelu).
 *
 * A QLinear op is by definition `Q(op(DQ(a), DQ(b), ...))` with the scales and zero points it
 * lists. It is imported exactly so: DequantizeLinear of each quantized input, the float op's own
 * converter, QuantizeLinear of the result, through synthetic nodes handled by the same converters
 * as a QDQ model. The QDQ folding pass then turns that into one int8 layer, so both formats reach
 * the same int8 IR through one code path. The int32 bias of QLinearConv/QGemm is dequantized with
 * scale `fround(x_scale * w_scale[c])`, the scale the folding pass re-quantizes it with; the
 * round trip through float32 gives the same integers back for |bias| < 2^23.
 */
import { ModelFormatError } from '../../errors.js';
import type { OnnxContext } from '../context.js';
import { OnnxAttrType, type OnnxAttributeProto, type OnnxNodeProto } from '../schema.js';
import { constFloat, makeConst } from '../tensors.js';
import type { NodeInfo } from '../values.js';
import type { Converter } from './index.js';
import { leakyRelu, unary } from './activations.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { gemm, matmul } from './dense.js';
import { binary } from './elementwise.js';
import { globalPool, pool } from './pool.js';
import { dequantizeLinear, quantizeLinear } from './quantize.js';

/** A quantized input of a QLinear op: value, scale and zero point positions; `axis` for per-channel constants. */
interface QInput {
  x: number;
  scale: number;
  zeroPoint: number;
  axis?: (cx: OnnxContext, n: NodeInfo) => number;
}

/** An int32 bias whose scale is input scale × weight scale (per channel). */
interface QBias {
  bias: number;
  inputScale: number;
  weightScale: number;
}

type Operand = QInput | QBias;

interface QLinearSpec {
  /** The float op this QLinear op quantizes, and its converter. */
  floatOp: string;
  float: Converter;
  /** Operands of the float op, in its input order. */
  operands: (n: NodeInfo) => Operand[];
  /** Positions of the output scale and zero point. */
  output: (n: NodeInfo) => { scale: number; zeroPoint: number };
  /** Checks before converting (attributes the float op does not know). */
  check?: (cx: OnnxContext, n: NodeInfo) => void;
}

const isBias = (o: Operand): o is QBias => 'bias' in o;

function intAttr(name: string, v: number): OnnxAttributeProto {
  return { name, type: OnnxAttrType.INT, i: v, floats: [], ints: [], strings: [], tensors: [] };
}

/** Runs `convert` on a synthetic node standing for one step of the QLinear op. */
function step(cx: OnnxContext, n: NodeInfo, convert: Converter, opType: string, input: string[], output: string, attribute: OnnxAttributeProto[] = []): void {
  const node: OnnxNodeProto = { input, output: [output], name: n.node.name, opType, attribute };
  convert(cx, { node, index: n.index, opType, label: `${n.label} (its ${opType})` });
}

function qlinear(spec: QLinearSpec): Converter {
  return (cx, n) => {
    spec.check?.(cx, n);
    const out = n.node.output[0];
    if (!out) throw new ModelFormatError(`${n.label}: output 0 has no name`);
    const name = (k: number): string => {
      const nm = n.node.input[k];
      if (!nm) throw new ModelFormatError(`${n.label}: required input ${k} is missing`);
      cx.requireValue(n, k, `input ${k}`);
      return nm;
    };
    const floatInputs = spec.operands(n).map((o, k) => {
      if (isBias(o)) {
        if (!n.node.input[o.bias]) return '';
        const b = cx.constIn(n, o.bias, 'bias');
        const sx = Math.fround(constFloat(cx.constIn(n, o.inputScale, 'input scale'))[0]);
        const sw = constFloat(cx.constIn(n, o.weightScale, 'weight scale'));
        const count = b.shape.reduce((p, d) => p * d, 1);
        const scale = Array.from({ length: count }, (_, c) => Math.fround(sx * Math.fround(sw.length === 1 ? sw[0] : sw[c])));
        const scaleName = `${out}::bias_scale`;
        cx.values.set(scaleName, { kind: 'const', c: makeConst('float32', [count], scale) });
        const dq = `${out}::bias`;
        step(cx, n, dequantizeLinear, 'DequantizeLinear', [name(o.bias), scaleName], dq, count > 1 ? [intAttr('axis', 0)] : []);
        return dq;
      }
      const dq = `${out}::dq${k}`;
      const attrs = o.axis ? [intAttr('axis', o.axis(cx, n))] : [];
      step(cx, n, dequantizeLinear, 'DequantizeLinear', [name(o.x), name(o.scale), n.node.input[o.zeroPoint] ?? ''], dq, attrs);
      return dq;
    });
    const y = `${out}::float`;
    step(cx, n, spec.float, spec.floatOp, floatInputs, y, n.node.attribute);
    const o = spec.output(n);
    step(cx, n, quantizeLinear, 'QuantizeLinear', [y, name(o.scale), n.node.input[o.zeroPoint] ?? ''], out);
  };
}

const q = (x: number, axis?: QInput['axis']): QInput => ({ x, scale: x + 1, zeroPoint: x + 2, axis });
/** Per-output-channel weights along `axis` (only used when the scale has one value per channel). */
const axis = (a: number) => () => a;
const unaryOut = () => ({ scale: 3, zeroPoint: 4 });

function channelsFirst(cx: OnnxContext, n: NodeInfo): void {
  if (cx.attrInt(n, 'channels_last', 0) !== 0) cx.unsupported(n, 'channels_last=1 (an NHWC ONNX tensor) is not supported; tinyml reads NCHW ONNX graphs');
}

export const QLINEAR_DEFAULT_DOMAIN: Readonly<Record<string, Converter>> = {
  QLinearConv: qlinear({
    floatOp: 'Conv',
    float: conv,
    operands: () => [q(0), q(3, axis(0)), { bias: 8, inputScale: 1, weightScale: 4 }],
    output: () => ({ scale: 6, zeroPoint: 7 }),
  }),
  QLinearMatMul: qlinear({
    floatOp: 'MatMul',
    float: matmul,
    operands: () => [q(0), q(3, axis(1))],
    output: () => ({ scale: 6, zeroPoint: 7 }),
  }),
};

export const QLINEAR_MICROSOFT_DOMAIN: Readonly<Record<string, Converter>> = {
  QGemm: qlinear({
    floatOp: 'Gemm',
    float: gemm,
    operands: () => [q(0), q(3, (cx, n) => (cx.attrInt(n, 'transB', 0) === 1 ? 0 : 1)), { bias: 6, inputScale: 1, weightScale: 4 }],
    output: () => ({ scale: 7, zeroPoint: 8 }),
    check: (cx, n) => {
      if (!n.node.input[7]) cx.unsupported(n, 'QGemm without y_scale (a float output) is not supported; tinyml imports QGemm with a quantized output');
    },
  }),
  QLinearAdd: qlinear({ floatOp: 'Add', float: binary, operands: () => [q(0), q(3)], output: () => ({ scale: 6, zeroPoint: 7 }) }),
  QLinearMul: qlinear({ floatOp: 'Mul', float: binary, operands: () => [q(0), q(3)], output: () => ({ scale: 6, zeroPoint: 7 }) }),
  QLinearGlobalAveragePool: qlinear({ floatOp: 'GlobalAveragePool', float: globalPool, operands: () => [q(0)], output: unaryOut, check: channelsFirst }),
  QLinearAveragePool: qlinear({ floatOp: 'AveragePool', float: pool, operands: () => [q(0)], output: unaryOut, check: channelsFirst }),
  QLinearSigmoid: qlinear({ floatOp: 'Sigmoid', float: (cx, n) => unary(cx, n, 'LOGISTIC', true), operands: () => [q(0)], output: unaryOut }),
  QLinearLeakyRelu: qlinear({ floatOp: 'LeakyRelu', float: leakyRelu, operands: () => [q(0)], output: unaryOut }),
  QLinearConcat: qlinear({
    floatOp: 'Concat',
    float: concat,
    // Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input.
    operands: (n) => {
      const count = Math.floor((n.node.input.length - 2) / 3);
      if (count < 1 || n.node.input.length !== 2 + 3 * count) throw new ModelFormatError(`${n.label}: QLinearConcat needs Y_scale, Y_zero_point and (X, scale, zero point) triples; it has ${n.node.input.length} inputs`);
      return Array.from({ length: count }, (_, k) => q(2 + 3 * k));
    },
    output: () => ({ scale: 0, zeroPoint: 1 }),
  }),
};
