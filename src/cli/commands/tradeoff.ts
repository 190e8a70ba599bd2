/**
 * `tinyml tradeoff MODEL --calib C --data D [--labels L] [--board B] [--configs a,b] [--limit N]
 * [--html F] [--json]`: makes each configuration with `tinyml quantize`'s own code (so the table
 * shows what those commands write), measures top-1 on the host reference interpreter (the
 * integer arithmetic the board runs), parameter bytes, and with `--board` latency, flash and arena
 * on the target, then prints the table and the Pareto front; `--html` writes a page with the plots.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { summarizeModel } from '../../analysis/summary.js';
import { evaluate } from '../../api/evaluate.js';
import { loadModel } from '../../api/model.js';
import { deploy } from '../../api/session.js';
import { parsePreprocessOptions } from '../../data/preprocess.js';
import { InputError } from '../../errors.js';
import { checkOutputFiles, writeOutputFile } from '../../io/output-file.js';
import { DEFAULT_TRADEOFF_CONFIGS, selectConfigs, TRADEOFF_CONFIGS, type TradeoffConfig } from '../../tradeoff/configs.js';
import { renderTradeoffHtml } from '../../tradeoff/html.js';
import { formatTradeoffTable, tradeoffResult, type TradeoffResult, type TradeoffRow } from '../../tradeoff/result.js';
import { bufferIO, type CliIO } from '../io.js';
import { quantizeCommand, type QuantizeCommandOptions } from './quantize.js';

export interface TradeoffCommandOptions {
  calib?: string;
  calibLimit?: string | number;
  data?: string;
  labels?: string;
  board?: string;
  /** Comma-separated configuration names (default: all). */
  configs?: string;
  /** Measure top-1 on the first N samples (default 2000). */
  limit?: string | number;
  html?: string;
  json?: boolean;
  force?: boolean;
  scale?: string;
  mean?: string;
  std?: string;
}

const DEFAULT_LIMIT = 2000;

function positive(value: string | number | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`${flag} must be a positive whole number, got '${value}'`);
  return n;
}

export async function tradeoffCommand(modelPath: string, opts: TradeoffCommandOptions, io: CliIO): Promise<TradeoffResult> {
  if (opts.data === undefined) throw new InputError('tinyml tradeoff needs labelled samples to measure accuracy on (--data FILE, with --labels unless the labels sit beside it)');
  const names = (opts.configs ?? DEFAULT_TRADEOFF_CONFIGS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const { configs, unknown } = selectConfigs(names);
  if (unknown.length > 0) throw new InputError(`unknown configuration(s) ${unknown.join(', ')}; tinyml tradeoff knows ${TRADEOFF_CONFIGS.map((c) => c.name).join(', ')}`);
  if (configs.length === 0) throw new InputError('--configs names no configuration');
  if (configs.some((c) => c.quantize) && opts.calib === undefined) {
    throw new InputError('tinyml tradeoff needs calibration samples (--calib FILE) for the quantized configurations; --configs float alone needs none');
  }
  const limit = positive(opts.limit, '--limit', DEFAULT_LIMIT);
  const pre = parsePreprocessOptions(opts);
  if (opts.html) await checkOutputFiles([{ path: opts.html, option: '--html' }], [modelPath, opts.data], opts.force ?? false);
  const work = await mkdtemp(join(tmpdir(), 'tinyml-tradeoff-'));
  try {
    const rows: TradeoffRow[] = [];
    let samples = 0;
    for (const config of configs) {
      const started = Date.now();
      io.err(`[${rows.length + 1}/${configs.length}] ${config.name}: ${config.label}`);
      const path = await makeConfig(modelPath, config, work, opts);
      const model = await loadModel(path);
      const parameterBytes = summarizeModel(model.graph).totals.parameterBytes;
      const acc = await evaluate(model, { data: opts.data, labels: opts.labels, limit, ...pre });
      samples = acc.samples;
      const row: TradeoffRow = { name: config.name, label: config.label, accuracy: acc.top1, parameterBytes, seconds: 0 };
      if (opts.board) {
        const session = await deploy(model, { board: opts.board, out: join(work, `${config.name}-${opts.board}`), client: false });
        try {
          const lat = await session.latency(1);
          Object.assign(row, { latency: lat.perInference, latencyUnit: lat.unit, flashBytes: session.build.flashBytes, arenaBytes: session.build.arenaBytes });
        } finally {
          await session.close();
        }
      }
      row.seconds = (Date.now() - started) / 1000;
      rows.push(row);
    }
    const result = tradeoffResult(basename(modelPath, extname(modelPath)), samples, opts.board, rows);
    if (opts.html) await writeOutputFile({ path: opts.html, option: '--html' }, new TextEncoder().encode(renderTradeoffHtml(result)), opts.force ?? false);
    if (opts.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(formatTradeoffTable(result));
      if (opts.html) io.out(`\nwrote ${opts.html}`);
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The configuration's model file: the float model itself, or what `tinyml quantize` writes for it. */
async function makeConfig(modelPath: string, config: TradeoffConfig, work: string, opts: TradeoffCommandOptions): Promise<string> {
  if (!config.quantize) return modelPath;
  const out = join(work, `${config.name}.tflite`);
  const q: QuantizeCommandOptions = { ...(config.quantize as QuantizeCommandOptions), calib: opts.calib, out, json: true, scale: opts.scale, mean: opts.mean, std: opts.std };
  if (opts.calibLimit !== undefined) q.calibLimit = opts.calibLimit;
  await quantizeCommand(modelPath, q, bufferIO());
  return out;
}
