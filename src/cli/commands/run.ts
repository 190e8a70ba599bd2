/**
 * `tinyml run MODEL --input FILE... [--output FILE...] [--board B] [--json]`: one inference with
 * the reference interpreter on the host, or with the generated firmware on a board (then also
 * its latency, the INVOKE's own timer reading). `--json` prints inputs and outputs (name, shape,
 * dtype, values) and, on a board, the latency.
 */
import { InputError } from '../../errors.js';
import { prepareGraph, runGraph } from '../../interp/interpreter.js';
import type { Tensor, TensorData } from '../../ir/types.js';
import { checkOutputFormat, encodeTensorFile, formatTensor, readTensorFile } from '../../data/tensor-file.js';
import { checkOutputFiles, writeOutputFile, type OutputFile } from '../../io/output-file.js';
import { build } from '../../api/build.js';
import { modelOf } from '../../api/model.js';
import { startSession } from '../../api/session.js';
import { sessionOptionsFromCli, type BoardLinkFlags } from '../../deploy/target-session.js';
import type { CliIO } from '../io.js';
import { num } from '../../text/table.js';
import { loadModel } from '../../model-file/load-model.js';

export interface RunOptions extends BoardLinkFlags {
  input: string[];
  output?: string[];
  board?: string;
  out?: string;
  /** Overwrite existing --output files (never an input), and a --out directory tinyml did not write. */
  force?: boolean;
  json?: boolean;
}

/** A board run's latency: the INVOKE's timer reading in the board's unit, and in ms at its clock. */
export interface RunLatency {
  unit: string;
  /** The field name deploy's latency uses too. */
  perInference: number;
  ms: number;
  clockHz: number;
}

/** Values as JSON numbers (int64 through Number; non-finite floats become null, as JSON.stringify does). */
function jsonValues(data: TensorData): number[] {
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

function tensorJson(t: Tensor, data: TensorData, file: string | undefined): Record<string, unknown> {
  const perTensor = t.quant && t.quant.scale.length === 1 && t.dtype !== 'float32';
  return {
    name: t.name,
    shape: t.shape,
    dtype: t.dtype,
    ...(file ? { file } : {}),
    ...(perTensor ? { scale: t.quant!.scale[0], zeroPoint: t.quant!.zeroPoint[0] } : {}),
    values: jsonValues(data),
    ...(perTensor ? { dequantized: jsonValues(data).map((v) => (v - t.quant!.zeroPoint[0]) * t.quant!.scale[0]) } : {}),
  };
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
  const outFiles: OutputFile[] = files.map((path) => ({ path, option: '--output' }));
  await checkOutputFiles(outFiles, [modelPath, ...opts.input], opts.force ?? false);
  files.forEach(checkOutputFormat);
  const inputs = await Promise.all(opts.input.map((f, k) => readTensorFile(f, inputTensors[k])));

  const onHost = !opts.board || opts.board === 'host';
  let outputs: TensorData[];
  let latency: RunLatency | undefined;
  if (onHost) outputs = runGraph(prepareGraph(graph), inputs);
  else {
    const built = await build(modelOf(modelPath, graph), { board: opts.board!, ...(opts.out ? { out: opts.out } : {}), force: opts.force ?? false });
    const board = built.firmware.board;
    const session = await startSession(built, sessionOptionsFromCli(opts, (l) => io.err(l)));
    try {
      const r = await session.invoke(inputs);
      outputs = r.outputs;
      latency = { unit: r.latency.unit, perInference: r.latency.perInference, ms: r.latency.ms, clockHz: board.clockHz };
    } finally {
      await session.close();
    }
  }
  for (let k = 0; k < outputTensors.length; k++) {
    if (files[k]) await writeOutputFile(outFiles[k], encodeTensorFile(files[k], outputTensors[k], outputs[k]), opts.force ?? false);
    else if (!opts.json) io.out(formatTensor(outputTensors[k], outputs[k]));
  }
  if (opts.json) {
    const report = {
      model: graph.name,
      board: onHost ? 'host' : opts.board,
      inputs: inputTensors.map((t, k) => tensorJson(t, inputs[k], opts.input[k])),
      outputs: outputTensors.map((t, k) => tensorJson(t, outputs[k], files[k])),
      ...(latency ? { latency } : {}),
    };
    io.out(JSON.stringify(report, null, 2));
  } else if (latency) {
    io.out(`latency: ${num(latency.perInference)} ${latency.unit} (${latency.ms.toFixed(3)} ms at ${num(latency.clockHz / 1e6)} MHz${latency.unit === 'instructions' ? ', one instruction per cycle' : ''})`);
  }
}
