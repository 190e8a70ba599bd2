/**
 * `tinyml run MODEL --input FILE... [--output FILE...] [--board B]`: one inference with the
 * reference interpreter on the host, or with the generated firmware on a board.
 */
import { InputError } from '../../errors.js';
import { prepareGraph, runGraph } from '../../interp/interpreter.js';
import { tensorDataFromBytes } from '../../ir/types.js';
import type { TensorData } from '../../ir/types.js';
import { formatTensor, readTensorFile, writeTensorFile } from '../../io/tensor-file.js';
import { buildModelFirmware } from '../../deploy/firmware.js';
import { openTargetSession, sessionOptionsFromCli } from '../../deploy/target-session.js';
import { inferOnDevice } from '../../deploy/verify.js';
import type { CliIO } from '../io.js';
import { loadModel } from '../../model-file/load-model.js';

export interface RunOptions {
  input: string[];
  output?: string[];
  board?: string;
  out?: string;
  force?: boolean;
  port?: string;
  flashPort?: string;
  /** false with --no-flash */
  flash?: boolean;
}

export async function runCommand(modelPath: string, opts: RunOptions, io: CliIO): Promise<void> {
  const graph = await loadModel(modelPath);
  const inputTensors = graph.inputs.map((i) => graph.tensors[i]);
  if (opts.input.length !== inputTensors.length) {
    const names = inputTensors.map((t) => `'${t.name}' ${t.dtype} [${t.shape.join('x')}]`).join(', ');
    throw new InputError(`${graph.name} takes ${inputTensors.length} input(s) (${names}); give --input once per input, in order (got ${opts.input.length})`);
  }
  const outputTensors = graph.outputs.map((i) => graph.tensors[i]);
  const files = opts.output ?? [];
  if (files.length > outputTensors.length) throw new InputError(`${graph.name} has ${outputTensors.length} output(s), got ${files.length} --output files`);
  const inputs = await Promise.all(opts.input.map((f, k) => readTensorFile(f, inputTensors[k])));

  let outputs: TensorData[];
  if (!opts.board || opts.board === 'host') outputs = runGraph(prepareGraph(graph), inputs);
  else {
    const built = await buildModelFirmware(modelPath, { board: opts.board, graph, ...(opts.out ? { outDir: opts.out } : {}), force: opts.force ?? false });
    const session = await openTargetSession(built.board, built.build.elf, sessionOptionsFromCli(opts, (l) => io.err(l)));
    try {
      const raw = await inferOnDevice(session.client, inputs);
      outputs = raw.map((bytes, k) => tensorDataFromBytes(outputTensors[k].dtype, bytes));
    } finally {
      await session.close();
    }
  }
  for (let k = 0; k < outputTensors.length; k++) {
    if (files[k]) await writeTensorFile(files[k], outputTensors[k], outputs[k]);
    else io.out(formatTensor(outputTensors[k], outputs[k]));
  }
}
