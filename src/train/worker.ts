/**
 * Worker-thread entry of data-parallel training: builds the same network as the main thread from
 * workerData, then answers each step (StepMessage) with the gradients of its share of the batch
 * (or { error }).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Graph } from '../ir/types.js';
import type { WeightKind } from './fake-quant.js';
import { buildNetwork, type LayerWeights } from './network.js';
import { gradientShare, loadNetworkState, stepGradients, type StepMessage } from './step.js';

const port = parentPort!;
const { graph, kind, keepInt8, layers } = workerData as { graph: Graph; kind: WeightKind; keepInt8: number[]; layers?: Map<number, LayerWeights> };
const net = buildNetwork(graph, { kind, keepInt8: new Set(keepInt8), layers });

port.on('message', (m: StepMessage) => {
  try {
    loadNetworkState(net, m.state);
    port.postMessage(gradientShare(net, stepGradients(net, m.x, m.labels, m.n, m.total, m.teacher)));
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
