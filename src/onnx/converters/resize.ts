/** Resize (mode linear, 2-D, on NCHW) → RESIZE_BILINEAR. */
import { elementCount } from '../../ir/types.js';
import type { OnnxContext } from '../context.js';
import { constFloat } from '../tensors.js';
import type { NodeInfo } from '../values.js';
import { spatialInput } from './window.js';

/** ONNX coordinate_transformation_mode → TFLite's two flags (the modes TFLite can express). */
function coordinateMode(cx: OnnxContext, n: NodeInfo, outH: number, outW: number): { alignCorners: boolean; halfPixelCenters: boolean } {
  const mode = cx.attrString(n, 'coordinate_transformation_mode', 'half_pixel');
  if (mode === 'asymmetric') return { alignCorners: false, halfPixelCenters: false };
  if (mode === 'align_corners') return { alignCorners: true, halfPixelCenters: false };
  // pytorch_half_pixel differs from half_pixel only for an output of one pixel.
  if (mode === 'half_pixel' || (mode === 'pytorch_half_pixel' && outH > 1 && outW > 1)) return { alignCorners: false, halfPixelCenters: true };
  return cx.unsupported(n, `coordinate_transformation_mode '${mode}' has no TFLite RESIZE_BILINEAR equivalent (supported: half_pixel, asymmetric, align_corners, pytorch_half_pixel)`);
}

export function resize(cx: OnnxContext, n: NodeInfo): void {
  const mode = cx.attrString(n, 'mode', 'nearest');
  if (mode !== 'linear') cx.unsupported(n, `mode '${mode}' is not supported; tinyml converts Resize with mode 'linear' (bilinear)`);
  if (cx.attrInt(n, 'antialias', 0) !== 0) cx.unsupported(n, 'antialias=1 has no TFLite equivalent');
  if (cx.attr(n, 'axes')) cx.unsupported(n, 'the axes attribute is not supported; give scales or sizes for all four NCHW dimensions');
  const x = spatialInput(cx, n);
  const [N, C, inH, inW] = x.onnxShape;
  // Inputs: X, roi (ignored unless tf_crop_and_resize), scales, sizes (opset 11+; opset 10 has X, scales).
  const sizesC = n.node.input.length > 3 ? cx.optionalConst(n, 3, 'sizes') : undefined;
  const scalesC = cx.optionalConst(n, n.node.input.length > 2 ? 2 : 1, 'scales');
  let outH: number;
  let outW: number;
  if (sizesC && elementCount(sizesC.shape) > 0) {
    const s = Array.from(constFloat(sizesC));
    if (s.length !== 4 || s[0] !== N || s[1] !== C) cx.unsupported(n, `sizes [${s.join(', ')}] must keep N and C (${N}, ${C})`);
    [outH, outW] = [s[2], s[3]];
  } else if (scalesC && elementCount(scalesC.shape) > 0) {
    const s = Array.from(constFloat(scalesC));
    if (s.length !== 4 || s[0] !== 1 || s[1] !== 1) cx.unsupported(n, `scales [${s.join(', ')}] must keep N and C (scales 1)`);
    // ONNX: output size floor(input size * scale).
    [outH, outW] = [Math.floor(inH * s[2]), Math.floor(inW * s[3])];
  } else {
    return cx.unsupported(n, 'neither scales nor sizes is a constant; tinyml (like TFLite Micro) needs the output size at conversion');
  }
  if (!(outH >= 1 && outW >= 1)) cx.unsupported(n, `output size ${outH}x${outW} must be positive`);
  const attrs = coordinateMode(cx, n, outH, outW);
  const size = cx.int32Const(`${n.node.output[0]}/size`, [outH, outW]);
  const out = cx.outputTensor(n, 0, [N, C, outH, outW], true, cx.tensors[x.id].dtype, { nonNegative: x.nonNegative });
  cx.emit('RESIZE_BILINEAR', [x.id, size], [out.id], attrs);
}
