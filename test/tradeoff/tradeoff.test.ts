/**
 * `tinyml tradeoff`: the Pareto front rule, the page (rendered by a real headless Chromium with no
 * console errors), and one run end to end on the Fashion-MNIST CNN with latency on qemu-m4.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { renderTradeoffHtml } from '../../src/tradeoff/html.js';
import { paretoFront } from '../../src/tradeoff/pareto.js';
import { tradeoffResult, type TradeoffResult } from '../../src/tradeoff/result.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { openInChromium } from '../helpers/chromium.js';
import { sharedPath } from '../helpers/shared.js';
import { FASHION_DIR, FASHION_TEST, FASHION_TRAIN, requireFashionMnist } from '../helpers/tools.js';

const temp = makeTempDir('tinyml-tradeoff-');
afterAll(() => temp.cleanup());
const MODEL = sharedPath('models', 'fashion-mnist', 'fashion_cnn_float.onnx');

describe('Pareto front', () => {
  it('keeps a point unless another is at least as good on every axis and better on one', () => {
    const pts = [
      { name: 'a', accuracy: 0.9, parameterBytes: 100 },
      { name: 'b', accuracy: 0.8, parameterBytes: 50 },
      { name: 'c', accuracy: 0.8, parameterBytes: 60 }, // b is as accurate and smaller
      { name: 'd', accuracy: 0.95, parameterBytes: 400 },
      { name: 'e', accuracy: 0.9, parameterBytes: 100 }, // ties with a: neither dominates
    ];
    expect(paretoFront(pts)).toEqual(['a', 'b', 'd', 'e']);
    // With latency on every point, a slower twin drops out and a fast large one stays.
    const timed = [
      { name: 'a', accuracy: 0.9, parameterBytes: 100, latency: 10 },
      { name: 'a-slow', accuracy: 0.9, parameterBytes: 100, latency: 20 },
      { name: 'big-fast', accuracy: 0.7, parameterBytes: 500, latency: 1 },
    ];
    expect(paretoFront(timed)).toEqual(['a', 'big-fast']);
  });
});

describe('tradeoff page', () => {
  it('opens offline in headless Chromium with no errors: two plots, a point per configuration, the front marked', async () => {
    const result: TradeoffResult = tradeoffResult('m', 1000, 'qemu-m4', [
      { name: 'float', label: 'float32', accuracy: 0.917, parameterBytes: 153_688, latency: 7_000_000, latencyUnit: 'instructions', flashBytes: 173_000, arenaBytes: 125_000, seconds: 1 },
      { name: 'int8', label: 'int8 <per-channel>', accuracy: 0.915, parameterBytes: 40_408, latency: 3_700_000, latencyUnit: 'instructions', flashBytes: 75_000, arenaBytes: 31_000, seconds: 1 },
      { name: 'int4', label: 'int4 & more', accuracy: 0.91, parameterBytes: 21_000, latency: 4_300_000, latencyUnit: 'instructions', flashBytes: 58_000, arenaBytes: 31_000, seconds: 1 },
      { name: 'worse', label: 'dominated', accuracy: 0.9, parameterBytes: 41_000, latency: 3_800_000, latencyUnit: 'instructions', flashBytes: 76_000, arenaBytes: 31_000, seconds: 1 },
    ]);
    expect(result.front).toEqual(['float', 'int8', 'int4']);
    const file = join(temp.dir, 'page.html');
    writeFileSync(file, renderTradeoffHtml(result));
    const page = await openInChromium(file);
    try {
      expect([page.consoleErrors, page.exceptions, page.logErrors, page.externalRequests]).toEqual([[], [], [], []]);
      expect(await page.evaluate<string[]>('[...document.querySelectorAll("svg.plot")].map((s) => s.dataset.plot)')).toEqual(['accuracy-bytes', 'accuracy-latency']);
      expect(await page.evaluate<number>('document.querySelectorAll("svg[data-plot=accuracy-bytes] circle.point").length')).toBe(4);
      expect(await page.evaluate<string[]>('[...document.querySelectorAll("svg[data-plot=accuracy-latency] circle.on-front")].map((c) => c.dataset.config)')).toEqual(['float', 'int8', 'int4']);
      // Points sit inside the plot and are drawn (non-zero boxes).
      const boxes = await page.evaluate<number[][]>('[...document.querySelectorAll("circle.point")].map((c) => { const b = c.getBoundingClientRect(); return [b.width, b.height]; })');
      for (const [w, h] of boxes) expect(w * h).toBeGreaterThan(0);
      expect(await page.evaluate<string>('document.querySelector("tr[data-config=int8] td:last-child").textContent')).toBe('int8 <per-channel>');
    } finally {
      await page.close();
    }
  }, 60_000);
});

describe('tinyml tradeoff', () => {
  beforeAll(() => requireFashionMnist([FASHION_TRAIN, FASHION_TEST]));

  it('measures per-tensor and per-channel int8 on the host and on qemu-m4 and writes the page', { timeout: 600_000 }, async () => {
    const html = join(temp.dir, 'fashion.html');
    const io = bufferIO();
    const code = await runCli(['tradeoff', MODEL, '--calib', FASHION_TRAIN, '--calib-limit', '50', '--data', FASHION_TEST, '--labels', join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz'), '--scale', '1/255', '--limit', '200', '--configs', 'int8-tensor,int8', '--board', 'qemu-m4', '--html', html, '--json'], io);
    expect(code, io.stderr).toBe(0);
    const r = JSON.parse(io.stdout) as TradeoffResult;
    expect(r.samples).toBe(200);
    expect(r.rows.map((x) => x.name)).toEqual(['int8-tensor', 'int8']);
    for (const row of r.rows) {
      expect(row.accuracy).toBeGreaterThan(0.8);
      expect(row.latencyUnit).toBe('instructions');
      expect(row.latency).toBeGreaterThan(1_000_000);
      expect(row.flashBytes).toBeGreaterThan(row.parameterBytes);
    }
    expect(r.front.length).toBeGreaterThan(0);
    expect(readFileSync(html, 'utf8')).toContain('data-plot="accuracy-latency"');
  });

  it('refuses unknown configurations, missing calibration data and an existing page without --force', async () => {
    const run = async (args: string[], exitCode = 2): Promise<string> => {
      const io = bufferIO();
      expect(await runCli(['tradeoff', MODEL, ...args], io)).toBe(exitCode);
      return io.stderr;
    };
    expect(await run(['--data', FASHION_TEST, '--calib', FASHION_TRAIN, '--configs', 'int8,int3'])).toMatch(/unknown configuration\(s\) int3; tinyml tradeoff knows float, int8-tensor, int8/);
    expect(await run(['--data', FASHION_TEST, '--configs', 'int8'])).toMatch(/needs calibration samples \(--calib FILE\)/);
    const existing = join(temp.dir, 'exists.html');
    writeFileSync(existing, 'mine');
    expect(await run(['--data', FASHION_TEST, '--configs', 'float', '--html', existing], 1)).toMatch(/--force/);
    expect(readFileSync(existing, 'utf8')).toBe('mine');
    expect(existsSync(existing)).toBe(true);
  });
});
