/** Pad with zeros → PAD. */
import { ModelFormatError } from '../../errors.js';
import type { OnnxContext } from '../context.js';
import { constFloat, constNumbers } from '../tensors.js';
import type { NodeInfo } from '../values.js';

export function pad(cx: OnnxContext, n: NodeInfo): void {
  const x = cx.tensorIn(n, 0);
  const mode = cx.attrString(n, 'mode', 'constant');
  if (mode !== 'constant') cx.unsupported(n, `Pad mode '${mode}' is not supported (only 'constant')`);
  let pads: number[];
  let value = 0;
  if (cx.opset >= 11) {
    pads = constNumbers(cx.constIn(n, 1, 'pads'));
    const cv = cx.optionalConst(n, 2, 'constant_value');
    if (cv) value = constFloat(cv)[0] ?? 0;
    if (cx.value(n, 3)) cx.unsupported(n, 'the axes input of Pad is not supported');
  } else {
    pads = cx.attrInts(n, 'pads') ?? [];
    value = cx.attrFloat(n, 'value', 0);
  }
  if (value !== 0) cx.unsupported(n, `padding with ${value} is not supported (only 0)`);
  const rank = x.onnxShape.length;
  if (pads.length !== 2 * rank) throw new ModelFormatError(`${n.label}: pads has ${pads.length} values for a rank-${rank} input`);
  if (pads.some((p) => p < 0)) cx.unsupported(n, 'negative pads (cropping) are not supported');
  if (x.flatten) cx.unsupported(n, 'padding a flattened NCHW tensor is not supported');
  const onnxShape = x.onnxShape.map((d, i) => d + pads[i] + pads[i + rank]);
  const irPairs: number[] = [];
  for (let irA = 0; irA < rank; irA++) {
    const a = x.nhwc ? [0, 2, 3, 1][irA] : irA;
    irPairs.push(pads[a], pads[a + rank]);
  }
  const paddings = cx.int32Const(`${n.node.output[0]}/paddings`, irPairs, [rank, 2]);
  const out = cx.outputTensor(n, 0, onnxShape, x.nhwc, cx.tensors[x.id].dtype, { nonNegative: x.nonNegative });
  cx.emit('PAD', [x.id, paddings], [out.id], {});
}
