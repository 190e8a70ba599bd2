/**
 * `tinyml profile` on qemu-m4 with the MLPerf Tiny keyword-spotting model: per-layer times from
 * the PROFILE command must add up to the whole inference, measured with INVOKE on the same
 * (profiling) firmware and on a build without the hooks, within 2%, and to the profiled inference
 * within the hooks' few dozen instructions; the layers are the model's ops in order, and their
 * MACs equal an independent count from the tensor shapes (2,656,768 in all, as published); the
 * text report is a table with a bar chart.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileCommand, renderProfile } from '../../src/cli/commands/profile.js';
import { bufferIO } from '../../src/cli/io.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { measureLatency } from '../../src/deploy/verify.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { loadModel } from '../../src/model-file/load-model.js';
import { bar, type ProfileReport } from '../../src/profile/profile.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { macsFromShapes } from '../helpers/macs.js';
import { sharedPath } from '../helpers/shared.js';

const KWS = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');
const temp = makeTempDir('tinyml-profile-');
afterAll(() => temp.cleanup());

describe('tinyml profile --board qemu-m4 (kws_ref_model)', () => {
  let report: ProfileReport;
  let json: Record<string, unknown>;
  let plainInvoke: number;

  beforeAll(async () => {
    const io = bufferIO();
    // The profiling firmware and a plain build, side by side (one QEMU each).
    const [r, plain] = await Promise.all([
      profileCommand(KWS, { board: 'qemu-m4', out: join(temp.dir, 'profile'), json: true }, io),
      (async () => {
        const built = await buildModelFirmware(KWS, { board: 'qemu-m4', outDir: join(temp.dir, 'plain') });
        const s = await openTargetSession(built.board, built.build.elf);
        try {
          expect(s.info.profiling).toBe(false);
          return (await measureLatency(s.client, built.board, 3)).perInference;
        } finally {
          await s.close();
        }
      })(),
    ]);
    report = r;
    plainInvoke = plain;
    json = JSON.parse(io.stdout) as Record<string, unknown>;
  }, 120_000);

  it('per-layer times add up to the whole inference within 2% (INVOKE of the same firmware and of a build without hooks)', () => {
    const sum = report.layers.reduce((a, l) => a + l.units, 0);
    expect(sum).toBe(report.layerSumUnits);
    expect(Math.abs(sum / report.invokeUnits - 1)).toBeLessThan(0.02);
    expect(Math.abs(sum / plainInvoke - 1)).toBeLessThan(0.02);
    expect(Math.abs(sum / report.totalUnits - 1)).toBeLessThan(0.02);
    expect(report.overheadUnits).toBe(report.totalUnits - sum);
    // The call and the first and last hooks' halves: a few dozen instructions (30 when written).
    expect(report.overheadUnits).toBeGreaterThanOrEqual(0);
    expect(report.overheadUnits).toBeLessThanOrEqual(64);
    const shares = report.layers.reduce((a, l) => a + l.share, 0);
    expect(shares).toBeGreaterThan(0.98);
    expect(shares).toBeLessThanOrEqual(1);
    console.log(
      `[profile] kws_ref_model on qemu-m4: layers ${sum} instructions; PROFILE total ${report.totalUnits}; ` +
        `INVOKE same build ${report.invokeUnits} (${((sum / report.invokeUnits) * 100).toFixed(3)}%); ` +
        `INVOKE without hooks ${plainInvoke} (${((sum / plainInvoke) * 100).toFixed(3)}%)`,
    );
  });

  it('gives every layer its op, output shape, MACs and instructions per MAC', async () => {
    // Oracles independent of the profiler: the model file's ops in order, and MACs from shapes.
    const model = await importTfliteFile(KWS);
    expect(report.layers.map((l) => l.op)).toEqual(model.ops.map((o) => o.type));
    expect(report.layers.map((l) => l.output.name)).toEqual(model.ops.map((o) => model.tensors[o.outputs[0]].name));
    expect(report.layers.map((l) => l.output.shape)).toEqual(model.ops.map((o) => model.tensors[o.outputs[0]].shape));
    expect(report.layers.map((l) => l.macs)).toEqual(macsFromShapes(model));
    expect(report.totalMacs).toBe(2_656_768); // shared/README.md
    expect(report.unit).toBe('instructions');
    for (const l of report.layers) {
      expect(l.units).toBeGreaterThan(0);
      expect(Number.isInteger(l.units)).toBe(true);
      expect(l.ms).toBeCloseTo((l.units / 25e6) * 1000, 9);
      if (l.macs > 0) expect(l.unitsPerMac).toBeCloseTo(l.units / l.macs, 9);
      else expect(l.unitsPerMac).toBeNull();
    }
    expect(report.layers[0].output.shape).toEqual([1, 25, 5, 64]);
    // --json carries the same report
    expect(json).toMatchObject({ model: 'kws_ref_model', board: 'qemu-m4', unit: 'instructions', layerSumUnits: report.layerSumUnits, opt: '-O2' });
    expect((json.layers as unknown[]).length).toBe(13);
  });

  it('renders a table with a bar chart and the totals', () => {
    const text = renderProfile(report, 20);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/kws_ref_model on qemu-m4 \(cortex-m4\): per-layer time of one inference, in instructions/);
    expect(text).toMatch(/#\s+op\s+output\s+instructions\s+ms\s+share\s+MACs\s+instr\/MAC\s+time/);
    const top = report.layers.reduce((a, l) => (l.share > a.share ? l : a));
    expect(text).toContain(`${'█'.repeat(20)}`); // the biggest layer fills the bar
    expect(lines.find((l) => new RegExp(`^\\s*${top.index}\\s+${top.op}`).test(l))).toContain('█'.repeat(20));
    expect(text).toMatch(/layers add up to 99\.\d\d% of it|layers add up to 100\.\d\d% of it/);
    expect(text).toMatch(/MACs +2,656,768 +\([\d.]+ instructions per MAC\)/);
  });
});

describe('bar', () => {
  it('draws eighths of a cell with unicode blocks', () => {
    expect(bar(1, 4)).toBe('████');
    expect(bar(0, 4)).toBe('');
    expect(bar(0.5, 3)).toBe('█▌');
    expect(bar(1 / 32, 4)).toBe('▏');
    expect(bar(2, 2)).toBe('██');
  });
});
