/**
 * `quantize --flash-budget`: the budget's syntax, the knapsack that picks one candidate per layer,
 * and the whole choice on a small conv/depthwise/dense net and on the Fashion-MNIST CNN: the
 * written model's parameter bytes (as `tinyml inspect` counts them, after a .tflite round trip)
 * stay within the budget, a tighter budget gives fewer bytes, and a budget below the smallest
 * reachable size is refused saying by how much.
 */
import { describe, expect, it } from 'vitest';
import { summarizeModel } from '../../src/analysis/summary.js';
import { InputError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/types.js';
import { knapsack, parseFlashBudget, quantizeWithinBudget } from '../../src/quantize/budget.js';
import { formatReport, reportJson } from '../../src/quantize/report.js';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { projectRoot } from '../helpers/shared.js';
import { importTflite } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { fashionCalibration, fashionModelPath, loadFashionFloat } from './fashion.js';
import { quantizeCommand } from '../../src/cli/commands/quantize.js';
import { bufferIO } from '../../src/cli/io.js';
import { convDepthwiseDenseNet, randomSamples, rng } from './helpers.js';

/** Parameter bytes of the model as written to a .tflite and read back, as `tinyml inspect` counts them. */
function writtenParameterBytes(q: Graph): number {
  return summarizeModel(importTflite(writeTflite(q))).totals.parameterBytes;
}

describe('--flash-budget syntax', () => {
  it('takes a byte count or a fraction of the int8 model', () => {
    expect(parseFlashBudget('16000')).toEqual({ bytes: 16000 });
    expect(parseFlashBudget('16,000')).toEqual({ bytes: 16000 });
    expect(parseFlashBudget(0.4 + 'x')).toEqual({ fraction: 0.4 });
    expect(parseFlashBudget('.5X')).toEqual({ fraction: 0.5 });
    for (const bad of ['0', '-3', '1.5x', '0x', '12kb', 'x', '']) expect(() => parseFlashBudget(bad)).toThrow(InputError);
    expect(() => parseFlashBudget('1.5x')).toThrow(/must be in \(0, 1\]/);
  });
});

describe('knapsack', () => {
  it('finds the least total noise within the capacity (checked against every combination)', () => {
    const r = rng(5);
    for (let trial = 0; trial < 40; trial++) {
      const layers = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => ({ bytes: 1 + Math.floor(r() * 100), noise: r() })));
      const capacity = 80 + Math.floor(r() * 200);
      let best = Infinity;
      for (let code = 0; code < 81; code++) {
        const pick = [0, 1, 2, 3].map((i) => Math.floor(code / 3 ** i) % 3);
        const bytes = pick.reduce((a, k, i) => a + layers[i][k].bytes, 0);
        const noise = pick.reduce((a, k, i) => a + layers[i][k].noise, 0);
        if (bytes <= capacity && noise < best) best = noise;
      }
      const got = knapsack(layers, capacity);
      const bytes = got.reduce((a, k, i) => a + layers[i][k].bytes, 0);
      const noise = got.reduce((a, k, i) => a + layers[i][k].noise, 0);
      if (best === Infinity) continue;
      expect(bytes).toBeLessThanOrEqual(capacity);
      // Capacities this small fit the 4096 units exactly: the optimum itself.
      expect(noise).toBeCloseTo(best, 12);
    }
  });
});

