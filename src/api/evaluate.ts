/**
 * `evaluate(model, { data })`: top-1 / top-5 accuracy, confusion matrix and latency of a
 * classifier on a labelled dataset (IDX, .npy, .npz), on the host reference interpreter or on a
 * running session's target.
 */
import { openDataset } from '../data/dataset.js';
import { makePreprocessor, type PreprocessOptions } from '../data/preprocess.js';
import { InputError } from '../errors.js';
import { evaluate as evaluateRunners, type EvalProgress, type EvalResult } from '../eval/evaluator.js';
import { createHostRunner, type Runner } from '../eval/runner.js';
import type { TensorData } from '../ir/types.js';
import { toModel, type ModelLike } from './model.js';
import type { Session } from './session.js';

export interface EvaluateOptions extends PreprocessOptions {
  /** Samples: IDX (gz or not), .npy or .npz. */
  data: string;
  /** Labels, when not in `data` (an .npz) or beside it. */
  labels?: string;
  dataKey?: string;
  labelsKey?: string;
  /** Only the first `limit` samples. */
  limit?: number;
  /** Run on this deployed target instead of the host reference interpreter. */
  session?: Session;
  signal?: AbortSignal;
  onProgress?: (p: EvalProgress) => void;
}

export type { EvalResult, EvalProgress };

function sessionRunner(session: Session): Runner {
  let last: number | undefined;
  return {
    name: `${session.board.name} on ${session.port}`,
    latencyUnit: session.board.timer.latencyUnit,
    async run(inputs: TensorData[]) {
      const r = await session.invoke(inputs);
      last = r.latency.perInference;
      return r.outputs;
    },
    lastLatency: () => last,
  };
}

export async function evaluate(model: ModelLike, options: EvaluateOptions): Promise<EvalResult> {
  if (!options || typeof options.data !== 'string') throw new InputError('evaluate(model, { data }) needs `data`, a dataset file (IDX, .npy or .npz)');
  const m = await toModel(model);
  const { graph } = m;
  if (graph.inputs.length !== 1) throw new InputError(`${m.name} has ${graph.inputs.length} inputs; evaluate supports single-input classifiers`);
  const classes = m.outputs[0].length;
  if (classes < 2) throw new InputError(`${m.name}: output '${m.outputs[0].name}' has ${classes} value(s); evaluate needs class scores`);
  const dataset = await openDataset({ data: options.data, labels: options.labels, dataKey: options.dataKey, labelsKey: options.labelsKey });
  const preprocess = makePreprocessor(options, graph.tensors[graph.inputs[0]], dataset);
  const runner = options.session ? sessionRunner(options.session) : createHostRunner(graph);
  return evaluateRunners({
    runners: [runner],
    dataset,
    preprocess,
    classes,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
