/**
 * The stem written over its input with no scratch at all (ops/stem-in-place.ts,
 * tinyml_conv2d_s8_stem_dsp_in_place_tight, issue #20): the schedule VWW's stem gets, a replay of
 * the driver's every read and write over one buffer (each write must land on a byte no later read
 * needs, and the buffer must end as the output), and random stems run in place bit-exact against
 * CONV_2D's reference on the host (AddressSanitizer, a buffer of exactly the input's bytes and no
 * scratch) and on an emulated Cortex-M4.
 */
import { describe, expect, it } from 'vitest';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2dStemDspVariant, stemOk, stemScratchBytes, stemTightOk } from '../../src/ops/optimized/conv2d-stem.js';
import { STEM_TIGHT_FRAME_BYTES, stemTightSchedule, type StemTightSchedule } from '../../src/ops/stem-in-place.js';
import { rowsRead } from '../../src/ops/conv-rows-in-place.js';
import { inPlaceVariant } from './in-place-variant.js';
import { HOST_DSP_TARGET, evaluateCases, runVariantCasesInC, runVariantCasesOnQemu, values, type VariantCase } from './harness.js';
import { convCaseOfShape, randomConvCase } from './random-cases.js';

const FREE = -1;
const GARBAGE = -2;

/**
 * Replays the tight driver on one buffer of max(input, output) bytes: byte labels are input byte
 * indices (>= 0), output byte indices (encoded as -3 - i), or garbage (the kernel's columns).
 * `S` is the kernel's scratch bytes (on the driver's frame when they fit it). Returns the first
 * violation, or undefined when every read finds its input byte and the buffer
 * ends holding the output in order.
 */
