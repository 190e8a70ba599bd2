/**
 * `tinyml finetune MODEL --data D [--labels L] [--scale/--mean/--std] [--weights int8|int4|int2|ternary|binary]
 *   [--calibration minmax|percentile|mse|entropy] [--keep-int8 LAYERS] [--epochs N] [--distill] [--lr X] [--batch N] [--limit N] [--holdout N]
 *   [--eval-data T [--eval-labels TL] [--eval-limit N]] [--seed N] [--threads N] [--dampen [LAMBDA]]
 *   [--checkpoint F] [--resume] [--stop-after N] [--out F] [--force]`
 *
 * Quantization-aware training (src/train/) of a float model (.onnx or float32 .tflite) on a
 * labelled dataset, written as the int8 .tflite the quantizer would write with the learned
 * scales (sub-byte widths recorded as weight encodings). The accuracy it reports is the host
 * integer reference's on the evaluation data (`--eval-data`, else the training data): the
 * deployed model's, before (post-training quantization with the initial scales) and after.
 *
 * After every epoch the whole training state goes to a checkpoint (default `<out>.ckpt`, deleted
 * once the model is written); `--resume` continues a stopped or killed run from it to the same
 * bytes an uninterrupted run writes, and `--stop-after N` stops after N epochs on purpose (a long
 * run split over sessions).
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { openDataset, type Dataset } from '../../data/dataset.js';
import { makePreprocessor, parsePreprocessOptions, type PreprocessOptions } from '../../data/preprocess.js';
import { InputError } from '../../errors.js';
import { checkOutputFiles } from '../../io/output-file.js';
import type { Graph } from '../../ir/types.js';
import { writeTfliteFile } from '../../tflite-writer/index.js';
import { WEIGHT_KINDS, type WeightKind } from '../../train/fake-quant.js';
import { finetune, type TrainingData, type TrainingProgress } from '../../train/finetune.js';
import { evaluateInteger, type IntegerAccuracy } from '../../train/evaluate.js';
import type { CliIO } from '../io.js';
import { processIO } from '../io.js';
import { loadFloatModel, positiveInt } from './quantize.js';
import { resolveKeepInt8 } from '../../quantize/layer-select.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../quantize/index.js';
import { chooseWeights, parseFlashBudget, quantizedModelBytes } from '../../quantize/budget.js';
import { checkClusterCount } from '../../quantize/cluster.js';
import { budgetLines, type BudgetReport } from '../../quantize/report.js';
import type { WeightChoice } from '../../quantize/weight-choice.js';
import { importTflite } from '../../tflite/import.js';
import type { LayerWeights } from '../../train/network.js';
import { readFile } from 'node:fs/promises';
import { sameFile } from '../../io/output-file.js';
import { CheckpointFile, type RunIdentity, type TrainingCheckpoint } from '../../train/checkpoint.js';

export interface FinetuneCommandOptions {
  data: string;
  labels?: string;
  scale?: string;
  mean?: string;
  std?: string;
  weights?: string;
  /** Activation calibration of the post-training starting point (default minmax). */
  calibration?: string;
  keepInt8?: string;
  /** Every weight layer (but --keep-int8's) clustered to K levels, one table per layer. */
  clusters?: string | number;
  /** Each layer's storage chosen by quantize --flash-budget's solver: bytes or a fraction ("0.40x"). */
  flashBudget?: string | number;
  epochs?: string | number;
  distill?: boolean;
  lr?: string | number;
  batch?: string | number;
  limit?: string | number;
  /** Training samples held out (the last N of --data) to keep the best state; default 5000 or a tenth. */
  holdout?: string | number;
  evalData?: string;
  evalLabels?: string;
  evalLimit?: string | number;
  seed?: string | number;
  /** Threads sharing each batch (default: 2, or 1 on a one-core machine). */
  threads?: string | number;
  /** Oscillation dampening: true (bare --dampen) is λ = 1. */
  dampen?: boolean | string | number;
  /** The checkpoint file (default `<out>.ckpt`). */
  checkpoint?: string;
  /** Continue the run saved in the checkpoint. */
  resume?: boolean;
  /** Stop once this many epochs (of --epochs) have completed, keeping the checkpoint. */
  stopAfter?: string | number;
  out?: string;
  force?: boolean;
  /** false (--no-progress) disables the progress bar. */
  progress?: boolean;
}

