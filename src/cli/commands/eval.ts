/**
 * `tinyml eval MODEL [--board host|B] --data D [--labels L] [--data-key K] [--labels-key K]
 *   [--scale S] [--mean M] [--std S] [--limit N] [--jobs N] [--save-outputs F.npy]
 *   [--out DIR] [--os] [--force] [--port P] [--flash-port P] [--no-flash] [--json] [--no-progress]`
 *
 * Classification accuracy (top-1, top-5), confusion matrix and latency of a model over a labelled
 * dataset. Samples are laid out as the model input (NHWC; ONNX models are imported NHWC, so images
 * are fed NHWC) and follow the rule shared with `run` and `quantize` (src/data/feed-rule.ts):
 * samples of the input's own dtype without --scale/--mean/--std are fed byte for byte; float and
 * uint8 samples are scaled/normalized as given and quantized for a quantized input. A progress bar (rate,
 * ETA, running top-1) goes to stderr when it is a terminal; Ctrl-C stops early and reports what
 * was measured.
 *
 * `--board host` runs the reference interpreter (`--jobs N`: N worker threads). Any other board
 * runs the generated firmware: it is built once, `--jobs N` boots N QEMU instances of the same
 * ELF (a physical board: one, on `--port`), and each sample is written, invoked and read back
 * over the serial link. Latency is the INVOKE's own timer reading in the board's unit
 * (instructions under QEMU, cycles on hardware) and in ms at the board's clock; every output is
 * also compared with the reference interpreter's (`agreement`).
 */
import { unitsToMs, loadBoard, type Board } from '../../build/board.js';
import { openDataset, type Dataset } from '../../data/dataset.js';
import { buildModelFirmware } from '../../deploy/firmware.js';
import { sessionOptionsFromCli } from '../../deploy/target-session.js';
import { makePreprocessor, parsePreprocessOptions } from '../../data/preprocess.js';
import { InputError } from '../../errors.js';
import { mergeAgreement, startBoardRunners, type Agreement, type BoardRunner } from '../../eval/board-runner.js';
import { evaluate, type EvalProgress, type EvalResult } from '../../eval/evaluator.js';
import { loadModelForEval } from '../../eval/load.js';
import { createHostRunner, createHostWorkerRunner, type Runner } from '../../eval/runner.js';
import type { Tensor, TensorData } from '../../ir/types.js';
import { elementCount, tensorDataBytes, tensorDataFromBytes } from '../../ir/types.js';
import { formatNpy } from '../../io/npy.js';
import { checkOutputFiles, writeOutputFile } from '../../io/output-file.js';
import type { CliIO } from '../io.js';
import { processIO } from '../io.js';
import { num, renderTable } from '../../text/table.js';

export interface EvalOptions {
  /** Where to run: "host" (the reference interpreter, the default) or a board name. */
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
  /** Parallel runners (default 1): host worker threads, or QEMU instances of the firmware. */
  jobs?: string | number;
  /** Write output 0 of every evaluated sample, in sample order, to this .npy file. */
  saveOutputs?: string;
  /** Board: firmware project directory (default tinyml-out/<model>-<board>). */
  out?: string;
  /** Board: optimize for size (-Os). */
  os?: boolean;
  /** Overwrite an existing --save-outputs file (never the data), and a board project directory holding files tinyml did not write. */
  force?: boolean;
  /** Board: serial port of a physical board's link. */
  port?: string;
  /** Board: a physical board's USB port for flashing (default: found by USB ID). */
  flashPort?: string;
  /** Board: false (--no-flash) when the board already runs this firmware. */
  flash?: boolean;
}

/** What `evalCommand` returns: the evaluation, plus what only a board run measures. */
export interface EvalCommandResult extends EvalResult {
  board: string;
  runners: number;
  /** Board runs: outputs compared with the reference interpreter. */
  agreement: { compared: number; identical: number; mismatches: Agreement['mismatches'] } | null;
  /** Board runs: the latency figures in ms at the board's clock. */
  latencyMs: { min: number; median: number; p99: number; mean: number } | null;
  /** Board runs: inferences repeated because the serial link lost a reply. */
  repeated: number;
}