function replay(p: Conv2DQuantParams, s: StemTightSchedule, S = stemScratchBytes(p)): string | undefined {
  const cin = p.inputDepth;
  const n = p.outputDepth;
  const inRow = p.inputWidth * cin;
  const outRow = p.outputWidth * n;
  const size = Math.max(p.inputHeight * inRow, p.outputHeight * outRow);
  const buf = Int32Array.from({ length: size }, (_, i) => (i < p.inputHeight * inRow ? i : FREE));
  const out = (oy: number, ox: number, c: number) => -3 - ((oy * p.outputWidth + ox) * n + c);
  const write = (at: number, label: number): string | undefined => {
    if (at < 0 || at >= size) return `write at ${at} outside the buffer`;
    buf[at] = label;
    return undefined;
  };
  // Pixel (oy, ox) reads every tap inside the image (the rest is the zero point).
  const read = (oy: number, ox: number): string | undefined => {
    for (let fy = 0; fy < p.filterHeight; fy++) {
      for (let fx = 0; fx < p.filterWidth; fx++) {
        const iy = oy * p.strideHeight - p.padHeight + fy;
        const ix = ox * p.strideWidth - p.padWidth + fx;
        if (iy < 0 || iy >= p.inputHeight || ix < 0 || ix >= p.inputWidth) continue;
        for (let c = 0; c < cin; c++) {
          const i = iy * inRow + ix * cin + c;
          if (buf[i] !== i) return `pixel (${oy}, ${ox}) reads input byte ${i}, which holds ${buf[i]}`;
        }
      }
    }
    return undefined;
  };
  for (let oy = 0; oy < p.outputHeight; oy++) {
    const base = oy * outRow;
    if (oy < s.scatterRows) {
      const a = rowsRead(p, oy).lo * inRow;
      const b = a + inRow;
      const nb = n - s.split;
      // Two pixels at a time, both read before either is stored (tinyml_conv2d_s8_stem_dsp_pair).
      for (let ox = 0; ox < p.outputWidth; ox += 2) {
        const pair = [ox, ox + 1].filter((x) => x < p.outputWidth);
        for (const x of pair) {
          const bad = read(oy, x);
          if (bad) return bad;
        }
        for (const x of pair) {
          for (let c = 0; c < n; c++) {
            const e = write(c < s.split ? a + x * s.split + c : b + x * nb + c - s.split, out(oy, x, c));
            if (e) return e;
          }
        }
      }
      // The second row's parts forward to f, then every pixel from the last down through the frame.
      const f = base + outRow;
      for (let i = 0; i < p.outputWidth * nb; i++) {
        const e = write(f + i, buf[b + i]);
        if (e) return e;
      }
      for (let ox = p.outputWidth - 1; ox >= 0; ox--) {
        const px = [...buf.subarray(a + ox * s.split, a + (ox + 1) * s.split), ...buf.subarray(f + ox * nb, f + (ox + 1) * nb)];
        for (let c = 0; c < n; c++) {
          if (px[c] !== out(oy, ox, c)) return `row ${oy} pixel ${ox} channel ${c}: its part was overwritten before the gather`;
          write(base + ox * n + c, px[c]);
        }
      }
    } else if (oy < s.pixelRows) {
      for (let ox = 0; ox < p.outputWidth; ox += 2) {
        const pair = [ox, ox + 1].filter((x) => x < p.outputWidth);
        for (const x of pair) {
          const bad = read(oy, x);
          if (bad) return bad;
        }
        for (const x of pair) for (let c = 0; c < n; c++) write(base + x * n + c, out(oy, x, c));
      }
    } else if (S <= STEM_TIGHT_FRAME_BYTES) {
      // The kernel on every row left in one call, its columns on the frame: pairs of pixels in
      // order across rows (a pair may wrap to the next row), both read before either is stored.
      const first = oy * p.outputWidth;
      const total = p.outputHeight * p.outputWidth;
      for (let i = first; i < total; i += 2) {
        const pair = [i, i + 1].filter((j) => j < total);
        for (const j of pair) {
          const bad = read(Math.floor(j / p.outputWidth), j % p.outputWidth);
          if (bad) return bad;
        }
        for (const j of pair) for (let c = 0; c < n; c++) write(j * n + c, out(Math.floor(j / p.outputWidth), j % p.outputWidth, c));
      }
      break;
    } else {
      // The kernel on one row: its columns first (scratch after the row's output), then per pair
      // of pixels the windows read and the outputs written.
      const cols = Math.ceil((base + outRow) / 8) * 8;
      for (let i = 0; i < S; i++) {
        const e = write(cols + i, GARBAGE);
        if (e) return e;
      }
      for (let ox = 0; ox < p.outputWidth; ox += 2) {
        for (const x of [ox, ox + 1]) {
          if (x >= p.outputWidth) continue;
          const bad = read(oy, x);
          if (bad) return bad;
        }
        for (const x of [ox, ox + 1]) if (x < p.outputWidth) for (let c = 0; c < n; c++) write(base + x * n + c, out(oy, x, c));
      }
    }
  }
  for (let i = 0; i < p.outputHeight * outRow; i++) if (buf[i] !== -3 - i) return `output byte ${i} holds ${buf[i]}`;
  return undefined;
}

// VWW's stem: 96x96x3 -> 48x48x8, 3x3 stride 2 "same" (padding right and bottom only).
const vwwStem = (seed: number, outC = 8, activation: 'RELU6' | 'NONE' = 'RELU6') => convCaseOfShape(seed, { batches: 1, inH: 96, inW: 96, inC: 3, outC, fh: 3, fw: 3, perChannel: true }, { padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation });
// Columns too large for the driver's frame (5x5 on three channels: 454 bytes): each kernel row beside its output.
const wideStem = (seed: number) => convCaseOfShape(seed, { batches: 1, inH: 64, inW: 16, inC: 3, outC: 2, fh: 5, fw: 5, perChannel: true }, { padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'NONE' });
const paramsOf = (c: VariantCase) => c.params as Conv2DQuantParams;

function randomStems(seed: number, n: number): VariantCase[] {
  const out: VariantCase[] = [];
  for (let s = seed; out.length < n && s < seed + 2000; s++) {
    const c = randomConvCase(s, 'stem');
    if (stemOk(paramsOf(c)) && stemTightOk(c.params, c.inputs.map((d, i) => (i > 0 ? d : undefined)))) out.push(c);
  }
  return out;
}

