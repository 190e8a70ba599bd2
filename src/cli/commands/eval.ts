/**
 * `tinyml eval MODEL --board host --data D [--labels L] [--data-key K] [--labels-key K]
 *   [--scale S] [--mean M] [--std S] [--limit N] [--json] [--no-progress]`
 *
 * Classification accuracy (top-1, top-5), confusion matrix and latency of a model over a labelled
 * dataset. Samples are scaled/normalized as given, laid out as the model input (NHWC; ONNX models
 * are imported NHWC, so images are fed NHWC) and quantized for int8 inputs. A progress bar (rate,
 * ETA, running top-1) goes to stderr when it is a terminal; Ctrl-C stops early and reports what
 * was measured.
 */
import { openDataset } from '../../data/dataset.js';
import { makePreprocessor, parsePreprocessOptions } from '../../data/preprocess.js';
import { InputError } from '../../errors.js';
import { evaluate, type EvalProgress, type EvalResult } from '../../eval/evaluator.js';
import { loadModelForEval } from '../../eval/load.js';
import { createHostRunner, createHostWorkerRunner, type Runner } from '../../eval/runner.js';
import { elementCount } from '../../ir/types.js';
import type { CliIO } from '../io.js';
import { processIO } from '../io.js';
import { num, renderTable } from '../table.js';

export interface EvalOptions {
  /** Where to run: only "host" (the reference interpreter) for now. Default "host". */
  board?: string;
  /** Samples: IDX (gz or not), .npy or .npz. */
  data: string;
  /** Labels: IDX or .npy (or .npz); optional for .npz data and MNIST-named IDX files. */
  labels?: string;
  /** Array names inside .npz files. */
  dataKey?: string;
  labelsKey?: string;
  /** Preprocessing: number or fraction ("1/255"); scalar or per-channel comma lists. */
  scale?: string;
  mean?: string;
  std?: string;
  /** Evaluate the first N samples only. */
  limit?: string | number;
  json?: boolean;
  /** false (--no-progress) disables the progress bar. */
  progress?: boolean;
  /** Host: worker threads running the interpreter in parallel (default 1: in-process). */
  jobs?: string | number;
}

export interface EvalDeps {
  /** Stops the evaluation early (tests); the command also listens for SIGINT. */
  signal?: AbortSignal;
  /** Where to draw the progress bar; default process.stderr when it is a TTY and io is the process's. */
  progressStream?: { write(s: string): unknown; isTTY?: boolean };
  /** Worker script for --jobs > 1 (default: the compiled dist/eval/host-worker.js). */
  workerUrl?: URL;
}

function parseLimit(limit: string | number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  const n = typeof limit === 'number' ? limit : Number(limit);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`--limit must be a positive integer, got '${limit}'`);
  return n;
}

async function startWorkers(modelPath: string, jobs: number, workerUrl: URL | undefined): Promise<Runner[]> {
  const started = await Promise.allSettled(Array.from({ length: jobs }, () => createHostWorkerRunner(modelPath, { workerUrl })));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const ok = started.filter((s): s is PromiseFulfilledResult<Runner> => s.status === 'fulfilled').map((s) => s.value);
  if (failed) {
    await Promise.all(ok.map((r) => r.close?.()));
    throw failed.reason;
  }
  return ok;
}

