/**
 * ONNX QDQ models with 4-bit weights (opset 21: DequantizeLinear of INT4/UINT4 initializers, per
 * tensor, per axis and blocked), made by test/fixtures/onnx-int4/make_fixtures.py with ONNX
 * Runtime's outputs: imported as packed int4 weights (blocked scales as per-group scales), the
 * host reference interpreter within one output quantization step of ONNX Runtime, and the firmware
 * on qemu-m4 bit-exact with the host.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { loadOnnxModel } from '../../src/onnx/index.js';
import { storedBytes } from '../../src/ir/stored-bytes.js';
import { importTflite } from '../../src/tflite/index.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { projectRoot } from '../helpers/shared.js';
import { expectQemuMatchesHost, quantizeInput } from './qemu-host-check.js';

const DIR = join(projectRoot(), 'test', 'fixtures', 'onnx-int4');
const work = mkdtempSync(join(tmpdir(), 'tinyml-onnx-int4-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface OrtRecord {
  models: Record<string, { inputShape: number[]; outputScale: number; cases: { input: number[]; output: number[] }[] }>;
}
const ORT = JSON.parse(readFileSync(join(DIR, 'ort_outputs.json'), 'utf8')) as OrtRecord;

async function load(name: string): Promise<Graph> {
  return loadOnnxModel(join(DIR, `${name}.onnx`));
}

function layerWeights(g: Graph) {
  return g.ops.filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.type)).map((op) => g.tensors[op.inputs[1]]);
}

describe('ONNX INT4 / UINT4 weights', () => {
  it('imports per-axis, blocked and UINT4 (zero point 8) weights as int4', async () => {
    const conv = await load('conv_int4');
    const [c1, c2, fc] = layerWeights(conv);
    expect([c1, c2, fc].map((t) => t.dtype)).toEqual(['int8', 'int8', 'int8']);
    expect(c1.weightEncoding).toEqual({ kind: 'int4' });
    expect(c1.quant!.scale).toHaveLength(8);
    // Blocked along the 8 input channels in blocks of 4: OHWI rows of 3·3·8 weights, 18 groups each.
    expect(c2.weightEncoding).toMatchObject({ kind: 'int4', groups: { size: 4 } });
    const groups = (c2.weightEncoding as { groups: { multipliers: Uint8Array } }).groups;
    expect(groups.multipliers).toHaveLength(8 * 18);
    // UINT4 with zero point 8: per tensor, values q - 8.
    expect(fc.weightEncoding).toEqual({ kind: 'int4' });
    expect(fc.quant!.scale).toHaveLength(1);
    expect(Math.min(...(fc.data as Int8Array))).toBeGreaterThanOrEqual(-8);
    expect(Math.max(...(fc.data as Int8Array))).toBeLessThanOrEqual(7);

    const mm = await load('matmul_int4');
    const [w1, w2] = layerWeights(mm);
    expect(w1.weightEncoding).toMatchObject({ kind: 'int4', groups: { size: 8 } });
    expect((w1.weightEncoding as { groups: { multipliers: Uint8Array } }).groups.multipliers).toHaveLength(16 * 4);
    expect(w2.weightEncoding).toEqual({ kind: 'int4' });
    expect(w2.quant!.scale).toHaveLength(6);
  });

  it('stores per-axis and per-tensor int4 packed (INT4 in the .tflite tinyml writes); blocked weights as their exact int8 values', async () => {
    for (const name of ['conv_int4', 'matmul_int4']) {
      const g = await load(name);
      const bytes = writeTflite(g);
      const back = importTflite(bytes, name);
      const want = layerWeights(g);
      const got = layerWeights(back);
      got.forEach((t, i) => {
        expect(Array.from(t.data as Int8Array), `${name} layer ${i}`).toEqual(Array.from(want[i].data as Int8Array));
        const grouped = want[i].weightEncoding?.kind === 'int4' && want[i].weightEncoding!.kind !== 'lut' && 'groups' in want[i].weightEncoding!;
        // Per-group multipliers have no INT4 layout (TFLite's INT4 has one scale per channel):
        // such weights are written INT8, value for value.
        expect(t.weightEncoding, `${name} layer ${i}`).toEqual(grouped ? undefined : { kind: 'int4' });
        expect(storedBytes(t)).toBe(grouped ? t.data!.length : Math.ceil(t.data!.length / 2));
      });
    }
  });

  it('host outputs are within one output quantization step of ONNX Runtime', async () => {
    for (const [name, rec] of Object.entries(ORT.models)) {
      const g = await load(name);
      const out = g.tensors[g.outputs[0]];
      expect(out.dtype).toBe('int8');
      expect(out.quant!.scale[0]).toBeCloseTo(rec.outputScale, 7);
      const prepared = prepareGraph(g);
      let exact = 0;
      for (const [i, c] of rec.cases.entries()) {
        const [y] = runGraph(prepared, [quantizeInput(g, c.input, rec.inputShape)]);
        const got = Array.from(y as Int8Array, (v) => (v - out.quant!.zeroPoint[0]) * out.quant!.scale[0]);
        got.forEach((v, k) => expect(Math.abs(v - c.output[k]), `${name} case ${i} output ${k}`).toBeLessThanOrEqual(rec.outputScale * 1.001));
        exact += got.filter((v, k) => Math.abs(v - c.output[k]) < rec.outputScale / 2).length;
      }
      // Off-by-one steps are rare (float vs integer rounding), not the rule.
      const total = rec.cases.length * rec.cases[0].output.length;
      expect(exact / total, name).toBeGreaterThan(0.6);
    }
  });

  it('refuses block scales it cannot store exactly, and UINT4 zero points that leave int4, with the reason', async () => {
    await expect(load('blocked_free')).rejects.toThrow(UnsupportedOpError);
    await expect(load('blocked_free')).rejects.toThrow(/block scales of output channel 0 .* are not one scale times integers 1\.\.15.*--group-size 8/);
    await expect(load('uint4_zp3')).rejects.toThrow(/UINT4 weights 'mm_q' with zero point 3 hold \d+ \(q - zero point = \d+, outside int4's \[-8, 7\]\)/);
  });

  it('conv_int4 deploys to qemu-m4 bit-exact with the host', { timeout: 600_000 }, async () => {
    const rec = ORT.models.conv_int4;
    const g = await expectQemuMatchesHost(join(DIR, 'conv_int4.onnx'), join(work, 'conv_int4'), (g) => rec.cases.map((c) => quantizeInput(g, c.input, rec.inputShape)));
    expect(layerWeights(g).every((t) => t.weightEncoding?.kind === 'int4')).toBe(true);
  });
});
