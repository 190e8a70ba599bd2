/** Concat of activations (CONCATENATION) or of constants (evaluated). */
import { ModelFormatError } from '../../errors.js';
import { elementCount } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import { constFloat, constNumbers, makeConst, type OnnxConst, transposeData } from '../tensors.js';
import { type ConstValue, type NodeInfo, type TensorValue, toNhwc } from '../values.js';

export function concat(cx: OnnxContext, n: NodeInfo): void {
  const vals = n.node.input.map((_, k) => cx.requireValue(n, k, `input ${k}`));
  const axisAttr = cx.attrInt(n, 'axis', 0);
  if (vals.every((v) => v.kind === 'const')) {
    cx.setConst(n, constConcat(n, vals.map((v) => (v as ConstValue).c), axisAttr));
    return;
  }
  const like = vals.find((v): v is TensorValue => v.kind === 'tensor')!;
  const rank = like.onnxShape.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const ids: number[] = [];
  const shapes: number[][] = [];
  vals.forEach((v, k) => {
    let t: TensorValue;
    if (v.kind === 'const') {
      if (like.nhwc) {
        const c = v.c;
        const id = cx.addTensor(cx.inputName(n, k)!, toNhwc(c.shape), constFloat(c) === c.data ? c.dtype : 'float32', {
          data: transposeData(constFloat(c), c.shape, [0, 2, 3, 1]),
        });
        t = { kind: 'tensor', id, onnxShape: c.shape, nhwc: true };
      } else t = cx.tensorIn(n, k);
    } else t = v;
    if (t.nhwc !== like.nhwc || t.flatten) cx.unsupported(n, 'Concat of activations in different layouts is not supported');
    ids.push(t.id);
    shapes.push(t.onnxShape);
  });
  const outShape = [...shapes[0]];
  outShape[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
  const out = cx.outputTensor(n, 0, outShape, like.nhwc, cx.tensors[like.id].dtype, { nonNegative: vals.every((v) => v.kind === 'tensor' && v.nonNegative) });
  cx.emit('CONCATENATION', ids, [out.id], { axis: cx.irAxis(n, like, axis), activation: 'NONE' });
}

function constConcat(n: NodeInfo, cs: OnnxConst[], axisAttr: number): OnnxConst {
  const rank = cs[0].shape.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const outShape = [...cs[0].shape];
  outShape[axis] = cs.reduce((s, c) => s + c.shape[axis], 0);
  const outer = elementCount(outShape.slice(0, axis));
  const vals: number[] = [];
  const isFloat = cs.some((c) => c.dtype === 'float32' || c.dequantized);
  const datas = cs.map((c) => (isFloat ? Array.from(constFloat(c)) : constNumbers(c)));
  for (let o = 0; o < outer; o++) {
    cs.forEach((c, k) => {
      const chunk = elementCount(c.shape.slice(axis));
      for (let i = 0; i < chunk; i++) vals.push(datas[k][o * chunk + i]);
    });
  }
  if (cs.some((c) => c.shape.length !== rank)) throw new ModelFormatError(`${n.label}: Concat inputs have different ranks`);
  return makeConst(isFloat ? 'float32' : cs[0].dtype, outShape, vals);
}