describe('quantizeWithinBudget on a small net', () => {
  const float = convDepthwiseDenseNet('budget');
  const calib = randomSamples(float, 24);

  it('fits each budget, narrows the layers as the budget shrinks, and reports the choice per layer', () => {
    const loose = quantizeWithinBudget(float, calib, { budget: { fraction: 1 }, sensitivitySamples: 12 }, { evaluate: false });
    expect(loose.report.budget.layers.map((l) => l.choice)).toEqual(['int8', 'int8', 'int8']);
    expect(loose.report.budget.totalBytes).toBe(loose.report.budget.int8Bytes);
    let previous = Infinity;
    for (const fraction of [0.5, 0.3]) {
      // Nearest rounding keeps this fast; the Fashion test below takes the default (GPTQ).
      const { graph, report } = quantizeWithinBudget(float, calib, { budget: { fraction }, rounding: 'nearest' }, { evaluate: false });
      const b = report.budget;
      expect(b.budgetBytes).toBe(Math.floor(fraction * b.int8Bytes));
      expect(b.totalBytes).toBeLessThanOrEqual(b.budgetBytes);
      expect(b.totalBytes).toBeLessThan(previous);
      previous = b.totalBytes;
      expect(b.otherBytes).toBe(8); // the RESHAPE's shape
      expect(b.layers.reduce((a, l) => a + l.bytes, b.otherBytes)).toBe(b.totalBytes);
      // Scales count too: what inspect counts (no scales) is smaller still.
      expect(writtenParameterBytes(graph)).toBeLessThan(b.totalBytes);
      for (const l of b.layers) expect(l.candidates.map((c) => c.choice)).toContain(l.choice);
      expect(formatReport(report)).toMatch(new RegExp(`Flash budget ${b.budgetBytes.toLocaleString('en-US')} bytes`));
      expect(report.subByte).toBeUndefined();
      const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(`${projectRoot()}/schemas/quantize.json`, 'utf8')));
      expect(validate(JSON.parse(reportJson(report))), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('keeps --keep-int8 layers int8', () => {
    const { report } = quantizeWithinBudget(float, calib, { budget: { fraction: 0.95 }, keepInt8: new Set([3]) }, { evaluate: false });
    const fc = report.budget.layers.find((l) => l.index === 3)!;
    expect(fc.choice).toBe('int8');
    expect(fc.candidates.map((c) => c.choice)).toEqual(['int8']);
  });

  it('refuses a budget below the smallest reachable size, saying by how many bytes', () => {
    // Narrowest: conv 288 binary weights (36 B) + 32 B bias + 64 B scales; depthwise 72 (9 + 32 + 64);
    // dense 2,880 (360 + 40 + 80); the 8-byte shape: 725 bytes.
    expect(() => quantizeWithinBudget(float, calib, { budget: { bytes: 700 } }, { evaluate: false })).toThrow(
      /--flash-budget 700 bytes is 25 bytes below the smallest size reachable \(725 bytes/,
    );
    const tight = quantizeWithinBudget(float, calib, { budget: { bytes: 725 } }, { evaluate: false });
    expect(tight.report.budget.totalBytes).toBe(725);
  });
});

describe('Fashion-MNIST CNN under a flash budget', () => {
  it('0.40x: the written model (weights, biases, scales, tables) fits, with several widths mixed', async () => {
    const float = await loadFashionFloat();
    const calib = await fashionCalibration(float, 16);
    const { graph, report } = quantizeWithinBudget(float, calib, { budget: { fraction: 0.4 }, sensitivitySamples: 8 }, { evaluate: false });
    const b = report.budget;
    expect(b.totalBytes).toBeLessThanOrEqual(b.budgetBytes);
    expect(writtenParameterBytes(graph)).toBeLessThanOrEqual(b.budgetBytes);
    expect(new Set(b.layers.map((l) => l.choice)).size).toBeGreaterThanOrEqual(3);
    console.log(`fashion 0.40x: ${b.totalBytes} of ${b.budgetBytes} bytes (int8 ${b.int8Bytes}); ${b.layers.map((l) => `#${l.index} ${l.choice}`).join(', ')}`);
  }, 240_000);
});

describe('tinyml quantize --flash-budget: what it cannot be combined with', () => {
  it('names the conflicting option before any work', async () => {
    const run = (extra: object) => quantizeCommand(fashionModelPath(), { calib: 'nope.npy', out: '/tmp/tinyml-budget-never.tflite', flashBudget: '0.4x', ...extra }, bufferIO());
    await expect(run({ weights: 'int4' })).rejects.toThrow(/--flash-budget chooses each layer's width itself: drop --weights int4/);
    await expect(run({ clusters: '8' })).rejects.toThrow(/--flash-budget chooses each layer's storage itself \(clusters among others\): drop --clusters/);
    await expect(run({ flashBudget: '2x' })).rejects.toThrow(/must be in \(0, 1\]/);
    await expect(run({ rounding: 'best' })).rejects.toThrow(/--rounding 'best' is not one of gptq, adaround, nearest/);
  });
});
