/** BatchNormalization → MUL + ADD by per-channel constants (src/passes folds them into the preceding layer). */
import { ModelFormatError } from '../../errors.js';
import type { OnnxContext } from '../context.js';
import { constFloat } from '../tensors.js';
import { irShapeOf, type NodeInfo, type TensorValue } from '../values.js';

export function batchNorm(cx: OnnxContext, n: NodeInfo): void {
  const x = cx.tensorIn(n, 0);
  if (cx.attrInt(n, 'training_mode', 0) !== 0) cx.unsupported(n, 'training_mode=1 is not supported (export the model in eval mode)');
  if (n.node.output.slice(1).some((o) => o)) cx.unsupported(n, 'the running statistics outputs of training-mode BatchNormalization are not supported');
  const gamma = constFloat(cx.constIn(n, 1, 'scale'));
  const beta = constFloat(cx.constIn(n, 2, 'bias'));
  const mean = constFloat(cx.constIn(n, 3, 'mean'));
  const variance = constFloat(cx.constIn(n, 4, 'var'));
  const eps = cx.attrFloat(n, 'epsilon', 1e-5);
  const rank = x.onnxShape.length;
  if (!(x.nhwc || rank === 2) || x.flatten) cx.unsupported(n, `input of shape [${x.onnxShape.join(', ')}]: tinyml supports BatchNormalization on NCHW (rank 4) and [N, C] inputs`);
  const C = x.onnxShape[1];
  for (const [nm, a] of [['scale', gamma], ['bias', beta], ['mean', mean], ['var', variance]] as const) {
    if (a.length !== C) throw new ModelFormatError(`${n.label}: ${nm} has ${a.length} values for ${C} channels`);
  }
  const s = new Float32Array(C);
  const t = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const sc = gamma[c] / Math.sqrt(Math.fround(variance[c] + eps));
    s[c] = sc;
    t[c] = beta[c] - mean[c] * sc;
  }
  const outName = n.node.output[0];
  const sId = cx.addTensor(`${outName}/bn_scale`, [C], 'float32', { data: s });
  const tId = cx.addTensor(`${outName}/bn_offset`, [C], 'float32', { data: t });
  const mid: TensorValue = { kind: 'tensor', id: -1, onnxShape: [...x.onnxShape], nhwc: x.nhwc };
  mid.id = cx.addTensor(`${outName}/bn_mul`, irShapeOf(mid), 'float32');
  cx.emit('MUL', [x.id, sId], [mid.id], { activation: 'NONE' });
  const out = cx.outputTensor(n, 0, [...x.onnxShape], x.nhwc, 'float32');
  cx.emit('ADD', [mid.id, tId], [out.id], { activation: 'NONE' });
}
