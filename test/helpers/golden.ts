/** Reads the golden cases under ../shared/golden/ (see shared/README.md for the layout). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../../src/ir/types.js';
import { sharedPath } from './shared.js';

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

export function goldenModels(): GoldenModel[] {
  const root = sharedPath('golden');
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
      modelPath: sharedPath(m.model),
      inputs: m.inputs,
      outputs: m.outputs,
      cases: m.cases.map((c, index) => ({ index, inputs: c.inputs.map(read), outputs: c.outputs.map(read) })),
      integer: [...m.inputs, ...m.outputs].every((t) => t.dtype !== 'float32'),
    };
  });
}
