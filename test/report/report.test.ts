/**
 * `tinyml report --html`: the page opens in a real headless Chromium without console errors,
 * exceptions or network requests, and each plot has one mark per thing it shows, counted from
 * the model independently of the report (13 layers of KWS, the plan's buffers, 32 bins per
 * weighted layer, one SQNR bar per quantized layer). KWS runs on qemu-m4 (latency and ELF
 * sections); the float sine model is quantized on the host with --calib (float and dequantized
 * weights, SQNR). The screenshots stay in the temp folder while the test runs (set
 * TINYML_REPORT_KEEP=dir to keep them).
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { reportCommand, type ReportCommandResult } from '../../src/cli/commands/report.js';
import { WouldOverwriteError } from '../../src/errors.js';
import { formatNpy } from '../../src/io/npy.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { openInChromium, requireChromium, type OpenPage } from '../helpers/chromium.js';
import { sharedPath } from '../helpers/shared.js';
import { requireArmToolchain, requireQemu } from '../helpers/tools.js';

const KWS = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');
const SINE = sharedPath('models', 'tflm-examples', 'hello_world_float.tflite');
const temp = makeTempDir('tinyml-report-');
afterAll(() => temp.cleanup());

const WEIGHT_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** Counts of the marks in each plot, and the plots' rendered sizes. */
const MARKS = `(() => {
  const q = (s) => document.querySelectorAll(s).length;
  const plot = (name) => document.querySelector('svg[data-plot="' + name + '"]');
  const box = (name) => { const p = plot(name); if (!p) return null; const r = p.getBoundingClientRect(); return [r.width, r.height]; };
  return {
    latencyBars: q('svg[data-plot="latency"] rect.bar'),
    buffers: q('svg[data-plot="memory"] rect.buf'),
    scratch: q('svg[data-plot="memory"] rect.scratch'),
    histCards: q('.hist'),
    histBefore: [...document.querySelectorAll('.hist')].map((c) => c.querySelectorAll('rect.hist-before').length),
    histAfter: [...document.querySelectorAll('.hist')].map((c) => c.querySelectorAll('rect.hist-after').length),
    sqnrBars: q('svg[data-plot="sqnr"] rect.sqnr'),
    segments: [...document.querySelectorAll('svg[data-plot="sizes"] rect.seg')].map((r) => r.querySelector('title').textContent),
    notes: [...document.querySelectorAll('p.note')].map((p) => p.closest('section').id),
    boxes: { latency: box('latency'), memory: box('memory'), sqnr: box('sqnr'), sizes: box('sizes') },
    widestBar: Math.max(0, ...[...document.querySelectorAll('svg[data-plot="latency"] rect.bar')].map((r) => r.getBoundingClientRect().width)),
    scripts: q('script') + q('link') + q('img') + q('iframe'),
  };
})()`;

interface Marks {
  latencyBars: number;
  buffers: number;
  scratch: number;
  histCards: number;
  histBefore: number[];
  histAfter: number[];
  sqnrBars: number;
  segments: string[];
  notes: string[];
  boxes: Record<string, [number, number] | null>;
  widestBar: number;
  scripts: number;
}

async function inspectPage(file: string, shot: string): Promise<{ marks: Marks; page: OpenPage }> {
  const page = await openInChromium(file);
  try {
    const marks = await page.evaluate<Marks>(MARKS);
    await page.screenshot(shot);
    if (process.env.TINYML_REPORT_KEEP) copyFileSync(shot, join(process.env.TINYML_REPORT_KEEP, shot.split('/').pop()!));
    return { marks, page };
  } finally {
    await page.close();
  }
}

