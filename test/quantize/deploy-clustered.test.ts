/**
 * A clustered model (conv, depthwise and dense layers with 4-bit LUT weights, one layer per table
 * scope) deploys to every emulated board bit-exact with the reference interpreter, and the
 * firmware runs the LUT kernels (the DSP conv where the core has the DSP extension).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import type { Graph } from '../../src/ir/types.js';
import { clusterChoices } from '../../src/quantize/cluster-quantize.js';
import { quantizeGraph } from '../../src/quantize/index.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { GraphBuilder, conv, randomFloats, rng } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-cluster-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function net(): Graph {
  const r = rng(11);
  const b = new GraphBuilder('clustered');
  // Input depth 4, 3x3, stride 2, padded: the general DSP LUT conv on DSP cores.
  const x = b.input([1, 10, 10, 4], 'image');
  const w1 = b.constant([16, 3, 3, 4], randomFloats(16 * 36, r, -0.5, 0.5), 'w1');
  const c1 = b.op('CONV_2D', [x, w1, b.constant([16], randomFloats(16, r, -0.1, 0.1), 'b1')], [1, 5, 5, 16], conv(2, 'SAME', 'RELU'), 'conv1');
  const dw = b.constant([1, 3, 3, 16], randomFloats(144, r, -1, 1), 'dw');
  const d1 = b.op('DEPTHWISE_CONV_2D', [c1, dw, b.constant([16], randomFloats(16, r, -0.1, 0.1), 'dwb')], [1, 5, 5, 16], { ...conv(1, 'SAME', 'RELU'), depthMultiplier: 1 }, 'dw1');
  // Pointwise, input depth a multiple of 4: the DSP LUT conv on cores with the DSP extension.
  const pw = b.constant([8, 1, 1, 16], randomFloats(128, r, -0.5, 0.5), 'pw');
  const p1 = b.op('CONV_2D', [d1, pw, b.constant([8], randomFloats(8, r, -0.1, 0.1), 'pwb')], [1, 5, 5, 8], conv(1, 'VALID', 'RELU'), 'pw1');
  const shape = b.constant([2], Int32Array.from([1, 200]), 'shape');
  const flat = b.op('RESHAPE', [p1, shape], [1, 200], {}, 'flat');
  const fw = b.constant([12, 200], randomFloats(2400, r, -0.2, 0.2), 'fw');
  const y = b.op('FULLY_CONNECTED', [flat, fw, b.constant([12], randomFloats(12, r, -0.1, 0.1), 'fb')], [1, 12], { activation: 'NONE', keepNumDims: false }, 'logits');
  return b.build([y]);
}

describe('clustered model on every emulated board', () => {
  const BOARDS = ['qemu-m4', 'qemu-m3', 'qemu-m7', 'qemu-m33', 'qemu-m55'];
  it(`deploys bit-exact to ${BOARDS.join(', ')} with the LUT kernels`, { timeout: 900_000 }, async () => {
    const float = net();
    const r = rng(3);
    const calib = Array.from({ length: 16 }, () => [randomFloats(400, r, 0, 1)]);
    const { graph } = quantizeGraph(float, calib, { evaluate: 0, weights: clusterChoices(float, { clusters: 16, scope: 'tensor', keepInt8: [] }) });
    // The dense layer with one table per output channel, the others with one per layer.
    const perChannel = quantizeGraph(float, calib, { evaluate: 0, weights: clusterChoices(float, { clusters: 16, scope: 'channel' }) }).graph;
    const fw = graph.tensors.findIndex((t) => t.name === 'fw');
    graph.tensors[fw] = perChannel.tensors[fw];
    const bias = graph.ops[graph.ops.length - 1].inputs[2];
    graph.tensors[bias] = perChannel.tensors[bias];
    const model = join(work, 'clustered.tflite');
    writeFileSync(model, writeTflite(graph));
    for (const board of BOARDS) {
      const io = bufferIO();
      const out = join(work, board);
      expect(await runCli(['deploy', model, '--board', board, '--out', out, '--check', '3', '--json'], io), `${board}: ${io.stderr}`).toBe(0);
      expect(JSON.parse(io.stdout).check, board).toMatchObject({ cases: 3, matched: 3 });
      const c = readFileSync(join(out, 'model', 'model.c'), 'utf8');
      const portable = board === 'qemu-m3' ? ['tinyml_conv2d_lut_s8', 'tinyml_depthwise_conv2d_lut_s8', 'tinyml_fully_connected_lut_s8'] : ['tinyml_conv2d_lut4_im2col_s8_dsp', 'tinyml_fully_connected_lut_s8'];
      // DSP LUT kernels have one entry point per requantization mode: name_<mode>(.
      for (const fn of portable) expect(c, `${board}: ${fn}`).toMatch(new RegExp(`${fn}(_[a-z_]+)?\\(`));
      expect(c, board).toMatch(/\.per_channel_table = 1/);
      // The DSP LUT conv on the cores that have the DSP extension (not the Cortex-M3; the
      // Cortex-M55 has it too).
      // The pointwise layer: the folded-bias pointwise kernel.
      expect(/tinyml_conv2d_lut4_pw_s8_dsp_[a-z_]+\(/.test(c), board).toBe(board !== 'qemu-m3');
      // The 5x5 depthwise layer (one whole plane per group): the int8 row kernel on its indices
      // looked up into scratch once per call (codegen/lut-layer.ts, lutDwRows).
      expect(/tinyml_depthwise_lut4_decode16\([^]*tinyml_depthwise_conv2d_s8_dsp_[a-z_]+\(/.test(c), board).toBe(board !== 'qemu-m3');
    }
  });
});
