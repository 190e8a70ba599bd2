/**
 * A runner executes one inference somewhere: the host reference interpreter here; firmware on a
 * board (over a serial link) elsewhere. The evaluator only sees this interface.
 */
import { performance } from 'node:perf_hooks';
import { prepareGraph, runGraph, type PreparedGraph } from '../interp/interpreter.js';
import type { Graph, TensorData } from '../ir/types.js';

export interface Runner {
  /** Short description for reports, e.g. "host reference interpreter". */
  readonly name: string;
  /** Unit of the latencies `lastLatency()` reports, e.g. "ms" or "cycles". */
  readonly latencyUnit: string;
  /** One inference; inputs/outputs in graph order with the graph's dtypes. */
  run(inputs: TensorData[]): Promise<TensorData[]>;
  /** Latency of the most recent `run`, measured by the runner (undefined when it cannot tell). */
  lastLatency(): number | undefined;
  /** Releases the runner's resources (a serial port, a worker...). */
  close?(): Promise<void>;
}

/** The host reference interpreter; latency is wall-clock milliseconds of `runGraph`. */
export function createHostRunner(graph: Graph | PreparedGraph): Runner {
  const prepared = 'steps' in graph ? graph : prepareGraph(graph);
  let last: number | undefined;
  return {
    name: 'host reference interpreter',
    latencyUnit: 'ms',
    async run(inputs: TensorData[]): Promise<TensorData[]> {
      const t0 = performance.now();
      const out = runGraph(prepared, inputs);
      last = performance.now() - t0;
      return out;
    },
    lastLatency: () => last,
  };
}
