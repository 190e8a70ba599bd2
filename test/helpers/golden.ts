/**
 * Reads golden cases in the layout of ../shared/golden/ (see shared/README.md): the shared
 * models' cases, and the ones checked in next to test fixtures (test/fixtures/<folder>/golden/).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../../src/ir/types.js';
import { projectRoot, sharedPath } from './shared.js';

export interface GoldenTensorSpec {
  name: string;
  shape: number[];
  dtype: DType;
  scale: number | number[];
  zeroPoint: number | number[];
}

export interface GoldenCase {
  index: number;
  inputs: Uint8Array[];
  outputs: Uint8Array[];
}

export interface GoldenModel {
  id: string;
  modelPath: string;
  inputs: GoldenTensorSpec[];
  outputs: GoldenTensorSpec[];
  cases: GoldenCase[];
  /** True when every input and output is an integer tensor (compared byte for byte). */
  integer: boolean;
}

/** Every golden folder under ../shared/golden/ (model paths relative to shared/). */
export function goldenModels(): GoldenModel[] {
  return readGoldenDir(sharedPath('golden'), (model) => sharedPath(model));
}

/** The Keras 3 fixtures' golden cases (test/fixtures/keras/golden/; model paths relative to test/fixtures/keras/). */
export function kerasGoldenModels(): GoldenModel[] {
  return fixtureGoldenModels('keras');
}

/** Golden cases checked in under test/fixtures/<folder>/golden/ (model paths relative to test/fixtures/<folder>/). */
export function fixtureGoldenModels(folder: string): GoldenModel[] {
  const dir = join(projectRoot(), 'test', 'fixtures', folder);
  return readGoldenDir(join(dir, 'golden'), (model) => join(dir, model));
}

/** The single-op fixtures of issue #13 part A (test/fixtures/ops-a/golden/; made by make_fixtures.py there). */
export function opsAGoldenModels(): GoldenModel[] {
  const dir = join(projectRoot(), 'test', 'fixtures', 'ops-a');
  return readGoldenDir(join(dir, 'golden'), (model) => join(dir, model));
}

function readGoldenDir(root: string, modelPath: (manifestModel: string) => string): GoldenModel[] {
  const ids = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'manifest.json')))
    .sort();
  // Tests loop over these: an empty list would make them pass with nothing run.
  if (ids.length === 0) throw new Error(`no golden cases (*/manifest.json) found under ${root}; see shared/README.md`);
  return ids.map((id) => {
      const dir = join(root, id);
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
        model: string;
        inputs: GoldenTensorSpec[];
        outputs: GoldenTensorSpec[];
        cases: { inputs: string[]; outputs: string[] }[];
      };
      const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(dir, f)));
      return {
        id,
        modelPath: modelPath(m.model),
        inputs: m.inputs,
        outputs: m.outputs,
        cases: m.cases.map((c, index) => ({ index, inputs: c.inputs.map(read), outputs: c.outputs.map(read) })),
        integer: [...m.inputs, ...m.outputs].every((t) => t.dtype !== 'float32'),
      };
    });
}
