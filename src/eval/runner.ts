/**
 * A runner executes one inference somewhere: the host reference interpreter here; firmware on a
 * board (over a serial link) elsewhere. The evaluator only sees this interface.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
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

/** The compiled worker script next to this module (absent when running from TypeScript sources). */
export function defaultHostWorkerUrl(): URL | undefined {
  const url = new URL('./host-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * The host reference interpreter in a worker thread (one model instance per worker), for
 * evaluating with several cores. Latency is the worker's wall-clock milliseconds of `runGraph`.
 */
export async function createHostWorkerRunner(modelPath: string, options: { workerUrl?: URL } = {}): Promise<Runner> {
  const url = options.workerUrl ?? defaultHostWorkerUrl();
  if (!url) throw new InputError('parallel host evaluation needs the compiled tinyml (dist/); run `npm run build` or use --jobs 1');
  const worker = new Worker(url, { workerData: { modelPath } });
  const pending = new Map<number, { resolve: (o: TensorData[]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let last: number | undefined;
  let failed: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: { ready?: boolean; id?: number; outputs?: TensorData[]; ms?: number; error?: string }) => {
      if (msg.ready !== undefined) {
        if (msg.ready) resolve();
        else reject(new InputError(`host worker could not load ${modelPath}: ${msg.error}`));
        return;
      }
      const p = pending.get(msg.id!);
      if (!p) return;
      pending.delete(msg.id!);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else {
        last = msg.ms;
        p.resolve(msg.outputs!);
      }
    });
    worker.on('error', (e) => {
      failed = e;
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  });
  try {
    await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  return {
    name: 'host reference interpreter (worker thread)',
    latencyUnit: 'ms',
    run(inputs: TensorData[]): Promise<TensorData[]> {
      if (failed) return Promise.reject(failed);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, inputs });
      });
    },
    lastLatency: () => last,
    async close(): Promise<void> {
      await worker.terminate();
    },
  };
}
