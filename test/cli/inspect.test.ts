import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { projectRoot, sharedModels, sharedPath } from '../helpers/shared.js';

// MAC totals published in shared/README.md for the MLPerf Tiny and micro_speech models.
const PUBLISHED_MACS: Record<string, number> = {
  kws_ref_model: 2_656_768,
  vww_96_int8: 7_489_664,
  pretrainedResnet_quant: 12_501_632,
  ad01_int8: 264_192,
  micro_speech_quantized: 336_000,
  hello_world_int8: 288,
};

async function inspectJson(path: string) {
  const io = bufferIO();
  const code = await runCli(['inspect', path, '--json'], io);
  expect(io.stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(io.stdout) as {
    totals: { macs: number; parameterBytes: number; largestActivation: { bytes: number } };
    layers: { op: string; macs: number }[];
  };
}

describe('tinyml inspect', () => {
  for (const path of sharedModels()) {
    const id = basename(path, '.tflite');
    it(`${id}: table and JSON`, async () => {
      const io = bufferIO();
      expect(await runCli(['inspect', path], io)).toBe(0);
      expect(io.stdout).toMatch(/total MACs: +[\d,]+/);
      expect(io.stdout).toMatch(/parameter bytes: +[\d,]+/);
      expect(io.stdout).toMatch(/largest activation: +[\d,]+ bytes/);
      const json = await inspectJson(path);
      expect(json.totals.parameterBytes).toBeGreaterThan(0);
      expect(json.totals.macs).toBe(json.layers.reduce((a, l) => a + l.macs, 0));
      if (PUBLISHED_MACS[id] !== undefined) expect(json.totals.macs).toBe(PUBLISHED_MACS[id]);
    });
  }

  it('counts MACs of kws_ref_model the same way an independent walk of its layer shapes does', async () => {
    const path = sharedPath('models/mlperf-tiny/kws_ref_model.tflite');
    const g = await importTfliteFile(path);
    let macs = 0;
    for (const op of g.ops) {
      const out = g.tensors[op.outputs[0]].shape;
      const outElems = out.reduce((a, b) => a * b, 1);
      const w = g.tensors[op.inputs[1]]?.shape;
      if (op.type === 'CONV_2D') macs += outElems * w[1] * w[2] * w[3]; // OHWI: taps x input channels
      if (op.type === 'DEPTHWISE_CONV_2D') macs += outElems * w[1] * w[2]; // 1HWO: taps
      if (op.type === 'FULLY_CONNECTED') macs += outElems * w[1]; // [out, in]
    }
    expect(macs).toBe(2_656_768);
    expect((await inspectJson(path)).totals.macs).toBe(macs);
  });

  it('reports a missing file and a non-model file as clear errors', async () => {
    let io = bufferIO();
    expect(await runCli(['inspect', '/nonexistent/model.tflite'], io)).not.toBe(0);
    expect(io.stderr).toMatch(/^error: model file not found/);
    io = bufferIO();
    expect(await runCli(['inspect', sharedPath('README.md')], io)).not.toBe(0);
    expect(io.stderr).toMatch(/^error: .*unknown model format/);
  });

  it('says when the batch is unfixed (Keras 3 default) and that it runs as 1, in text and JSON', async () => {
    const path = join(projectRoot(), 'test/fixtures/keras/keras_fashion_cnn.tflite');
    const io = bufferIO();
    expect(await runCli(['inspect', path], io)).toBe(0);
    expect(io.stdout).toContain("note: the batch dimension of 'serving_default_image:0' is unfixed in the model (shape_signature -1); tinyml runs it with batch 1");
    expect(io.stdout).not.toMatch(/\bSHAPE\b|\bPACK\b/);
    const json = (await inspectJson(path)) as unknown as { dynamicBatch: unknown };
    expect(json.dynamicBatch).toEqual({ inputs: ['serving_default_image:0'], treatedAs: 1 });
  });

  it('reports a fixed batch (micro_speech has no shape_signature) as dynamicBatch null, with no note', async () => {
    const path = sharedPath('models/tflm-examples/micro_speech_quantized.tflite');
    const json = (await inspectJson(path)) as unknown as { dynamicBatch: unknown };
    expect(json.dynamicBatch).toBeNull();
    const io = bufferIO();
    expect(await runCli(['inspect', path], io)).toBe(0);
    expect(io.stdout).not.toContain('note:');
  });
});
