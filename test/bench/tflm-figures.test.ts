import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchDataError, findTflmFigure, loadTflmFigures, parseTflmFigures } from '../../src/bench/tflm-figures.js';
import { projectRoot } from '../helpers/shared.js';

const dir = join(projectRoot(), 'bench', 'reference');

const good = {
  board: 'qemu-m4',
  label: 'TFLM reference',
  kind: 'float32',
  models: { ad01_fp32: { model: 'shared/models/mlperf-tiny/ad01_fp32.tflite', instructions: 10, arenaUsedBytes: 20, flashBytes: 30, ramBytes: 40, cases: 3, matched: 3 } },
};

describe('TFLM figures of bench/reference', () => {
  it('every committed file parses, and every figure was checked on all its cases', () => {
    const sets = loadTflmFigures(dir);
    expect(sets.map((s) => s.file)).toEqual(readdirSync(dir).filter((f) => f.endsWith('.json')).sort());
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) {
      for (const [id, f] of Object.entries(set.models)) {
        expect(f.matched, `${set.file} ${id}`).toBe(f.cases);
        expect(f.instructions, `${set.file} ${id}`).toBeGreaterThan(0);
        // The model that was run is in the repository or in ../shared.
        const path = f.model.startsWith('shared/') ? resolve(projectRoot(), '..', f.model) : join(projectRoot(), f.model);
        expect(existsSync(path), `${set.file} ${id}: ${path}`).toBe(true);
      }
    }
  });

  it('the README states every figure of every file', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const set of loadTflmFigures(dir)) {
      for (const [id, f] of Object.entries(set.models)) {
        expect(readme, `${set.file} ${id}`).toContain(f.instructions.toLocaleString('en-US'));
      }
    }
  });

  it('finds the figure a bench row stands beside by board, model and kind', () => {
    const sets = [parseTflmFigures('a.json', JSON.stringify(good))];
    expect(findTflmFigure(sets, 'qemu-m4', 'ad01_fp32', 'float32')?.figures.instructions).toBe(10);
    expect(findTflmFigure(sets, 'qemu-m4', 'ad01_fp32', 'int8')).toBeUndefined();
    expect(findTflmFigure(sets, 'qemu-m55', 'ad01_fp32', 'float32')).toBeUndefined();
    expect(findTflmFigure(sets, 'qemu-m4', 'vww_96_float', 'float32')).toBeUndefined();
  });

  it('rejects a malformed file with its name and the field', () => {
    expect(() => parseTflmFigures('x.json', '{')).toThrow(/x\.json: not valid JSON/);
    expect(() => parseTflmFigures('x.json', JSON.stringify({ ...good, kind: 'int3' }))).toThrow(/x\.json: "kind" must be one of int8, float32, int4/);
    const noArena = { ...good, models: { m: { ...good.models.ad01_fp32, arenaUsedBytes: -1 } } };
    expect(() => parseTflmFigures('x.json', JSON.stringify(noArena))).toThrow(BenchDataError);
    expect(() => parseTflmFigures('x.json', JSON.stringify(noArena))).toThrow(/models\.m\."arenaUsedBytes" must be a non-negative integer/);
  });

  it('refuses a figure whose outputs were not all checked', () => {
    const wrong = { ...good, models: { m: { ...good.models.ad01_fp32, matched: 2 } } };
    expect(() => parseTflmFigures('x.json', JSON.stringify(wrong))).toThrow(/matched 2 of 3 checked cases/);
    const none = { ...good, models: { m: { ...good.models.ad01_fp32, cases: 0, matched: 0 } } };
    expect(() => parseTflmFigures('x.json', JSON.stringify(none))).toThrow(/matched 0 of 0/);
  });
});
