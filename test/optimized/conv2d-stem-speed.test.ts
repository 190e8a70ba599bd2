/**
 * Issue #20: the first layers of VWW, ResNet-8 and KWS (the stem kernel, conv2d_stem_dsp.c), cut
 * out of the shared models and built side by side into one profiling firmware for qemu-m4
 * (instructions counted exactly under -icount): bit-exact against the reference interpreter, and
 * within instructions-per-MAC bounds that the kernel before its pairs routine did not meet (VWW's
 * 96x96x3 -> 48x48x8 stride 2 layer took 1.84 per MAC in the model, ResNet's 1.46) and that keep
 * KWS's 10x4 layer where it was (1.08). VWW's bound is stem8_run's (issue #20: 1.19 per MAC before
 * it, 1.08 here through the staged driver's row calls).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importTfliteFile } from '../../src/tflite/index.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { startQemu } from '../../src/runners/qemu.js';
import { checkAgainstReference } from '../../src/deploy/verify.js';
import { profileOnTarget } from '../../src/profile/profile.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { sharedPath } from '../helpers/shared.js';
import { requireArmToolchain, requireQemu } from '../helpers/tools.js';

const work = mkdtempSync(join(tmpdir(), 'tinyml-stem-speed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Op 0 of each graph as one model with an input and an output per part (tensors renumbered, names prefixed). */
function firstLayers(parts: { name: string; graph: Graph }[]): Graph {
  const tensors: Tensor[] = [];
  const ops: Graph['ops'] = [];
  const inputs: number[] = [];
  const outputs: number[] = [];
  for (const { name, graph } of parts) {
    const op = graph.ops[0];
    const ids = [...new Set([...op.inputs, ...op.outputs].filter((i) => i >= 0))];
    const base = tensors.length;
    const id = (i: number) => (i < 0 ? i : base + ids.indexOf(i));
    const mapped = { ...op, index: ops.length, inputs: op.inputs.map(id), outputs: op.outputs.map(id) };
    ids.forEach((i, k) => tensors.push({ ...graph.tensors[i], id: base + k, name: `${name}_${graph.tensors[i].name}` }));
    ops.push(mapped);
    inputs.push(mapped.inputs[0]);
    outputs.push(mapped.outputs[0]);
  }
  return { ...parts[0].graph, name: 'stems', tensors, ops, inputs, outputs };
}

const MODELS = [
  { name: 'vww', file: 'vww_96_int8.tflite', bound: 1.1 },
  { name: 'resnet', file: 'pretrainedResnet_quant.tflite', bound: 1.2 },
  { name: 'kws', file: 'kws_ref_model.tflite', bound: 1.08 },
];

describe('the stem kernel on the shared models\' first layers (qemu-m4, instructions per MAC)', () => {
  it('bit-exact, and VWW <= 1.1, ResNet <= 1.2, KWS <= 1.08 instructions per MAC', { timeout: 600_000 }, async () => {
    requireArmToolchain();
    requireQemu();
    const parts = await Promise.all(MODELS.map(async (m) => ({ name: m.name, graph: await importTfliteFile(sharedPath('models', 'mlperf-tiny', m.file)) })));
    const graph = firstLayers(parts);
    expect(graph.ops.map((op) => op.type)).toEqual(['CONV_2D', 'CONV_2D', 'CONV_2D']);
    const path = join(work, 'stems.tflite');
    writeFileSync(path, writeTflite(graph));
    const built = await buildModelFirmware(path, { board: 'qemu-m4', outDir: join(work, 'stems'), profile: true });
    expect(built.build.log).not.toMatch(/warning:/);
    // Each layer on the stem kernel.
    expect(built.compiled.generated.files['model/model.c'].match(/tinyml_conv2d_s8_(stem_dsp|dsp_in_place\w*)\(&l\d_params, [^;]*_w, /g)?.length).toBe(3);
    const s = await startQemu({ board: built.board, elf: built.build.elf!, bootTimeoutMs: 60_000, timeoutMs: 60_000 });
    try {
      const check = await checkAgainstReference(s.client, built.compiled.prepared, 1);
      expect(check.mismatches).toEqual([]);
      const layers = (await profileOnTarget(s.client, s.info, built.board, built.compiled)).layers;
      MODELS.forEach((m, k) => {
        const l = layers.find((x) => x.index === k)!;
        expect(l.unitsPerMac!, `${m.name}: ${l.units} instructions for ${l.macs} MACs`).toBeLessThanOrEqual(m.bound);
      });
    } finally {
      await s.close();
    }
  });
});
