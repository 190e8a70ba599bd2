/**
 * The float ONNX model on all 10,000 Fashion-MNIST test images through the host interpreter's
 * float path must reproduce the README's 91.67% (PyTorch and ONNX Runtime agree on it) within
 * 0.1 percentage point. Slow: about 2 M MACs per image through the float32 reference kernels.
 */
import { describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { bufferIO } from '../../src/cli/io.js';
import { sharedPath } from '../helpers/shared.js';

describe('fashion-mnist float ONNX on the full test set', () => {
  it('top-1 is 91.67% ± 0.1 point', { timeout: 1_200_000 }, async () => {
    const t0 = Date.now();
    const r = await evalCommand(
      sharedPath('models', 'fashion-mnist', 'fashion_cnn_float.onnx'),
      { board: 'host', data: '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', labels: '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz', scale: '1/255', json: true },
      bufferIO(),
    );
    console.log(`float: top-1 ${(r.top1 * 100).toFixed(2)}%, top-5 ${((r.top5 ?? 0) * 100).toFixed(2)}%, median ${r.latency?.median.toFixed(2)} ms/image, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    expect(r.samples).toBe(10000);
    expect(Math.abs(r.top1 * 100 - 91.67)).toBeLessThanOrEqual(0.1);
  });
});