export interface FinetuneCommandResult {
  outPath: string;
  /** The width of every trained layer, or 'clusters' / 'mixed' (--flash-budget). */
  weights: WeightKind | 'clusters' | 'mixed';
  clusters?: number;
  /** With --flash-budget: the plan, `totalBytes` counted on the written file. */
  budget?: BudgetReport;
  /** The written model's stored parameter bytes (as --flash-budget counts them). */
  storedBytes: number;
  keepInt8: number[];
  epochs: { loss: number; accuracy: number; cpuSeconds: number; seconds: number }[];
  /** Host integer reference: the int8 model of the initial scales, and the trained one (absent when stopped by --stop-after). */
  before?: IntegerAccuracy;
  after?: IntegerAccuracy;
  /** --stop-after ended the run here (epochs completed); nothing but the checkpoint was written. */
  stoppedAfter?: number;
  checkpointPath: string;
  evalSource: string;
  /** Top-1 on the held-out training samples at the start and after each epoch; `kept` 0 is the start. */
  holdout?: { samples: number; start: number; epochs: number[]; kept: number };
}

/** Ops the training network has weights for. */
const TRAINED_LAYERS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** --keep-int8: op indices, output tensor names, or `first` / `last` (the first / last weight layer). */
export function parseKeepInt8(text: string | undefined, g: Graph): number[] {
  if (text === undefined) return [];
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InputError(`--keep-int8 '${text}' has an empty entry`);
  return [...resolveKeepInt8(g, items, weightLayerIndices(g))].sort((a, b) => a - b);
}

/** Calibration samples of --flash-budget's choice (as `quantize`'s default --calib-limit). */
const BUDGET_SAMPLES = 300;

function weightLayerIndices(g: Graph): number[] {
  return g.ops.filter((op) => TRAINED_LAYERS.has(op.type)).map((op) => op.index);
}

/** --clusters K: 2..256 levels, not combined with another way to compress the weights. */
function parseClusters(opts: FinetuneCommandOptions): number | undefined {
  if (opts.clusters === undefined) return undefined;
  const k = typeof opts.clusters === 'number' ? opts.clusters : /^\d+$/.test(opts.clusters.trim()) ? Number(opts.clusters) : NaN;
  checkClusterCount(k);
  if (opts.weights !== undefined && opts.weights !== 'int8') throw new InputError(`--clusters and --weights ${opts.weights} are two ways to compress the weights: choose one`);
  if (opts.flashBudget !== undefined) throw new InputError("--flash-budget chooses each layer's storage itself (clusters among others): drop --clusters");
  return k;
}

/** The training network's quantizer for a layer's budget choice. */
function trainedLayer(c: WeightChoice): LayerWeights {
  if (c.kind === 'clusters') {
    if (c.scope !== 'tensor') throw new Error(`finetune: a ${c.scope}-scope cluster choice (the budget chooses one table per layer)`);
    return { kind: 'clusters', clusters: c.clusters };
  }
  if (c.kind === 'given') throw new Error('finetune: a given-scales budget choice');
  return { kind: c.kind };
}

function positiveNumber(v: string | number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`${what} must be a positive number, got '${v}'`);
  return n;
}

function nonNegativeInt(v: string | number, what: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`${what} must be a non-negative integer, got '${v}'`);
  return n;
}

/** Samples [first, first + count) of a dataset (count: the rest when undefined, clipped to it). */
function trainingData(ds: Dataset, g: Graph, pre: PreprocessOptions, limit: number | undefined, first = 0): TrainingData {
  const input = g.tensors[g.inputs[0]];
  const preprocess = makePreprocessor(pre, input, ds);
  const count = Math.max(0, limit === undefined ? ds.count - first : Math.min(limit, ds.count - first));
  return {
    count,
    labels: ds.labels.subarray(first, first + count),
    input(i, out, offset) {
      out.set(preprocess(ds.sample(first + i)) as Float32Array, offset);
    },
  };
}

/** Default held-out slice: 5,000 samples, or a tenth of a smaller dataset. */
export const DEFAULT_HOLDOUT = 5000;

export function defaultFinetuneOut(modelPath: string, kind: string): string {
  return join(dirname(modelPath), `${basename(modelPath, extname(modelPath))}.qat-${kind}.tflite`);
}

