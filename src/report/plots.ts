/**
 * The report's plots, each a pure function from the data tinyml already computes (the profile,
 * the memory plan, the weights, the quantization report, the ELF's section sizes) to one inline
 * SVG. Every mark is a <rect> with a class naming what it shows and a <title> tooltip with the
 * exact figure, so the page reads without a script and a test can count the marks.
 */
import type { SectionSizes } from '../build/compile.js';
import type { Graph } from '../ir/types.js';
import type { MemoryPlan } from '../plan/memory-plan.js';
import type { ProfileReport } from '../profile/profile.js';
import type { QuantizationReport } from '../quantize/index.js';
import { colour, esc, fmtBytes, fmtNum, line, niceTicks, rect, svg, text } from './svg.js';
import type { LayerWeights } from './weights.js';

const LABEL_W = 230;
const PLOT_W = 520;
const ROW_H = 18;

/** Horizontal bars: one row per layer, its time in the board's unit. */
export function latencyPlot(p: ProfileReport): string {
  const max = Math.max(1, ...p.layers.map((l) => l.units));
  const top = 24;
  const h = top + p.layers.length * ROW_H + 30;
  const body: string[] = [];
  const scale = PLOT_W / max;
  for (const t of niceTicks(0, max, 5)) {
    const x = LABEL_W + t * scale;
    body.push(line(x, top - 4, x, top + p.layers.length * ROW_H, 'grid'), text(x, h - 12, fmtNum(t), 'class="tick" text-anchor="middle"'));
  }
  p.layers.forEach((l, i) => {
    const y = top + i * ROW_H;
    const kind = l.op.replace(/_2D$/, '').toLowerCase();
    body.push(
      text(LABEL_W - 6, y + 13, `#${l.index} ${l.op}`, 'class="label" text-anchor="end"'),
      rect({
        cls: 'bar latency',
        x: LABEL_W,
        y: y + 2,
        w: l.units * scale,
        h: ROW_H - 4,
        fill: colour(opColour(kind)),
        title: `#${l.index} ${l.op} → ${l.output.name} [${l.output.shape.join('x')}]: ${fmtNum(l.units)} ${p.unit}, ${l.ms.toFixed(3)} ms, ${(l.share * 100).toFixed(1)}% of the inference, ${fmtNum(l.macs)} MACs${l.unitsPerMac !== null ? `, ${l.unitsPerMac.toFixed(2)} ${p.unit}/MAC` : ''}`,
      }),
      text(LABEL_W + l.units * scale + 4, y + 13, `${(l.share * 100).toFixed(1)}%`, 'class="value"'),
    );
  });
  body.push(text(LABEL_W + PLOT_W / 2, h - 1, p.unit, 'class="axis-title" text-anchor="middle"'));
  return svg('latency', LABEL_W + PLOT_W + 60, h, `per-layer time in ${p.unit}`, body);
}

/** Same op family, same colour across plots. */
function opColour(kind: string): number {
  const order = ['conv', 'depthwise_conv', 'fully_connected', 'average_pool', 'max_pool', 'add', 'softmax', 'reshape'];
  const k = order.indexOf(kind);
  return k >= 0 ? k : 6;
}

/**
 * The memory plan as a timeline: x is the op index (the graph inputs are written before op 0, the
 * outputs read after the last op), y the arena offset; one rectangle per buffer spans the ops it
 * is alive for and the bytes it occupies, so stacked rectangles are what shares the arena.
 */
export function memoryPlot(graph: Graph, plan: MemoryPlan): string {
  const nOps = graph.ops.length;
  const left = 80;
  const top = 10;
  const width = 680;
  const height = 320;
  const cols = nOps + 2; // -1 .. nOps
  const colW = width / cols;
  const arena = Math.max(1, plan.arenaBytes);
  const yScale = height / arena;
  const body: string[] = [];
  for (const t of niceTicks(0, arena, 5)) {
    const y = top + t * yScale;
    body.push(line(left, y, left + width, y, 'grid'), text(left - 6, y + 4, fmtBytes(t), 'class="tick" text-anchor="end"'));
  }
  const step = Math.max(1, Math.ceil(cols / 20));
  for (let k = -1; k <= nOps; k += step) {
    body.push(text(left + (k + 1.5) * colW, top + height + 16, k < 0 ? 'in' : k === nOps ? 'out' : String(k), 'class="tick" text-anchor="middle"'));
  }
  plan.buffers.forEach((b, i) => {
    const names = b.scratchOf !== undefined ? `scratch of op #${b.scratchOf} (${graph.ops[b.scratchOf].type})` : b.tensors.map((t) => graph.tensors[t].name).join(' = ');
    const span = `${b.firstUse < 0 ? 'input' : `op ${b.firstUse}`} .. ${b.lastUse >= nOps ? 'output' : `op ${b.lastUse}`}`;
    body.push(
      rect({
        cls: b.scratchOf !== undefined ? 'buf scratch' : 'buf tensor',
        x: left + (b.firstUse + 1) * colW + 1,
        y: top + b.offset * yScale,
        w: (b.lastUse - b.firstUse + 1) * colW - 2,
        h: Math.max(1, b.size * yScale),
        fill: b.scratchOf !== undefined ? '#999999' : colour(i),
        title: `${names}: ${fmtNum(b.size)} bytes at offset ${fmtNum(b.offset)}, alive ${span}`,
      }),
    );
  });
  body.push(line(left, top, left, top + height), line(left, top + height, left + width, top + height));
  body.push(text(left + width / 2, top + height + 34, 'op index', 'class="axis-title" text-anchor="middle"'));
  return svg('memory', left + width + 20, top + height + 42, `arena timeline: ${plan.buffers.length} buffers in ${plan.arenaBytes} bytes`, body);
}

