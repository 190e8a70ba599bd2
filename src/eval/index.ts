/** Host evaluation: runners, the evaluator core and classification metrics. */
export { evaluate, type EvalProgress, type EvalResult, type EvaluateOptions } from './evaluator.js';
export { createHostRunner, type Runner } from './runner.js';
export {
  argmax,
  emptyTally,
  latencyStats,
  mergeTallies,
  percentile,
  rankOf,
  recordSample,
  summarize,
  type EvalSummary,
  type EvalTally,
  type LatencyStats,
} from './metrics.js';
