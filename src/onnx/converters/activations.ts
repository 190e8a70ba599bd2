/** Elementwise activations: Relu, Sigmoid, Tanh, HardSwish, Exp, LeakyRelu, Clip (as RELU/RELU6). */
import type { OpAttrs } from '../../ir/attrs.js';
import type { OnnxContext } from '../context.js';
import { constNumbers } from '../tensors.js';
import type { NodeInfo } from '../values.js';

const FLOAT_MAX = 3.4028234663852886e38;

export function unary(cx: OnnxContext, n: NodeInfo, type: 'RELU' | 'RELU6' | 'LOGISTIC' | 'TANH' | 'HARD_SWISH' | 'EXP', nonNegative: boolean): void {
  const x = cx.tensorIn(n, 0);
  const dtype = cx.tensors[x.id].dtype;
  const out = cx.outputTensor(n, 0, [...x.onnxShape], x.nhwc, dtype, { flatten: x.flatten, nonNegative });
  cx.emit(type, [x.id], [out.id], {} as OpAttrs[typeof type]);
}

export function leakyRelu(cx: OnnxContext, n: NodeInfo): void {
  const x = cx.tensorIn(n, 0);
  const out = cx.outputTensor(n, 0, [...x.onnxShape], x.nhwc, cx.tensors[x.id].dtype, { flatten: x.flatten });
  cx.emit('LEAKY_RELU', [x.id], [out.id], { alpha: cx.attrFloat(n, 'alpha', 0.01) });
}

export function clip(cx: OnnxContext, n: NodeInfo): void {
  let lo: number | undefined;
  let hi: number | undefined;
  if (cx.opset < 11) {
    const a = cx.attr(n, 'min');
    const b = cx.attr(n, 'max');
    lo = a ? a.f : undefined;
    hi = b ? b.f : undefined;
  } else {
    const a = cx.optionalConst(n, 1, 'min');
    const b = cx.optionalConst(n, 2, 'max');
    lo = a ? constNumbers(a)[0] : undefined;
    hi = b ? constNumbers(b)[0] : undefined;
  }
  const noMax = hi === undefined || hi >= FLOAT_MAX;
  let type: 'RELU' | 'RELU6';
  if (lo === 0 && noMax) type = 'RELU';
  else if (lo === 0 && hi === 6) type = 'RELU6';
  else cx.unsupported(n, `Clip(min=${lo ?? '-inf'}, max=${hi ?? 'inf'}) is not supported; tinyml maps Clip(0, 6) to RELU6 and Clip(0, inf) to RELU`);
  unary(cx, n, type, true);
}
