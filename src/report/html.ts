/**
 * The report page: one self-contained HTML document (inline CSS and SVG; no script, font, image
 * or stylesheet is loaded from anywhere), so it opens from disk, offline, in any browser and can
 * be attached to a CI run as is.
 */
import type { Graph } from '../ir/types.js';
import type { MemoryPlan } from '../plan/memory-plan.js';
import type { ProfileReport } from '../profile/profile.js';
import type { QuantizationReport } from '../quantize/index.js';
import { latencyPlot, memoryPlot, sizesPlot, sqnrPlot, weightPlot, type MemorySizes } from './plots.js';
import { esc, fmtBytes, fmtNum } from './svg.js';
import type { LayerWeights } from './weights.js';

export interface ReportData {
  model: string;
  board: string;
  /** tinyml's version, printed in the footer. */
  version: string;
  /** Per-layer time; absent for --board host. */
  profile?: ProfileReport;
  /** The graph that runs (quantized when the report quantized the model) and its memory plan. */
  graph: Graph;
  plan: MemoryPlan;
  weights: LayerWeights[];
  /** The quantizer's report when the report quantized a float model with calibration data. */
  quantization?: QuantizationReport;
  sizes: MemorySizes;
  /** Why a section is missing or what it approximates, by section id. */
  notes?: Partial<Record<'latency' | 'memory' | 'weights' | 'sqnr' | 'sizes', string>>;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:900px;padding:16px 24px;color:#222;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #ddd}
p.note{color:#555;font-style:italic}p.what{color:#333;margin:4px 0 8px}
svg.plot{display:block;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#333}svg text.axis-title{font-weight:600}
svg line.axis{stroke:#333;stroke-width:1}svg line.grid{stroke:#e4e4e4;stroke-width:1}svg line.alone{stroke:#222;stroke-width:2}
svg rect.buf{stroke:#fff;stroke-width:.5}svg rect.capacity{stroke:#bbb}
.hists{display:flex;flex-wrap:wrap;gap:10px}.hist{border:1px solid #eee;padding:4px}.hist{width:312px}.hist h3{font-size:12px;margin:2px 4px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.hist p{font-size:11px;margin:0 4px;color:#555}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 10px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
footer{margin-top:32px;color:#777;font-size:12px}
`;

function section(id: string, title: string, what: string, body: string, note?: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2><p class="what">${esc(what)}</p>${note ? `<p class="note">${esc(note)}</p>` : ''}${body}</section>`;
}

function summaryTable(d: ReportData): string {
  const rows: Array<[string, string]> = [
    ['model', d.model],
    ['board', d.board],
    ['layers', String(d.graph.ops.length)],
    ['arena', `${fmtNum(d.plan.arenaBytes)} bytes (lower bound ${fmtNum(d.plan.lowerBound)})`],
    ['constants in flash', `${fmtNum(d.sizes.constantBytes)} bytes`],
  ];
  if (d.profile) rows.push(['inference', `${fmtNum(d.profile.totalUnits)} ${d.profile.unit} (${d.profile.totalMs.toFixed(3)} ms at ${fmtNum(d.profile.clockHz / 1e6)} MHz)`]);
  if (d.sizes.sections) rows.push(['flash / RAM used', `${fmtBytes(totalOf(d, 'flash'))} / ${fmtBytes(totalOf(d, 'ram'))}`]);
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function totalOf(d: ReportData, region: 'flash' | 'ram'): number {
  const s = d.sizes.sections!;
  const other = Object.values(s.other)
    .filter((o) => o.region === region)
    .reduce((a, o) => a + o.size, 0);
  return region === 'flash' ? s.text + s.rodata + s.data + other : s.data + s.bss + s.stack + other;
}

function weightsBody(layers: LayerWeights[]): string {
  if (layers.length === 0) return '';
  const key = layers.some((l) => l.after)
    ? '<p class="key"><span style="background:#4477aa"></span>float weights<span style="background:#ee6677"></span>int8 weights, dequantized (same bins)</p>'
    : '';
  const cards = layers.map(
    (l) =>
      `<div class="hist" data-layer="${l.index}"><h3 title="${esc(l.tensor)}">#${l.index} ${esc(l.op)} · ${esc(l.tensor)}</h3><p>[${l.shape.join('x')}], ${l.kind === 'int8' ? 'int8 codes' : 'float'}${l.scales ? `, ${l.scales === 1 ? 'one scale' : `${l.scales} channel scales`}` : ''}</p>${weightPlot(l)}</div>`,
  );
  return `${key}<div class="hists">${cards.join('')}</div>`;
}

/** The whole page. Deterministic: the same data gives the same bytes. */
export function renderReportHtml(d: ReportData): string {
  const n = d.notes ?? {};
  const parts = [
    section(
      'latency',
      'Per-layer latency',
      d.profile
        ? `Time of each layer in one inference on ${d.board}, in ${d.profile.unit}, from the firmware's per-layer timer hooks (as tinyml profile measures it); the label is each layer's share of the whole inference.`
        : 'Time of each layer on the target.',
      d.profile ? latencyPlot(d.profile) : '',
      n.latency ?? (d.profile ? undefined : 'No latency: the report ran without a board (--board host).'),
    ),
    section(
      'memory',
      'Memory plan: live tensors in the arena',
      `One rectangle per buffer of the ${fmtNum(d.plan.arenaBytes)}-byte arena: across, the ops it is alive for (from the op that writes it to the last that reads it; "in" and "out" are the graph's inputs and outputs); down, the bytes it occupies. Grey rectangles are kernel scratch. Rectangles at the same height never overlap in time: that is how tensors share the arena.`,
      memoryPlot(d.graph, d.plan),
      n.memory,
    ),
    section(
      'weights',
      'Weight histograms',
      d.weights.some((l) => l.after)
        ? 'Each layer\'s weights before quantization (float) and after (the int8 weights times their scales), binned over the float range.'
        : d.weights.some((l) => l.kind === 'int8')
          ? 'Each layer\'s int8 weight codes, 8 codes per bin from -128 to 127.'
          : 'Each layer\'s float weights.',
      weightsBody(d.weights),
      n.weights ?? (d.weights.length === 0 ? 'This model has no layers with weights.' : undefined),
    ),
    section(
      'sqnr',
      'Per-layer SQNR',
      'Signal-to-quantization-noise ratio of each layer\'s output, float against int8 on the calibration samples: the bar end to end (errors accumulated from the input), the black tick for the layer alone (fed the float model\'s values). Higher is better; each 6 dB is about one bit.',
      d.quantization ? sqnrPlot(d.quantization) : '',
      n.sqnr ?? (d.quantization ? undefined : 'No SQNR: it compares a float model with its quantized form, so it needs a float model and --calib data.'),
    ),
    section(
      'sizes',
      'Flash and RAM',
      d.sizes.sections
        ? 'Flash: code, the model\'s weights and constants, other read-only data and the initial values of .data; RAM: the arena, other .bss, .data and the stack reserve, as the linked firmware\'s sections give them, with the share of the board\'s capacity as a thin gauge underneath.'
        : 'The model\'s constants (flash) and arena (RAM).',
      sizesPlot(d.sizes),
      n.sizes ?? (d.sizes.sections ? undefined : 'Only the model\'s own bytes: code, stack and the rest of the firmware need a board build.'),
    ),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tinyml report: ${esc(d.model)} on ${esc(d.board)}</title><style>${CSS}</style></head>
<body><h1>tinyml report: ${esc(d.model)} on ${esc(d.board)}</h1>${summaryTable(d)}
${parts.join('\n')}
<footer>tinyml ${esc(d.version)}. Hover over a bar or rectangle for its exact figure.</footer>
</body></html>
`;
}
