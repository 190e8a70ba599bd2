/**
 * The evaluator core: streams dataset samples through one or more runners (each pulls the next
 * sample index from a shared counter, so a fast runner does more), tallies top-1 / top-5 /
 * confusion / latency per runner, and merges the tallies. Abort it with an AbortSignal (Ctrl-C in
 * the CLI): in-flight inferences finish and the result covers what was measured, flagged
 * `interrupted`.
 */
import { performance } from 'node:perf_hooks';
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import { emptyTally, mergeTallies, recordSample, summarize, type EvalSummary, type EvalTally } from './metrics.js';
import type { Runner } from './runner.js';

export interface EvalProgress {
  done: number;
  total: number;
  elapsedMs: number;
  /** Top-1 accuracy of the samples done so far (0..1). */
  top1: number;
}

export interface EvaluateOptions {
  runners: Runner[];
  dataset: Dataset;
  /** Raw sample values → the model's (single) input tensor data. */
  preprocess: (raw: Float32Array) => TensorData;
  /** Number of classes (the size of the scores output). */
  classes: number;
  /** Which model output holds the class scores (default 0). */
  outputIndex?: number;
  /** Evaluate only the first `limit` samples. */
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (p: EvalProgress) => void;
}

export interface EvalResult extends EvalSummary {
  /** True when stopped by the signal before every sample was evaluated. */
  interrupted: boolean;
  /** Samples requested (dataset size or limit). */
  requested: number;
  elapsedMs: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function scoresOf(data: TensorData): ArrayLike<number> {
  return data instanceof BigInt64Array ? Array.from(data, Number) : (data as ArrayLike<number>);
}

export async function evaluate(opts: EvaluateOptions): Promise<EvalResult> {
  const { runners, dataset, classes } = opts;
  if (runners.length === 0) throw new Error('evaluate needs at least one runner');
  const limit = opts.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new InputError(`--limit must be a positive integer, got ${limit}`);
  const total = limit === undefined ? dataset.count : Math.min(limit, dataset.count);
  const outputIndex = opts.outputIndex ?? 0;
  const tallies: EvalTally[] = runners.map((r) => emptyTally(classes, r.latencyUnit));
  const start = performance.now();
  let next = 0;
  let done = 0;
  let correct = 0;
  let failure: unknown;
  const aborted = (): boolean => opts.signal?.aborted === true || failure !== undefined;

  const work = async (runner: Runner, tally: EvalTally): Promise<void> => {
    while (!aborted()) {
      const i = next++;
      if (i >= total) return;
      const input = opts.preprocess(dataset.sample(i));
      const t0 = performance.now();
      const outputs = await runner.run([input]);
      const wall = performance.now() - t0;
      const scores = outputs[outputIndex];
      if (!scores || scores.length !== classes) {
        throw new InputError(`output ${outputIndex} has ${scores?.length ?? 0} values, expected ${classes} class scores`);
      }
      const label = dataset.labels[i];
      if (!(label >= 0 && label < classes)) {
        throw new InputError(`sample ${i} of ${dataset.source} has label ${label}, but the model has ${classes} classes (0..${classes - 1})`);
      }
      const before = tally.top1;
      recordSample(tally, scoresOf(scores), label, runner.lastLatency() ?? wall);
      correct += tally.top1 - before;
      done++;
      opts.onProgress?.({ done, total, elapsedMs: performance.now() - start, top1: correct / done });
      await yieldToEventLoop(); // lets SIGINT and progress rendering through between inferences
    }
  };

  await Promise.all(
    runners.map((r, k) =>
      work(r, tallies[k]).catch((e: unknown) => {
        failure ??= e;
      }),
    ),
  );
  if (failure !== undefined) throw failure;
  const merged = mergeTallies(tallies);
  return { ...summarize(merged), interrupted: merged.samples < total, requested: total, elapsedMs: performance.now() - start };
}
