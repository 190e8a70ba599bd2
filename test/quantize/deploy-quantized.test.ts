/**
 * Issue #6's last mile: `tinyml quantize` on the float Fashion-MNIST ONNX model writes a standard
 * int8 .tflite that `tinyml inspect` reads and that runs on the emulated Cortex-M4 bit-exact with
 * the reference interpreter; the QAT QDQ export deploys the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { FASHION_TRAIN, fashionModelPath, requireFashionMnist } from './fashion.js';
import { sharedPath } from '../helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-quant-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('quantized models on qemu-m4', () => {
  it('quantize → inspect → deploy: bit-exact on the board', { timeout: 300_000 }, async () => {
    requireFashionMnist([FASHION_TRAIN]);
    const out = join(work, 'fashion.int8.tflite');
    let io = bufferIO();
    expect(await runCli(['quantize', fashionModelPath(), '--calib', FASHION_TRAIN, '--calib-limit', '64', '--scale', '1/255', '--out', out, '--json'], io), io.stderr).toBe(0);
    io = bufferIO();
    expect(await runCli(['inspect', out, '--json'], io)).toBe(0);
    const summary = JSON.parse(io.stdout);
    expect(summary.totals.macs).toBe(1_981_376);
    expect(summary.inputs[0].dtype).toBe('int8');
    io = bufferIO();
    expect(await runCli(['deploy', out, '--board', 'qemu-m4', '--out', join(work, 'fw'), '--check', '3', '--json'], io), io.stderr).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(r.check).toMatchObject({ cases: 3, matched: 3 });
  });

  it('the QAT QDQ ONNX export deploys as int8, bit-exact on the board', { timeout: 300_000 }, async () => {
    const io = bufferIO();
    const qdq = sharedPath('models', 'fashion-mnist', 'fashion_cnn_qat_qdq.onnx');
    expect(await runCli(['deploy', qdq, '--board', 'qemu-m4', '--out', join(work, 'qdq'), '--check', '3', '--json'], io), io.stderr).toBe(0);
    expect(JSON.parse(io.stdout).check).toMatchObject({ cases: 3, matched: 3 });
  });
});