export interface EvalDeps {
  /** Stops the evaluation early (tests); the command also listens for SIGINT. */
  signal?: AbortSignal;
  /** Where to draw the progress bar; default process.stderr when it is a TTY and io is the process's. */
  progressStream?: { write(s: string): unknown; isTTY?: boolean };
  /** Worker script for --jobs > 1 (default: the compiled dist/eval/host-worker.js). */
  workerUrl?: URL;
  /** Board runners instead of building and booting (tests). */
  boardRunners?: (board: Board) => Promise<BoardRunner[]>;
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

/**
 * Maps the input tensor of each inference back to its sample index, so that the runners' outputs
 * can be kept in sample order (`--save-outputs`) whichever runner took the sample.
 */
function indexedSamples(dataset: Dataset, preprocess: (raw: Float32Array) => TensorData) {
  const indexOf = new WeakMap<object, number>();
  let current = -1;
  const ds: Dataset = {
    source: dataset.source,
    count: dataset.count,
    sampleShape: dataset.sampleShape,
    dtype: dataset.dtype,
    labels: dataset.labels,
    sample(i: number): Float32Array {
      current = i;
      return dataset.sample(i);
    },
  };
  const pre = (raw: Float32Array): TensorData => {
    const t = preprocess(raw);
    indexOf.set(t, current);
    return t;
  };
  return { dataset: ds, preprocess: pre, indexOf };
}

function recording(runner: Runner, indexOf: WeakMap<object, number>, sink: Map<number, TensorData>, outputIndex: number): Runner {
  return {
    name: runner.name,
    latencyUnit: runner.latencyUnit,
    async run(inputs: TensorData[]): Promise<TensorData[]> {
      const out = await runner.run(inputs);
      const i = indexOf.get(inputs[0]);
      if (i !== undefined) sink.set(i, out[outputIndex].slice());
      return out;
    },
    lastLatency: () => runner.lastLatency(),
    ...(runner.close ? { close: () => runner.close!() } : {}),
  };
}

async function writeOutputs(path: string, output: Tensor, rows: Map<number, TensorData>, force: boolean): Promise<void> {
  const order = [...rows.keys()].sort((a, b) => a - b);
  const first = rows.get(order[0] ?? -1);
  const rowBytes = first ? first.byteLength : 0;
  const all = new Uint8Array(rowBytes * order.length);
  order.forEach((i, k) => all.set(tensorDataBytes(rows.get(i)!), k * rowBytes));
  const shape = [order.length, ...(output.shape.length > 0 ? output.shape : [1])];
  await writeOutputFile({ path, option: '--save-outputs' }, formatNpy({ dtype: output.dtype, shape, data: tensorDataFromBytes(output.dtype, all) }), force);
}

export async function evalCommand(modelPath: string, opts: EvalOptions, io: CliIO, deps: EvalDeps = {}): Promise<EvalCommandResult> {
  const boardName = opts.board ?? 'host';
  const onHost = boardName === 'host';
  const board = onHost ? undefined : loadBoard(boardName);
  const limit = parseLimit(opts.limit);
  const jobs = parseJobs(opts.jobs);
  const pre = parsePreprocessOptions(opts);
  if (opts.saveOutputs !== undefined && !/\.npy$/i.test(opts.saveOutputs)) throw new InputError(`--save-outputs must name a .npy file, got '${opts.saveOutputs}'`);
  if (opts.saveOutputs !== undefined) {
    const reads = [modelPath, opts.data, ...(opts.labels !== undefined ? [opts.labels] : [])];
    await checkOutputFiles([{ path: opts.saveOutputs, option: '--save-outputs' }], reads, opts.force ?? false);
  }
  const graph = await loadModelForEval(modelPath);
  if (graph.inputs.length !== 1) throw new InputError(`${graph.name} has ${graph.inputs.length} inputs; tinyml eval supports single-input models`);
  const input = graph.tensors[graph.inputs[0]];
  const output = graph.tensors[graph.outputs[0]];
  const classes = elementCount(output.shape);
  if (classes < 2) throw new InputError(`${graph.name}: output '${output.name}' has ${classes} value(s); eval needs class scores`);
  const opened = await openDataset({ data: opts.data, labels: opts.labels, dataKey: opts.dataKey, labelsKey: opts.labelsKey });
  const indexed = indexedSamples(opened, makePreprocessor(pre, input, opened));
  const { dataset, preprocess } = indexed;

  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  deps.signal?.addEventListener('abort', onAbort);
  if (deps.signal?.aborted) controller.abort();
  const stream = deps.progressStream ?? (io === processIO && process.stderr.isTTY ? process.stderr : undefined);
  const showProgress = opts.progress !== false && stream !== undefined && stream.isTTY !== false;
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints > 1) process.exit(130); // QEMU instances die with us (src/runners/qemu.ts exit hook)
    io.err(`${showProgress ? '\n' : ''}interrupted: reporting the samples evaluated so far (Ctrl-C again to quit at once)`);
    controller.abort();
  };

  let runners: Runner[] = [];
  let boardRunners: BoardRunner[] = [];
  process.on('SIGINT', onSigint);
  try {
    if (!board) {
      runners = jobs === 1 ? [createHostRunner(graph)] : await startWorkers(modelPath, jobs, deps.workerUrl);
    } else if (deps.boardRunners) {
      boardRunners = await deps.boardRunners(board);
    } else {
      const built = await buildModelFirmware(modelPath, {
        board: board.name,
        graph,
        ...(opts.out ? { outDir: opts.out } : {}),
        force: opts.force ?? false,
        opt: opts.os ? '-Os' : '-O2',
      });
      if (!opts.json || showProgress) {
        io.err(`built ${built.build.elf}; starting ${board.qemu ? `${jobs} QEMU instance${jobs > 1 ? 's' : ''} (${board.qemu.machine})` : `the board on ${opts.port}`}`);
      }
      boardRunners = await startBoardRunners(built.board, built.build.elf, {
        jobs,
        reference: built.compiled.prepared,
        sampleOf: (inputs) => indexed.indexOf.get(inputs[0]),
        modelHash: built.compiled.hash,
        session: sessionOptionsFromCli(opts, opts.json ? undefined : (l) => io.err(l)),
      });
    }
    if (boardRunners.length > 0) runners = boardRunners;
  } catch (e) {
    process.off('SIGINT', onSigint);
    deps.signal?.removeEventListener('abort', onAbort);
    throw e;
  }

  const rows = new Map<number, TensorData>();
  const outputIndex = 0;
  const evalRunners = opts.saveOutputs ? runners.map((r) => recording(r, indexed.indexOf, rows, outputIndex)) : runners;
  let lastDraw = 0;
  const onProgress = showProgress
    ? (p: EvalProgress): void => {
        const now = Date.now();
        if (now - lastDraw < 100 && p.done < p.total) return;
        lastDraw = now;
        stream!.write(`\r\x1b[2K${renderProgress(p)}`);
      }
    : undefined;

  let evaluated: EvalResult;
  try {
    evaluated = await evaluate({ runners: evalRunners, dataset, preprocess, classes, limit, signal: controller.signal, onProgress });
  } finally {
    process.off('SIGINT', onSigint);
    deps.signal?.removeEventListener('abort', onAbort);
    if (showProgress) stream!.write('\r\x1b[2K');
    await Promise.all(runners.map((r) => r.close?.()));
  }

  if (opts.saveOutputs) await writeOutputs(opts.saveOutputs, output, rows, opts.force ?? false);
  const agreement = board ? (mergeAgreement(boardRunners.map((r) => r.agreement)) ?? null) : null;
  const l = evaluated.latency;
  const latencyMs = board && l ? { min: unitsToMs(board, l.min), median: unitsToMs(board, l.median), p99: unitsToMs(board, l.p99), mean: unitsToMs(board, l.mean) } : null;
  const result: EvalCommandResult = {
    ...evaluated,
    board: boardName,
    runners: runners.length,
    agreement,
    latencyMs,
    repeated: boardRunners.reduce((n, r) => n + r.repeated, 0),
  };

  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          model: graph.name,
          board: boardName,
          data: opts.data,
          samples: result.samples,
          requested: result.requested,
          interrupted: result.interrupted,
          classes: result.classes,
          top1: result.top1,
          top5: result.top5,
          confusion: result.confusion,
          latency: result.latency && latencyMs ? { ...result.latency, ms: latencyMs, clockHz: board!.clockHz } : result.latency,
          ...(board ? { agreement: agreement && { compared: agreement.compared, identical: agreement.identical, mismatches: agreement.mismatches } } : {}),
          runners: result.runners,
          ...(board ? { repeated: result.repeated } : {}),
          ...(opts.saveOutputs ? { outputs: opts.saveOutputs } : {}),
          elapsedMs: result.elapsedMs,
        },
        null,
        2,
      ),
    );
    return result;
  }
  const lines: string[] = [];
  lines.push(`${graph.name} on ${boardName} (${runners[0].name}${runners.length > 1 ? ` x${runners.length}` : ''}): ${num(result.samples)} samples of ${opts.data}`);
  if (result.interrupted) lines.push(`interrupted: evaluated ${num(result.samples)} of ${num(result.requested)} samples`);
  lines.push(`top-1  ${pct(result.top1)}`);
  if (result.top5 !== null) lines.push(`top-5  ${pct(result.top5)}`);
  if (l) {
    const f = l.unit === 'ms' ? fmt : num;
    lines.push(`latency (${l.unit})  min ${f(l.min)}  median ${f(l.median)}  p99 ${f(l.p99)}`);
  }
  if (latencyMs && board) {
    lines.push(`latency (ms at ${num(board.clockHz / 1e6)} MHz)  min ${fmt(latencyMs.min)}  median ${fmt(latencyMs.median)}  p99 ${fmt(latencyMs.p99)}`);
  }
  if (agreement) {
    lines.push(`agreement with the reference interpreter  ${num(agreement.identical)}/${num(agreement.compared)} samples bit-exact`);
  }
  if (result.repeated > 0) lines.push(`(${result.repeated} inference(s) repeated after the serial link lost a reply)`);
  if (opts.saveOutputs) lines.push(`outputs of the ${num(result.samples)} samples written to ${opts.saveOutputs}`);
  io.out(lines.join('\n'));
  if (agreement && agreement.identical !== agreement.compared) {
    const m = agreement.mismatches[0];
    io.err(
      `warning: ${agreement.compared - agreement.identical} of ${agreement.compared} samples differ from the reference interpreter` +
        (m ? ` (first: ${m.sample !== undefined ? `sample ${m.sample}, ` : ''}output ${m.output}, byte ${m.byte}: expected ${m.expected}, got ${m.got})` : ''),
    );
  }
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
