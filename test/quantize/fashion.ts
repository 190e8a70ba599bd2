/**
 * Fashion-MNIST helpers shared by the quantization accuracy test and the calibration comparison
 * script: the float ONNX model, calibration samples from the training set (pixel / 255, as the
 * model was trained), and top-1 accuracy on the test set in the reference interpreter.
 */
import { openDataset, type Dataset } from '../../src/data/dataset.js';
import { makePreprocessor } from '../../src/data/preprocess.js';
import { evaluate } from '../../src/eval/evaluator.js';
import { createHostRunner } from '../../src/eval/runner.js';
import type { Graph } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import { loadOnnxModel } from '../../src/onnx/index.js';
import type { CalibrationSample } from '../../src/quantize/index.js';
import { sharedPath } from '../helpers/shared.js';
import { FASHION_TEST, FASHION_TRAIN, requireFashionMnist } from '../helpers/tools.js';

export { FASHION_DIR, FASHION_TEST, FASHION_TRAIN, requireFashionMnist } from '../helpers/tools.js';

/** Float model top-1 on the 10,000 test images (shared/models/fashion-mnist/README.md). */
export const FLOAT_TOP1 = 0.9167;

export function fashionModelPath(): string {
  return sharedPath('models', 'fashion-mnist', 'fashion_cnn_float.onnx');
}

export async function loadFashionFloat(): Promise<Graph> {
  return loadOnnxModel(fashionModelPath());
}

/** The first `count` training images, pixel / 255, laid out as the model input. */
export async function fashionCalibration(graph: Graph, count: number): Promise<CalibrationSample[]> {
  requireFashionMnist([FASHION_TRAIN]);
  const ds = await openDataset({ data: FASHION_TRAIN });
  const pre = makePreprocessor({ scale: 1, scaleDivisor: 255 }, graph.tensors[graph.inputs[0]], ds);
  const out: CalibrationSample[] = [];
  for (let i = 0; i < Math.min(count, ds.count); i++) out.push([pre(ds.sample(i))]);
  return out;
}

let testSet: Promise<Dataset> | undefined;
export function fashionTestSet(): Promise<Dataset> {
  requireFashionMnist([FASHION_TEST]);
  testSet ??= openDataset({ data: FASHION_TEST });
  return testSet;
}

/** Top-1 of `graph` (float or int8 input) on the first `limit` test images (all by default). */
export async function fashionTop1(graph: Graph, limit?: number): Promise<{ top1: number; samples: number; ms: number }> {
  const dataset = await fashionTestSet();
  const preprocess = makePreprocessor({ scale: 1, scaleDivisor: 255 }, graph.tensors[graph.inputs[0]], dataset);
  const t0 = performance.now();
  const r = await evaluate({
    runners: [createHostRunner(graph)],
    dataset,
    preprocess,
    classes: elementCount(graph.tensors[graph.outputs[0]].shape),
    limit,
  });
  return { top1: r.top1, samples: r.samples, ms: performance.now() - t0 };
}
