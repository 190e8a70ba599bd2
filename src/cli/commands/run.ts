/** `tinyml run MODEL --input FILE... [--output FILE...]` on the host reference interpreter. */
import { InputError } from '../../errors.js';
import { prepareGraph, runGraph } from '../../interp/interpreter.js';
import { formatTensor, readTensorFile, writeTensorFile } from '../../io/tensor-file.js';
import type { CliIO } from '../io.js';
import { loadModel } from '../load-model.js';

export interface RunOptions {
  input: string[];
  output?: string[];
  board?: string;
}

export async function runCommand(modelPath: string, opts: RunOptions, io: CliIO): Promise<void> {
  const graph = await loadModel(modelPath);
  const inputTensors = graph.inputs.map((i) => graph.tensors[i]);
  if (opts.input.length !== inputTensors.length) {
    const names = inputTensors.map((t) => `'${t.name}' ${t.dtype} [${t.shape.join('x')}]`).join(', ');
    throw new InputError(`${graph.name} takes ${inputTensors.length} input(s) (${names}); give --input once per input, in order (got ${opts.input.length})`);
  }
  const inputs = await Promise.all(opts.input.map((f, k) => readTensorFile(f, inputTensors[k])));
  const outputTensors = graph.outputs.map((i) => graph.tensors[i]);
  const outputs = runGraph(prepareGraph(graph), inputs);
  const files = opts.output ?? [];
  if (files.length > outputTensors.length) throw new InputError(`${graph.name} has ${outputTensors.length} output(s), got ${files.length} --output files`);
  for (let k = 0; k < outputTensors.length; k++) {
    if (files[k]) await writeTensorFile(files[k], outputTensors[k], outputs[k]);
    else io.out(formatTensor(outputTensors[k], outputs[k]));
  }
}
