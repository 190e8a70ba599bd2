/**
 * Worker-thread entry of the parallel host runner: loads the model named in workerData, then
 * answers { id, inputs } messages with { id, outputs, ms } (or { id, error }).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { prepareGraph, runGraph } from '../interp/interpreter.js';
import type { TensorData } from '../ir/types.js';
import { loadModelForEval } from './load.js';

const port = parentPort!;
const { modelPath } = workerData as { modelPath: string };

try {
  const prepared = prepareGraph(await loadModelForEval(modelPath));
  port.on('message', (msg: { id: number; inputs: TensorData[] }) => {
    try {
      const t0 = performance.now();
      const outputs = runGraph(prepared, msg.inputs);
      const ms = performance.now() - t0;
      port.postMessage({ id: msg.id, outputs, ms });
    } catch (e) {
      port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) });
}
