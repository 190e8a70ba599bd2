/**
 * `tinyml tradeoff --html`: one self-contained page (inline SVG and CSS, no script, nothing
 * fetched) with accuracy against parameter bytes and, with a board, against latency; the Pareto
 * front is drawn as a line through its points.
 */
import { colour, esc, fmtBytes, fmtNum, line, niceTicks, r2, svg, text } from '../report/svg.js';
import type { TradeoffResult, TradeoffRow } from './result.js';

const W = 560;
const H = 340;
const M = { left: 64, right: 24, top: 20, bottom: 48 };

function scatter(name: string, r: TradeoffResult, xOf: (row: TradeoffRow) => number, xTitle: string, xFmt: (v: number) => string): string {
  const rows = r.rows;
  const xs = rows.map(xOf);
  const ys = rows.map((row) => row.accuracy * 100);
  const pad = (lo: number, hi: number): [number, number] => (hi > lo ? [lo - (hi - lo) * 0.08, hi + (hi - lo) * 0.08] : [lo - 1, hi + 1]);
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const px = (v: number): number => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (v: number): number => H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const body: string[] = [];
  for (const t of niceTicks(x0, x1, 5)) body.push(line(px(t), M.top, px(t), H - M.bottom, 'grid'), text(px(t), H - M.bottom + 16, xFmt(t), 'class="tick" text-anchor="middle"'));
  for (const t of niceTicks(y0, y1, 5)) body.push(line(M.left, py(t), W - M.right, py(t), 'grid'), text(M.left - 6, py(t) + 4, `${fmtNum(t)}%`, 'class="tick" text-anchor="end"'));
  body.push(line(M.left, H - M.bottom, W - M.right, H - M.bottom), line(M.left, M.top, M.left, H - M.bottom));
  // The front, left to right.
  const front = rows.filter((row) => r.front.includes(row.name)).sort((a, b) => xOf(a) - xOf(b));
  if (front.length > 1) body.push(`<polyline class="front" fill="none" stroke="${colour(1)}" stroke-width="1.5" points="${front.map((row) => `${r2(px(xOf(row)))},${r2(py(row.accuracy * 100))}`).join(' ')}"/>`);
  rows.forEach((row) => {
    const on = r.front.includes(row.name);
    const [x, y] = [px(xOf(row)), py(row.accuracy * 100)];
    body.push(
      `<circle class="point${on ? ' on-front' : ''}" data-config="${esc(row.name)}" cx="${r2(x)}" cy="${r2(y)}" r="${on ? 5 : 4}" fill="${on ? colour(1) : colour(0)}"><title>${esc(`${row.name}: ${(row.accuracy * 100).toFixed(2)}% top-1, ${xFmt(xOf(row))}`)}</title></circle>`,
      text(x + 7, y - 6, row.name, 'class="label"'),
    );
  });
  body.push(text(M.left + (W - M.left - M.right) / 2, H - 8, xTitle, 'class="axis-title" text-anchor="middle"'));
  body.push(text(14, M.top + (H - M.top - M.bottom) / 2, 'top-1', `class="axis-title" text-anchor="middle" transform="rotate(-90 14 ${r2(M.top + (H - M.top - M.bottom) / 2)})"`));
  return svg(name, W, H, `top-1 accuracy against ${xTitle}`, body);
}

export function renderTradeoffHtml(r: TradeoffResult): string {
  const withLatency = r.board !== undefined && r.rows.every((row) => row.latency !== undefined);
  const unit = r.rows.find((row) => row.latencyUnit)?.latencyUnit ?? 'instructions';
  const plots = [scatter('accuracy-bytes', r, (row) => row.parameterBytes, 'parameter bytes', (v) => fmtBytes(Math.round(v)))];
  if (withLatency) plots.push(scatter('accuracy-latency', r, (row) => row.latency!, `${unit} per inference on ${r.board}`, (v) => fmtNum(Math.round(v))));
  const head = ['config', 'top-1', 'parameter bytes', ...(withLatency ? [unit, 'flash', 'arena'] : []), 'Pareto front', 'what'];
  const cells = (row: TradeoffRow): string[] => [
    row.name,
    `${(row.accuracy * 100).toFixed(2)}%`,
    row.parameterBytes.toLocaleString('en-US'),
    ...(withLatency ? [row.latency!.toLocaleString('en-US'), row.flashBytes?.toLocaleString('en-US') ?? '-', row.arenaBytes?.toLocaleString('en-US') ?? '-'] : []),
    r.front.includes(row.name) ? 'yes' : '',
    row.label,
  ];
  const table = `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${r.rows.map((row) => `<tr data-config="${esc(row.name)}">${cells(row).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`tinyml tradeoff: ${r.model}`)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 16px 0; } th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, th:last-child, td:last-child { text-align: left; }
svg.plot { display: block; margin: 12px 0; } .grid { stroke: #eee; } .axis { stroke: #888; }
.tick, .label { font-size: 11px; fill: #444; } .axis-title { font-size: 12px; fill: #222; }
</style></head><body>
<h1>${esc(r.model)}: accuracy, size${withLatency ? ' and latency' : ''}</h1>
<p>Top-1 on ${r.samples.toLocaleString('en-US')} labelled samples with the integer arithmetic the board runs${withLatency ? `; latency, flash and arena measured on ${esc(r.board!)}` : ''}. Highlighted points are on the Pareto front (no other configuration is at least as accurate, as small${withLatency ? ' and as fast' : ''}).</p>
${plots.join('\n')}
${table}
</body></html>
`;
}