function bar(p: TrainingProgress): string {
  const width = 24;
  const done = Math.round((width * p.step) / p.steps);
  return `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  acc ${(100 * p.accuracy).toFixed(2)}%`;
}

function pct(a: IntegerAccuracy): string {
  return `${(100 * a.accuracy).toFixed(2)}% (${a.correct}/${a.samples}), loss ${a.loss.toFixed(4)}`;
}

/** --dampen [LAMBDA]: off (undefined/false), 1 (bare flag) or a positive weight. */
function parseDampen(v: FinetuneCommandOptions['dampen']): number {
  if (v === undefined || v === false) return 0;
  if (v === true) return 1;
  return positiveNumber(v, '--dampen')!;
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Hex SHA-256 of an array's bytes. */
function digest(a: ArrayBufferView): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

export async function finetuneCommand(modelPath: string, opts: FinetuneCommandOptions, io: CliIO): Promise<FinetuneCommandResult> {
  if (opts.data === undefined) throw new InputError('tinyml finetune needs labelled training data (--data FILE, with --labels)');
  const kind = (opts.weights ?? 'int8') as WeightKind;
  if (!WEIGHT_KINDS.includes(kind)) throw new InputError(`--weights '${opts.weights}' is not one of ${WEIGHT_KINDS.join(', ')}`);
  const calibration = (opts.calibration ?? 'minmax') as CalibrationMethod;
  if (!CALIBRATION_METHODS.includes(calibration)) throw new InputError(`--calibration '${opts.calibration}' is not one of ${CALIBRATION_METHODS.join(', ')}`);
  const clusters = parseClusters(opts);
  const budget = opts.flashBudget === undefined ? undefined : parseFlashBudget(opts.flashBudget);
  if (budget && opts.weights !== undefined) throw new InputError(`--flash-budget chooses each layer's width itself: drop --weights ${opts.weights}`);
  const epochs = positiveInt(opts.epochs, '--epochs', 1);
  const batchSize = positiveInt(opts.batch, '--batch', 128);
  const limit = opts.limit === undefined ? undefined : positiveInt(opts.limit, '--limit', 1);
  const holdoutArg = opts.holdout === undefined ? undefined : nonNegativeInt(opts.holdout, '--holdout');
  const evalLimit = opts.evalLimit === undefined ? undefined : positiveInt(opts.evalLimit, '--eval-limit', 1);
  const seed = positiveInt(opts.seed, '--seed', 1);
  const learningRate = positiveNumber(opts.lr, '--lr');
  const threads = positiveInt(opts.threads, '--threads', Math.min(2, availableParallelism()));
  const dampen = parseDampen(opts.dampen);
  const stopAfter = opts.stopAfter === undefined ? undefined : positiveInt(opts.stopAfter, '--stop-after', 1);
  if (opts.evalLabels !== undefined && opts.evalData === undefined) throw new InputError('--eval-labels needs --eval-data');
  const pre = parsePreprocessOptions(opts);
  const outPath = opts.out ?? defaultFinetuneOut(modelPath, budget ? 'mixed' : clusters ? `clusters${clusters}` : kind);
  const reads = [modelPath, opts.data, ...(opts.labels ? [opts.labels] : []), ...(opts.evalData ? [opts.evalData] : []), ...(opts.evalLabels ? [opts.evalLabels] : [])];
  await checkOutputFiles([{ path: outPath, option: '--out' }], reads, opts.force ?? false);
  const checkpointPath = opts.checkpoint ?? `${outPath}.ckpt`;
  for (const [other, what] of [...reads.map((r) => [r, 'which this command reads'] as const), [outPath, 'the --out model'] as const]) {
    if (await sameFile(checkpointPath, other)) throw new InputError(`--checkpoint ${checkpointPath} is ${other}, ${what}: choose another checkpoint path`);
  }

  const graph = await loadFloatModel(modelPath);
  if (graph.inputs.length !== 1) throw new InputError(`${graph.name} has ${graph.inputs.length} inputs; tinyml finetune trains single-input models`);
  const keepInt8 = parseKeepInt8(opts.keepInt8, graph);
  const trainSet = await openDataset({ data: opts.data, labels: opts.labels });
  // The last samples of the training data are held out (never trained on) to choose the kept state.
  const holdoutCount = holdoutArg ?? Math.min(DEFAULT_HOLDOUT, Math.floor(trainSet.count / 10));
  if (holdoutCount >= trainSet.count) throw new InputError(`--holdout ${holdoutCount} leaves none of the ${trainSet.count} training samples to train on`);
  const train = trainingData(trainSet, graph, pre, Math.min(limit ?? Infinity, trainSet.count - holdoutCount));
  const holdout = holdoutCount > 0 ? trainingData(trainSet, graph, pre, holdoutCount, trainSet.count - holdoutCount) : undefined;
  const evalSet = opts.evalData
    ? trainingData(await openDataset({ data: opts.evalData, labels: opts.evalLabels }), graph, pre, evalLimit)
    : trainingData(await openDataset({ data: opts.data, labels: opts.labels }), graph, pre, evalLimit ?? limit);
  const evalSource = opts.evalData ?? `${opts.data} (training data: give --eval-data for held-out accuracy)`;

  const inputSize = graph.tensors[graph.inputs[0]].shape.slice(1).reduce((a, b) => a * b, 1);
  let layers: Map<number, LayerWeights> | undefined;
  let plan: BudgetReport | undefined;
  if (clusters) layers = new Map(weightLayerIndices(graph).filter((i) => !keepInt8.includes(i)).map((i) => [i, { kind: 'clusters', clusters }]));
  if (budget) {
    // The same solver and measurements as `quantize --flash-budget`, on the first training samples.
    const samples = Array.from({ length: Math.min(BUDGET_SAMPLES, train.count) }, (_, i) => {
      const x = new Float32Array(inputSize);
      train.input(i, x, 0);
      return [x];
    });
    const chosen = chooseWeights(graph, samples, { budget, keepInt8: new Set(keepInt8) }, {}, (m) => io.err(m));
    plan = chosen.plan;
    layers = new Map([...chosen.choices].map(([i, c]) => [i, trainedLayer(c)]));
    io.err(`flash budget ${plan.budgetBytes.toLocaleString('en-US')} bytes: ${plan.layers.map((l) => `op ${l.index} ${l.choice}`).join(', ')}`);
  }
  // Everything that changes the trained bytes: a checkpoint only resumes a run with all of it equal.
  const identity: RunIdentity = {
    model: await sha256(modelPath),
    'training data': await sha256(opts.data),
    'training labels': digest(trainSet.labels),
    preprocessing: JSON.stringify(pre),
    'training samples (--limit)': train.count,
    '--holdout': holdoutCount,
    '--weights': budget ? null : kind,
    '--clusters': clusters ?? null,
    '--flash-budget': opts.flashBudget === undefined ? null : String(opts.flashBudget),
    '--keep-int8': keepInt8.join(','),
    '--calibration': calibration,
    '--epochs': epochs,
    '--batch': batchSize,
    '--lr': learningRate ?? null,
    '--distill': opts.distill ?? false,
    '--dampen': dampen,
    '--seed': seed,
    // Each thread sums its share of a batch: another count adds the same gradients in another order.
    '--threads': threads,
  };
  let resumeFrom: TrainingCheckpoint | undefined;
  let checkpointFile: CheckpointFile;
  if (opts.resume) {
    const r = await CheckpointFile.resume(checkpointPath, identity);
    checkpointFile = r.file;
    resumeFrom = r.checkpoint;
    io.err(`resuming ${checkpointPath}: ${resumeFrom.epoch} of ${epochs} epoch(s) done`);
  } else checkpointFile = await CheckpointFile.create(checkpointPath, identity, opts.force ?? false);
  const described = budget ? 'per-layer weights within the flash budget' : clusters ? `${clusters}-cluster weights` : `${kind} weights`;
  const stream = io === processIO ? process.stderr : undefined;
  const tty = opts.progress !== false && stream?.isTTY === true;
  let lastLine = 0;
  io.err(`finetune ${graph.name}: ${described}${keepInt8.length ? ` (int8: ops ${keepInt8.join(', ')})` : ''}, ${epochs} epoch(s) of ${train.count} samples${opts.distill ? ', distilled from the float model' : ''}, ${threads} thread(s)`);
  const result = await finetune(graph, train, {
    threads,
    kind,
    keepInt8,
    layers,
    epochs,
    batchSize,
    // Per-layer kinds train with the rate of sub-byte widths (the int8 default is for int8 alone).
    learningRate: learningRate ?? (layers ? 5e-4 : undefined),
    distill: opts.distill ?? false,
    calibration,
    seed,
    holdout,
    dampen,
    resume: resumeFrom,
    stopAfter,
    onCheckpoint: (c) => checkpointFile.save(c),
    onMessage: (m) => io.err(m),
    onProgress: (p) => {
      if (tty) {
        stream!.write(`\r${bar(p)}${p.step === p.steps ? '\n' : ''}`);
        return;
      }
      // Not a terminal: a line every 10% of an epoch (and at its end), no carriage returns.
      const tenth = Math.floor((10 * p.step) / p.steps);
      if (opts.progress !== false && (tenth > lastLine || p.step === p.steps)) {
        lastLine = p.step === p.steps ? 0 : tenth;
        io.err(bar(p));
      }
    },
  });
  if (result.stoppedAfter !== undefined) {
    io.out(`stopped after epoch ${result.stoppedAfter} of ${epochs} (--stop-after); the training state is in ${checkpointPath}: run the same command with --resume (and without --stop-after, or a later one) to continue`);
    return { outPath, weights: budget ? 'mixed' : clusters ? 'clusters' : kind, storedBytes: 0, keepInt8, epochs: result.epochs, evalSource, stoppedAfter: result.stoppedAfter, checkpointPath };
  }
  io.err(`evaluating the int8 model on ${evalSet.count} samples (host integer reference)`);
  const before = evaluateInteger(result.initialGraph, evalSet, inputSize);
  const after = evaluateInteger(result.graph, evalSet, inputSize);
  await writeTfliteFile(outPath, result.graph);
  // The bytes of the file as written and read back: the budget holds for what the user gets.
  const storedBytes = quantizedModelBytes(importTflite(await readFile(outPath), graph.name));
  if (plan && storedBytes > plan.budgetBytes) {
    throw new Error(`finetune --flash-budget: ${outPath} takes ${storedBytes} bytes, over the ${plan.budgetBytes} planned (a byte count disagrees with the plan)`);
  }
  const budgetReport = plan ? { ...plan, totalBytes: storedBytes } : undefined;
  // The model is written: the run is complete and its checkpoint has nothing left to resume.
  await checkpointFile.remove();
  const cpu = result.epochs.reduce((a, e) => a + e.cpuSeconds, 0);
  const wall = result.epochs.reduce((a, e) => a + e.seconds, 0);
  io.out(`training: ${epochs} epoch(s), ${wall.toFixed(1)} s (CPU ${cpu.toFixed(1)} s); last epoch fake-quant loss ${result.epochs[epochs - 1].loss.toFixed(4)}, accuracy ${(100 * result.epochs[epochs - 1].accuracy).toFixed(2)}%`);
  const h = result.holdout;
  if (h) {
    const at = h.kept === 0 ? 'the start (post-training quantization): no epoch beat it, so the trained weights were dropped' : `epoch ${h.kept}`;
    io.out(`held-out top-1 (${h.samples} training samples not trained on): start ${(100 * h.start).toFixed(2)}%, after epoch(s) ${h.epochs.map((a) => `${(100 * a).toFixed(2)}%`).join(', ')}; kept ${at}`);
  }
  io.out(`int8 model, host integer reference on ${evalSource}:`);
  io.out(`  before (post-training, initial scales): ${pct(before)}`);
  io.out(`  after quantization-aware training:      ${pct(after)}`);
  if (budgetReport) io.out(['', ...budgetLines(budgetReport), ''].join('\n'));
  io.out(`parameter bytes (weights, biases, scales, tables, other constants): ${storedBytes.toLocaleString('en-US')}`);
  io.out(`wrote ${outPath}`);
  return {
    outPath,
    weights: budget ? 'mixed' : clusters ? 'clusters' : kind,
    ...(clusters ? { clusters } : {}),
    ...(budgetReport ? { budget: budgetReport } : {}),
    storedBytes,
    keepInt8,
    epochs: result.epochs,
    before,
    after,
    evalSource,
    checkpointPath,
    ...(h ? { holdout: h } : {}),
  };
}
