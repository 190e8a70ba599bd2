/**
 * The ONNX Runtime quantizer fixtures of test/fixtures/onnx-ort/ (made by make_fixtures.py there)
 * and ONNX Runtime's own top-1 for each, recorded by the same script.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ORT_FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'onnx-ort');

export interface OrtFixture {
  name: string;
  path: string;
  format: 'QDQ' | 'QOperator';
  preprocessed: boolean;
  activations: 'int8' | 'uint8';
  /** ONNX Runtime's top-1 on the 10,000 test images. */
  ortTop1: number;
}

interface Recorded {
  fixtures: Record<string, { format: 'QDQ' | 'QOperator'; preprocessed: boolean; activations: 'int8' | 'uint8'; correct: number; total: number }>;
}

export function ortFixtures(): OrtFixture[] {
  const rec = JSON.parse(readFileSync(join(ORT_FIXTURES_DIR, 'ort_accuracy.json'), 'utf8')) as Recorded;
  return Object.entries(rec.fixtures).map(([name, f]) => ({
    name,
    path: join(ORT_FIXTURES_DIR, `${name}.onnx`),
    format: f.format,
    preprocessed: f.preprocessed,
    activations: f.activations,
    ortTop1: f.correct / f.total,
  }));
}
