/**
 * The PyTorch QAT QDQ export, folded to int8 (int8 activations with the QDQ scales, per-channel
 * int8 weights, int32 biases) and run by the int8 reference kernels on all 10,000 test images,
 * must stay within 0.5 point of its fake-quant accuracy (91.54% in the README).
 */
import { describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { bufferIO } from '../../src/cli/io.js';
import { sharedPath } from '../helpers/shared.js';

describe('fashion-mnist QAT QDQ ONNX as int8 on the full test set', () => {
  it('top-1 is within 0.5 point of 91.54%', { timeout: 1_200_000 }, async () => {
    const t0 = Date.now();
    const r = await evalCommand(
      sharedPath('models', 'fashion-mnist', 'fashion_cnn_qat_qdq.onnx'),
      { board: 'host', data: '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', scale: '1/255', json: true },
      bufferIO(),
    );
    console.log(`int8: top-1 ${(r.top1 * 100).toFixed(2)}%, top-5 ${((r.top5 ?? 0) * 100).toFixed(2)}%, median ${r.latency?.median.toFixed(2)} ms/image, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    expect(r.samples).toBe(10000);
    expect(Math.abs(r.top1 * 100 - 91.54)).toBeLessThanOrEqual(0.5);
  });
});
