/**
 * The few SVG and HTML building blocks the report's plots share. Everything is a string: the page
 * must open from a file with no network, so nothing is fetched, scripted or loaded at view time.
 */

/** Text safe inside an element or a double-quoted attribute. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number with thousands separators (integers) or 3 significant digits (fractions). */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '-∞' : 'NaN';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

/** Bytes as B / KiB / MiB. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}

/** Rounds coordinates so the markup stays small and deterministic. */
export const r2 = (x: number): string => String(Math.round(x * 100) / 100);

/** One categorical colour per index (distinct in print and for common colour blindness). */
const PALETTE = ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee', '#aa3377', '#bbbbbb', '#332288'];
export const colour = (i: number): string => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];

export interface RectSpec {
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
  /** Class the tests and the stylesheet select on. */
  cls: string;
  /** Tooltip (an SVG <title> child). */
  title: string;
}

export function rect(s: RectSpec): string {
  return `<rect class="${s.cls}" x="${r2(s.x)}" y="${r2(s.y)}" width="${r2(Math.max(0, s.w))}" height="${r2(Math.max(0, s.h))}" fill="${s.fill}"><title>${esc(s.title)}</title></rect>`;
}

export function text(x: number, y: number, body: string, attrs = ''): string {
  return `<text x="${r2(x)}" y="${r2(y)}"${attrs ? ` ${attrs}` : ''}>${esc(body)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, cls = 'axis'): string {
  return `<line class="${cls}" x1="${r2(x1)}" y1="${r2(y1)}" x2="${r2(x2)}" y2="${r2(y2)}"/>`;
}

/** An <svg> element for plot `name` (data-plot names it for readers and tests). */
export function svg(name: string, width: number, height: number, label: string, body: string[]): string {
  return `<svg class="plot" data-plot="${esc(name)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${r2(width)} ${r2(height)}" width="${r2(width)}" height="${r2(height)}" role="img" aria-label="${esc(label)}">${body.join('')}</svg>`;
}

/** Evenly spaced "nice" ticks (1, 2, 5 × 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.round(t / step) * step);
  return ticks;
}