function parseJobs(jobs: string | number | undefined): number {
  if (jobs === undefined) return 1;
  const n = typeof jobs === 'number' ? jobs : Number(jobs);
  if (!Number.isInteger(n) || n <= 0 || n > 64) throw new InputError(`--jobs must be an integer from 1 to 64, got '${jobs}'`);
  return n;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One line of progress: bar, count, percentage, rate, ETA and running top-1. */
export function renderProgress(p: EvalProgress, width = 24): string {
  const frac = p.total ? p.done / p.total : 0;
  const filled = Math.round(frac * width);
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const eta = rate > 0 ? ((p.total - p.done) / rate) * 1000 : Infinity;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${num(p.done)}/${num(p.total)} ${(frac * 100).toFixed(0)}%` +
    `  ${rate.toFixed(1)}/s  ETA ${duration(eta)}  top-1 ${(p.top1 * 100).toFixed(2)}%`
  );
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3);
}

export async function evalCommand(modelPath: string, opts: EvalOptions, io: CliIO, deps: EvalDeps = {}): Promise<EvalResult> {
  const board = opts.board ?? 'host';
  if (board !== 'host') throw new InputError(`board ${board} evaluation is not wired yet`);
  const limit = parseLimit(opts.limit);
  const jobs = parseJobs(opts.jobs);
  const pre = parsePreprocessOptions(opts);
  const graph = await loadModelForEval(modelPath);
  if (graph.inputs.length !== 1) throw new InputError(`${graph.name} has ${graph.inputs.length} inputs; tinyml eval supports single-input models`);
  const input = graph.tensors[graph.inputs[0]];
  const output = graph.tensors[graph.outputs[0]];
  const classes = elementCount(output.shape);
  if (classes < 2) throw new InputError(`${graph.name}: output '${output.name}' has ${classes} value(s); eval needs class scores`);
  const dataset = await openDataset({ data: opts.data, labels: opts.labels, dataKey: opts.dataKey, labelsKey: opts.labelsKey });
  const preprocess = makePreprocessor(pre, input, dataset.sampleShape);
  const runners: Runner[] = jobs === 1 ? [createHostRunner(graph)] : await startWorkers(modelPath, jobs, deps.workerUrl);

  const stream = deps.progressStream ?? (io === processIO && process.stderr.isTTY ? process.stderr : undefined);
  const showProgress = opts.progress !== false && stream !== undefined && stream.isTTY !== false;
  let lastDraw = 0;
  const onProgress = showProgress
    ? (p: EvalProgress): void => {
        const now = Date.now();
        if (now - lastDraw < 100 && p.done < p.total) return;
        lastDraw = now;
        stream!.write(`\r\x1b[2K${renderProgress(p)}`);
      }
    : undefined;

  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  deps.signal?.addEventListener('abort', onAbort);
  if (deps.signal?.aborted) controller.abort();
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints > 1) process.exit(130);
    io.err(`${showProgress ? '\n' : ''}interrupted: reporting the samples evaluated so far (Ctrl-C again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: EvalResult;
  try {
    result = await evaluate({ runners, dataset, preprocess, classes, limit, signal: controller.signal, onProgress });
  } finally {
    process.off('SIGINT', onSigint);
    deps.signal?.removeEventListener('abort', onAbort);
    if (showProgress) stream!.write('\r\x1b[2K');
    await Promise.all(runners.map((r) => r.close?.()));
  }

  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          model: graph.name,
          board,
          data: opts.data,
          samples: result.samples,
          requested: result.requested,
          interrupted: result.interrupted,
          classes: result.classes,
          top1: result.top1,
          top5: result.top5,
          confusion: result.confusion,
          latency: result.latency,
          elapsedMs: result.elapsedMs,
        },
        null,
        2,
      ),
    );
    return result;
  }
  const lines: string[] = [];
  lines.push(`${graph.name} on ${board} (${runners[0].name}${runners.length > 1 ? ` x${runners.length}` : ''}): ${num(result.samples)} samples of ${opts.data}`);
  if (result.interrupted) lines.push(`interrupted: evaluated ${num(result.samples)} of ${num(result.requested)} samples`);
  lines.push(`top-1  ${pct(result.top1)}`);
  if (result.top5 !== null) lines.push(`top-5  ${pct(result.top5)}`);
  if (result.latency) {
    const l = result.latency;
    lines.push(`latency (${l.unit})  min ${fmt(l.min)}  median ${fmt(l.median)}  p99 ${fmt(l.p99)}`);
  }
  io.out(lines.join('\n'));
  if (result.samples > 0 && result.classes <= 20) {
    const cols = [{ header: 'label', align: 'right' as const }, ...result.confusion.map((_, j) => ({ header: String(j), align: 'right' as const })), { header: 'recall', align: 'right' as const }];
    const rows = result.confusion.map((r, i) => {
      const n = r.reduce((a, b) => a + b, 0);
      return [String(i), ...r.map(String), n ? pct(r[i] / n) : '-'];
    });
    io.out(`\nconfusion matrix (rows: label, columns: predicted)\n${renderTable(cols, rows)}`);
  } else if (result.samples > 0) {
    io.out(`(confusion matrix of ${result.classes} classes omitted; use --json)`);
  }
  return result;
}
