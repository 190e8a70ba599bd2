/** What `tinyml tradeoff` measured, and its text table. */
import { paretoFront, type TradeoffPoint } from './pareto.js';

export interface TradeoffRow extends TradeoffPoint {
  label: string;
  /** The board's unit for `latency` ('instructions' under QEMU, 'cycles' on hardware). */
  latencyUnit?: string;
  /** Whole firmware flash (text + data) on the board. */
  flashBytes?: number;
  /** The arena the board's memory plan needs. */
  arenaBytes?: number;
  /** Wall time to make and measure this configuration. */
  seconds: number;
}

export interface TradeoffResult {
  model: string;
  /** Labelled samples each accuracy is measured on. */
  samples: number;
  board?: string;
  rows: TradeoffRow[];
  /** Names of the rows on the Pareto front. */
  front: string[];
}

export function tradeoffResult(model: string, samples: number, board: string | undefined, rows: TradeoffRow[]): TradeoffResult {
  return { model, samples, ...(board ? { board } : {}), rows, front: paretoFront(rows) };
}

const n = (x: number): string => x.toLocaleString('en-US');

export function formatTradeoffTable(r: TradeoffResult): string {
  const head = ['config', 'top-1', 'param bytes', 'vs int8', ...(r.board ? ['latency', 'flash', 'arena'] : []), 'front', 'what'];
  const int8 = r.rows.find((x) => x.name === 'int8');
  const rows = r.rows.map((x) => [
    x.name,
    `${(x.accuracy * 100).toFixed(2)}%`,
    n(x.parameterBytes),
    int8 ? `${(x.parameterBytes / int8.parameterBytes).toFixed(3)}x` : '-',
    ...(r.board ? [x.latency === undefined ? '-' : `${n(x.latency)} ${x.latencyUnit ?? ''}`.trim(), x.flashBytes === undefined ? '-' : n(x.flashBytes), x.arenaBytes === undefined ? '-' : n(x.arenaBytes)] : []),
    r.front.includes(x.name) ? '*' : '',
    x.label,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const right = new Set([1, 2, 3, 4, 5, 6].filter((c) => c < head.length - 2));
  const line = (cells: string[]): string => cells.map((s, c) => (right.has(c) ? s.padStart(widths[c]) : s.padEnd(widths[c]))).join('  ').trimEnd();
  return [
    `${r.model}: top-1 on ${n(r.samples)} samples (host reference interpreter, integer arithmetic as deployed)${r.board ? `; latency, flash and arena on ${r.board}` : ''}`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `* on the Pareto front of accuracy vs parameter bytes${r.board ? ' vs latency' : ''}: ${r.front.join(', ')}`,
  ].join('\n');
}