describe('tinyml report --board qemu-m4 (kws_ref_model, int8)', () => {
  let result: ReportCommandResult;
  let marks: Marks;
  let page: OpenPage;
  const html = join(temp.dir, 'kws.html');

  beforeAll(async () => {
    requireChromium();
    requireArmToolchain();
    requireQemu();
    result = await reportCommand(KWS, { board: 'qemu-m4', html, out: join(temp.dir, 'kws-m4') }, bufferIO());
    ({ marks, page } = await inspectPage(html, join(temp.dir, 'kws.png')));
  }, 120_000);

  it('renders in headless Chromium without console errors, exceptions or network requests', () => {
    expect(page.consoleErrors).toEqual([]);
    expect(page.exceptions).toEqual([]);
    expect(page.logErrors).toEqual([]);
    expect(page.externalRequests).toEqual([]);
    expect(marks.scripts).toBe(0);
    expect(readFileSync(html, 'utf8')).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(existsSync(join(temp.dir, 'kws.png'))).toBe(true);
  });

  it('has one latency bar per layer of the model, drawn to scale', async () => {
    const graph = await importTfliteFile(KWS);
    expect(graph.ops.length).toBe(13);
    expect(marks.latencyBars).toBe(graph.ops.length);
    expect(result.data.profile!.layers).toHaveLength(graph.ops.length);
    // The slowest layer's bar spans the plot; bars are not all empty.
    expect(marks.widestBar).toBeGreaterThan(400);
  });

  it('draws one rectangle per buffer of the memory plan, scratch included', () => {
    const plan = result.data.plan;
    expect(marks.buffers).toBe(plan.buffers.length);
    expect(marks.scratch).toBe(plan.buffers.filter((b) => b.scratchOf !== undefined).length);
    // Every activation of the graph is in some buffer: at least as many as ops' distinct outputs that are not aliases.
    expect(marks.buffers).toBeGreaterThanOrEqual(10);
  });

  it('has a 32-bin int8 histogram per layer with weights, and no SQNR (with a note why)', async () => {
    const graph = await importTfliteFile(KWS);
    const weighted = graph.ops.filter((o) => WEIGHT_OPS.has(o.type)).length;
    expect(weighted).toBe(10);
    expect(marks.histCards).toBe(weighted);
    expect(marks.histBefore).toEqual(new Array(weighted).fill(32));
    expect(marks.histAfter).toEqual(new Array(weighted).fill(0));
    expect(marks.sqnrBars).toBe(0);
    expect(marks.boxes.sqnr).toBeNull();
    expect(marks.notes).toContain('sqnr');
    expect(marks.notes).not.toContain('latency');
  });

  it('breaks flash and RAM down from the ELF: code, weights, arena and stack', () => {
    const labels = marks.segments.map((s) => s.split(':')[0]);
    expect(labels).toEqual(expect.arrayContaining(['code (.text)', 'weights and constants (.rodata)', 'arena (.bss)', 'stack']));
    const s = result.data.sizes;
    // The arena is the plan's, and the model's constants as linked fit in .rodata.
    expect(s.arenaBytes).toBe(result.data.plan.arenaBytes);
    expect(s.constantBytes).toBeGreaterThan(0);
    expect(s.constantBytes).toBeLessThanOrEqual(s.sections!.rodata);
    for (const name of ['latency', 'memory', 'sizes']) expect(marks.boxes[name]![0]).toBeGreaterThan(300);
  });
});

describe('tinyml report --board host --calib (hello_world_float quantized on the host)', () => {
  let result: ReportCommandResult;
  let marks: Marks;
  let page: OpenPage;
  const html = join(temp.dir, 'sine.html');

  beforeAll(async () => {
    requireChromium();
    // 200 calibration inputs over the sine model's domain [0, 2π].
    const n = 200;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (2 * Math.PI * i) / (n - 1);
    const calib = join(temp.dir, 'sine-calib.npy');
    writeFileSync(calib, formatNpy({ dtype: 'float32', shape: [n, 1], data: x }));
    result = await reportCommand(SINE, { board: 'host', html, calib }, bufferIO());
    ({ marks, page } = await inspectPage(html, join(temp.dir, 'sine.png')));
  }, 60_000);

  it('renders without console errors, exceptions or network requests', () => {
    expect(page.consoleErrors).toEqual([]);
    expect(page.exceptions).toEqual([]);
    expect(page.logErrors).toEqual([]);
    expect(page.externalRequests).toEqual([]);
  });

  it('has no latency on the host, with a note, and the host breakdown (weights, arena)', () => {
    expect(marks.latencyBars).toBe(0);
    expect(marks.notes).toContain('latency');
    expect(marks.segments.map((s) => s.split(':')[0])).toEqual(['weights and constants', 'arena']);
  });

  it('shows float and dequantized int8 weights in the same 32 bins for each of the 3 dense layers', async () => {
    const graph = await importTfliteFile(SINE);
    const weighted = graph.ops.filter((o) => WEIGHT_OPS.has(o.type)).length;
    expect(weighted).toBe(3);
    expect(marks.histBefore).toEqual([32, 32, 32]);
    expect(marks.histAfter).toEqual([32, 32, 32]);
    // Both histograms count every weight once.
    for (const l of result.data.weights) {
      const n = l.shape.reduce((a, b) => a * b, 1);
      expect(l.before.counts.reduce((a, b) => a + b, 0)).toBe(n);
      expect(l.after!.counts.reduce((a, b) => a + b, 0)).toBe(n);
    }
  });

  it('has one SQNR bar per layer of the float model', async () => {
    const graph = await importTfliteFile(SINE);
    expect(marks.sqnrBars).toBe(graph.ops.length);
    expect(result.data.quantization!.layers.every((l) => l.sqnrDb !== undefined)).toBe(true);
  });

  it('does not overwrite the page without --force, and does with it', async () => {
    const before = readFileSync(html, 'utf8');
    writeFileSync(html, 'mine');
    await expect(reportCommand(SINE, { board: 'host', html }, bufferIO())).rejects.toThrow(WouldOverwriteError);
    expect(readFileSync(html, 'utf8')).toBe('mine');
    await reportCommand(SINE, { board: 'host', html, force: true }, bufferIO());
    expect(readFileSync(html, 'utf8')).not.toBe('mine');
    expect(before.length).toBeGreaterThan(1000);
  });
});