describe('stem in place with no scratch (tight)', () => {
  const vww = paramsOf(vwwStem(1));

  it("VWW's stem: first row scattered (6 + 2 bytes a pixel), rows 1-47 on the kernel in one call with its columns on the frame", () => {
    expect(stemScratchBytes(vww)).toBe(166);
    expect(stemScratchBytes(vww)).toBeLessThanOrEqual(STEM_TIGHT_FRAME_BYTES);
    expect(stemTightSchedule(vww, stemScratchBytes(vww))).toEqual({ scatterRows: 1, pixelRows: 1, split: 6 });
    expect(replay(vww, stemTightSchedule(vww, stemScratchBytes(vww))!)).toBeUndefined();
  });

  it('columns too large for the frame go beside each kernel row: more rows by pixel pair, still clean', () => {
    const s = stemTightSchedule(vww, 200)!;
    expect(s).toEqual({ scatterRows: 1, pixelRows: 4, split: 6 });
    expect(replay(vww, s, 200)).toBeUndefined();
    expect(replay(vww, { ...s, pixelRows: 3 }, 200)).toMatch(/reads input byte/);
  });

  it('the replay catches schedules that break: no scattered row, the kernel from row 0, a wrong split', () => {
    const s = stemTightSchedule(vww, stemScratchBytes(vww))!;
    expect(replay(vww, { ...s, scatterRows: 0 })).toMatch(/reads input byte/);
    expect(replay(vww, { ...s, scatterRows: 0, pixelRows: 0 })).toMatch(/reads input byte|overwritten/);
    expect(replay(vww, { ...s, split: 7 })).toMatch(/reads input byte|overwritten/);
  });

  it('refuses shapes no schedule fits: stride 1, wide outputs, two batches', () => {
    expect(stemTightSchedule({ ...vww, strideHeight: 1, strideWidth: 1, outputHeight: 96, outputWidth: 96 }, 166)).toBeUndefined();
    expect(stemTightSchedule({ ...vww, outputDepth: 24 }, 166)).toBeUndefined(); // output rows wider than two input rows
    expect(stemTightSchedule({ ...vww, batches: 2 }, 166)).toBeUndefined();
  });

  // Unclamped VWW stems (8 and 4 channels) run their pixel pairs on the kernel's pairs routine,
  // the last pair of a row (its window over the edge) gathered on the frame.
  const cases = [vwwStem(2), vwwStem(3, 5), vwwStem(4, 8, 'NONE'), vwwStem(5, 4, 'NONE'), wideStem(6), ...randomStems(41000, 8)];

  it('every schedule it gives, random stems included, replays clean; some scattered, some by pixel pair, some with columns beside', () => {
    expect(cases.length).toBe(13);
    expect(stemScratchBytes(paramsOf(cases[4]))).toBeGreaterThan(STEM_TIGHT_FRAME_BYTES);
    expect(stemTightSchedule(paramsOf(cases[4]), stemScratchBytes(paramsOf(cases[4])))!.pixelRows).toBeGreaterThan(0);
    const schedules = cases.map((c) => stemTightSchedule(paramsOf(c), stemScratchBytes(paramsOf(c)))!);
    expect(schedules.some((s) => s.scatterRows > 0)).toBe(true);
    cases.forEach((c, i) => expect(replay(paramsOf(c), schedules[i]), `case ${i}`).toBeUndefined());
  });

  const variant = inPlaceVariant('CONV_2D', 'stem tight', (p, n, ctx) => conv2dStemDspVariant.emitC(p, n, { ...ctx, target: HOST_DSP_TARGET, tightInPlace: true }), () => 0, cases);

  it('bit-exact in place, no scratch (host, AddressSanitizer, a buffer of exactly the input)', { timeout: 180_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesInC(variant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });

  it('bit-exact in place, no scratch, on an emulated Cortex-M4', { timeout: 180_000 }, async () => {
    const want = evaluateCases(conv2d, cases);
    const got = await runVariantCasesOnQemu(variant, cases);
    cases.forEach((c, i) => expect(values(got[i][0]), `case ${i}`).toEqual(values(want[i][0])));
  });
});