/**
 * One layer's weight histogram: bars of the float (or int8) weights and, when the model was
 * quantized for the report, narrower bars of the dequantized int8 weights in the same bins.
 */
export function weightPlot(l: LayerWeights): string {
  const w = 300;
  const h = 110;
  const top = 6;
  const left = 6;
  const bins = l.before.counts.length;
  const binW = w / bins;
  const max = Math.max(1, ...l.before.counts, ...(l.after?.counts ?? []));
  const body: string[] = [];
  const edge = (k: number): number => l.before.lo + ((l.before.hi - l.before.lo) * k) / bins;
  const unit = l.kind === 'int8' ? 'int8 codes' : 'values';
  l.before.counts.forEach((c, k) => {
    const bh = (c / max) * h;
    body.push(rect({ cls: 'bar hist-before', x: left + k * binW, y: top + h - bh, w: binW - 0.5, h: bh, fill: l.kind === 'int8' ? '#228833' : '#4477aa', title: `${l.kind === 'int8' ? 'int8' : 'float'} ${unit} in [${fmtNum(edge(k))}, ${fmtNum(edge(k + 1))}): ${c}` }));
  });
  l.after?.counts.forEach((c, k) => {
    const bh = (c / max) * h;
    body.push(rect({ cls: 'bar hist-after', x: left + k * binW + binW * 0.25, y: top + h - bh, w: binW * 0.5, h: bh, fill: '#ee6677', title: `dequantized int8 values in [${fmtNum(edge(k))}, ${fmtNum(edge(k + 1))}): ${c}` }));
  });
  body.push(line(left, top + h, left + w, top + h));
  body.push(text(left, top + h + 14, fmtNum(l.before.lo), 'class="tick"'), text(left + w, top + h + 14, fmtNum(l.kind === 'int8' ? l.before.hi - 1 : l.before.hi), 'class="tick" text-anchor="end"'));
  return svg('weights', w + 2 * left, h + top + 20, `weight histogram of layer ${l.index} (${l.tensor})`, body);
}

/** Per-layer SQNR in dB: a bar end to end, a tick for the layer alone. Exact layers are drawn at the top and labelled. */
export function sqnrPlot(q: QuantizationReport): string {
  const layers = q.layers.filter((l) => l.sqnrDb !== undefined);
  const finite = layers.flatMap((l) => [l.sqnrDb!, l.isolatedSqnrDb ?? NaN]).filter((v) => Number.isFinite(v));
  const max = Math.max(10, ...finite.map((v) => v + 5));
  const top = 24;
  const h = top + layers.length * ROW_H + 30;
  const scale = PLOT_W / max;
  const clamp = (v: number): number => (Number.isFinite(v) ? Math.max(0, v) : v > 0 ? max : 0);
  const body: string[] = [];
  for (const t of niceTicks(0, max, 5)) {
    const x = LABEL_W + t * scale;
    body.push(line(x, top - 4, x, top + layers.length * ROW_H, 'grid'), text(x, h - 12, fmtNum(t), 'class="tick" text-anchor="middle"'));
  }
  layers.forEach((l, i) => {
    const y = top + i * ROW_H;
    const v = l.sqnrDb!;
    body.push(
      text(LABEL_W - 6, y + 13, `#${l.index} ${l.type}`, 'class="label" text-anchor="end"'),
      rect({ cls: 'bar sqnr', x: LABEL_W, y: y + 2, w: clamp(v) * scale, h: ROW_H - 4, fill: colour(0), title: `#${l.index} ${l.type} → ${l.output}: ${Number.isFinite(v) ? `${v.toFixed(1)} dB` : 'exact'} end to end${l.isolatedSqnrDb !== undefined ? `, ${Number.isFinite(l.isolatedSqnrDb) ? `${l.isolatedSqnrDb.toFixed(1)} dB` : 'exact'} alone` : ''}` }),
      text(LABEL_W + clamp(v) * scale + 4, y + 13, Number.isFinite(v) ? `${v.toFixed(1)} dB` : 'exact', 'class="value"'),
    );
    if (l.isolatedSqnrDb !== undefined) {
      const x = LABEL_W + clamp(l.isolatedSqnrDb) * scale;
      body.push(line(x, y, x, y + ROW_H, 'alone'));
    }
  });
  body.push(text(LABEL_W + PLOT_W / 2, h - 1, 'SQNR (dB)', 'class="axis-title" text-anchor="middle"'));
  return svg('sqnr', LABEL_W + PLOT_W + 70, h, 'per-layer SQNR in dB', body);
}

