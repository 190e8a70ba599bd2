/**
 * The TensorFlow Lite reference outputs of the hybrid KWS model (test/fixtures/hybrid/, made once
 * by make_kws_reference.py with tf.lite.Interpreter's built-in kernels) and issue #18's bar for
 * agreeing with them: the same top class, and no softmax output further than 0.06 from TFLite's
 * (about how far TFLite's own optimized and reference kernels differ on this model).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, sharedPath } from './shared.js';

export const KWS_HYBRID_MODEL = sharedPath('models', 'mlperf-tiny', 'kws_ref_model_float32.tflite');
export const MAX_SOFTMAX_DIFFERENCE = 0.06;

export interface KwsReferenceCase {
  input: Float32Array;
  output: Float32Array;
}

export function kwsReferenceCases(): KwsReferenceCase[] {
  const doc = JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'hybrid', 'kws_ref_model_float32.json'), 'utf8')) as {
    cases: { input: number[]; output: number[] }[];
  };
  return doc.cases.map((c) => ({ input: Float32Array.from(c.input), output: Float32Array.from(c.output) }));
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

export function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
