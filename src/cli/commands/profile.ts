/**
 * `tinyml profile MODEL --board B [--out DIR] [--optimize speed|size] [--os] [--force] [--port P] [--flash-port P] [--no-flash]
 *   [--seed N] [--json]`:
 * builds the firmware with per-layer timing hooks, runs one inference on the target with the
 * PROFILE command, and reports each layer's time (in the board's unit and ms), its share of the
 * inference, its MACs and units per MAC, as a table with a bar chart; plus the sum of the layers
 * against an INVOKE timing of the same firmware.
 */
import { build } from '../../api/build.js';
import { startSession } from '../../api/session.js';
import { sessionOptionsFromCli, targetDescription, type BoardLinkFlags } from '../../deploy/target-session.js';
import { bar, type ProfileReport } from '../../profile/profile.js';
import type { CliIO } from '../io.js';
import { buildOptionsFromCli } from './build.js';
import { num, renderTable, shapeText } from '../../text/table.js';

export interface ProfileCommandOptions extends BoardLinkFlags {
  board: string;
  /** Firmware project directory (default tinyml-out/<model>-<board>). */
  out?: string;
  /** 'speed' (default) or 'size' (see build --optimize). */
  optimize?: string;
  /** Optimize for size (-Os and the smallest kernel layouts) instead of speed (-O2). */
  os?: boolean;
  force?: boolean;
  /** Seed of the random input (default 1). */
  seed?: string | number;
  json?: boolean;
  /** Width of the bar chart in terminal cells (default 30). */
  barWidth?: number;
}

function ratio(x: number | null): string {
  if (x === null) return '-';
  return x >= 100 ? num(x) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function ms(x: number): string {
  return x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(3) : x.toFixed(4);
}

/** The text report: per-layer table with a bar chart of each layer's share, then totals. */
export function renderProfile(r: ProfileReport, barWidth = 30): string {
  const max = Math.max(...r.layers.map((l) => l.share), 0);
  const unitShort = r.unit === 'instructions' ? 'instr' : r.unit;
  const rows = r.layers.map((l) => [
    String(l.index),
    l.op,
    shapeText(l.output.shape),
    num(l.units),
    ms(l.ms),
    `${(l.share * 100).toFixed(1)}%`,
    l.macs > 0 ? num(l.macs) : '-',
    ratio(l.unitsPerMac),
    bar(max > 0 ? l.share / max : 0, barWidth),
  ]);
  const table = renderTable(
    [
      { header: '#', align: 'right' },
      { header: 'op' },
      { header: 'output' },
      { header: r.unit, align: 'right' },
      { header: 'ms', align: 'right' },
      { header: 'share', align: 'right' },
      { header: 'MACs', align: 'right' },
      { header: `${unitShort}/MAC`, align: 'right' },
      { header: 'time' },
    ],
    rows,
  );
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `${r.model} on ${r.board} (${r.core}): per-layer time of one inference, in ${r.unit} (ms at ${num(r.clockHz / 1e6)} MHz${r.unit === 'instructions' ? ', one instruction per cycle' : ''})`,
    '',
    table,
    '',
    `layers            ${num(r.layerSumUnits)} ${r.unit}  ${ms((r.layerSumUnits / r.clockHz) * 1000)} ms`,
    `whole inference   ${num(r.totalUnits)} ${r.unit}  ${ms(r.totalMs)} ms  (profiled call; hooks and call overhead ${num(r.overheadUnits)})`,
    `INVOKE            ${num(r.invokeUnits)} ${r.unit}  (same firmware, median of ${r.invokeRuns}); layers add up to ${pct(r.layerSumVsInvoke)} of it`,
    `MACs              ${num(r.totalMacs)}${r.unitsPerMac !== null ? `  (${ratio(r.unitsPerMac)} ${r.unit} per MAC)` : ''}`,
  ];
  return lines.join('\n');
}

export async function profileCommand(modelPath: string, opts: ProfileCommandOptions, io: CliIO): Promise<ProfileReport> {
  const seed = opts.seed === undefined ? 1 : Number(opts.seed);
  const out = await build(modelPath, { ...buildOptionsFromCli(opts), profile: true });
  const { build: b, compiled, board } = out.firmware;
  if (!opts.json) io.err(`built ${b.elf} with per-layer timing; starting ${targetDescription(board, opts.port)}`);
  // startSession checks that the device runs the model just built.
  const session = await startSession(out, sessionOptionsFromCli(opts, opts.json ? undefined : (l) => io.err(l)));
  let report: ProfileReport;
  try {
    report = await session.profile({ seed: Number.isFinite(seed) ? seed : 1 });
  } finally {
    await session.close();
  }
  if (opts.json) io.out(JSON.stringify({ ...report, optimize: compiled.optimize, opt: b.opt, elf: b.elf }, null, 2));
  else io.out(renderProfile(report, opts.barWidth));
  return report;
}