/** What the report knows about flash and RAM: the ELF's sections on a board, the plan alone on the host. */
export interface MemorySizes {
  /** From the ELF (`size -A`); absent for --board host. */
  sections?: SectionSizes;
  flashSize?: number;
  ramSize?: number;
  /** Bytes of the model's constants in flash (weights, biases, requantization tables). */
  constantBytes: number;
  arenaBytes: number;
}

export interface Segment {
  region: 'flash' | 'ram';
  label: string;
  bytes: number;
}

/**
 * The flash and RAM breakdown: flash is code (.text), the model's constants (inside .rodata),
 * the rest of .rodata, .data's initial values and other flash sections; RAM is the arena (inside
 * .bss), the rest of .bss, .data, the stack reserve and other RAM sections. Without an ELF only
 * the constants and the arena are known. Empty segments are left out.
 */
export function sizeSegments(s: MemorySizes): Segment[] {
  const segs: Segment[] = [];
  const sec = s.sections;
  if (!sec) {
    segs.push({ region: 'flash', label: 'weights and constants', bytes: s.constantBytes }, { region: 'ram', label: 'arena', bytes: s.arenaBytes });
  } else {
    const weights = Math.min(s.constantBytes, sec.rodata);
    const arena = Math.min(s.arenaBytes, sec.bss);
    const other = Object.entries(sec.other);
    segs.push(
      { region: 'flash', label: 'code (.text)', bytes: sec.text },
      { region: 'flash', label: 'weights and constants (.rodata)', bytes: weights },
      { region: 'flash', label: 'other .rodata', bytes: sec.rodata - weights },
      { region: 'flash', label: '.data initial values', bytes: sec.data },
      ...other.filter(([, o]) => o.region === 'flash').map(([name, o]) => ({ region: 'flash' as const, label: name, bytes: o.size })),
      { region: 'ram', label: 'arena (.bss)', bytes: arena },
      { region: 'ram', label: 'other .bss', bytes: sec.bss - arena },
      { region: 'ram', label: '.data', bytes: sec.data },
      { region: 'ram', label: 'stack', bytes: sec.stack },
      ...other.filter(([, o]) => o.region === 'ram').map(([name, o]) => ({ region: 'ram' as const, label: name, bytes: o.size })),
    );
  }
  return segs.filter((g) => g.bytes > 0);
}

/**
 * Two stacked bars (flash, RAM), each the full width of what is used, so small segments stay
 * visible on a board with megabytes to spare; the board's capacity is a thin gauge underneath and
 * the percentage in the label.
 */
export function sizesPlot(s: MemorySizes): string {
  const segs = sizeSegments(s);
  const left = 60;
  const w = 680;
  const barH = 30;
  const body: string[] = [];
  const regions: Array<{ region: 'flash' | 'ram'; capacity?: number }> = [
    { region: 'flash', capacity: s.flashSize },
    { region: 'ram', capacity: s.ramSize },
  ];
  let y = 20;
  for (const { region, capacity } of regions) {
    const mine = segs.filter((g) => g.region === region);
    const used = mine.reduce((a, g) => a + g.bytes, 0);
    const scale = w / Math.max(1, used);
    const name = region === 'flash' ? 'flash' : 'RAM';
    body.push(text(left - 8, y + barH / 2 + 4, name, 'class="label" text-anchor="end"'));
    let x = left;
    mine.forEach((g, i) => {
      body.push(rect({ cls: `seg ${region}`, x, y, w: g.bytes * scale, h: barH, fill: colour(i), title: `${g.label}: ${fmtNum(g.bytes)} bytes (${fmtBytes(g.bytes)}, ${((g.bytes / Math.max(1, used)) * 100).toFixed(1)}% of the ${name} used)` }));
      x += g.bytes * scale;
    });
    let below = y + barH;
    if (capacity !== undefined && capacity > 0) {
      body.push(
        rect({ cls: 'capacity', x: left, y: below + 3, w, h: 5, fill: '#eeeeee', title: `the board's ${name}: ${fmtNum(capacity)} bytes` }),
        rect({ cls: 'capacity-used', x: left, y: below + 3, w: Math.min(1, used / capacity) * w, h: 5, fill: '#555555', title: `${fmtNum(used)} of ${fmtNum(capacity)} bytes used` }),
      );
      below += 8;
    }
    const legend = mine.map((g, i) => `<tspan fill="${colour(i)}">■</tspan> ${esc(g.label)} ${esc(fmtBytes(g.bytes))}`).join('   ');
    body.push(`<text class="legend" x="${left}" y="${below + 15}">${legend}</text>`);
    body.push(text(left + w, y - 4, `${fmtBytes(used)}${capacity !== undefined ? ` of ${fmtBytes(capacity)} (${((used / capacity) * 100).toFixed(1)}%)` : ''}`, 'class="value" text-anchor="end"'));
    y = below + 44;
  }
  return svg('sizes', left + w + 20, y - 14, 'flash and RAM breakdown', body);
}
