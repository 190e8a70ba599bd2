/** `tinyml inspect MODEL`: per-layer table and totals, or JSON. */
import { summarizeModel, type TensorSummary } from '../../analysis/summary.js';
import type { CliIO } from '../io.js';
import { loadModel } from '../../model-file/load-model.js';
import { NARROWED_WEIGHTS } from '../../onnx/import.js';
import { num, renderTable, shapeText } from '../../text/table.js';

/** The width of a layer's constant weights (input 1): 'int4', 'ternary'..., their dtype, or '-'. */
function weightsText(inputs: TensorSummary[]): string {
  const w = inputs.find((t, i) => i > 0 && t.constant && t.shape.length >= 2);
  if (!w) return '-';
  return w.weightEncoding ? (w.weightEncoding === 'lut' ? `lut ${w.weightBits}-bit` : w.weightEncoding) : w.dtype;
}

export async function inspectCommand(modelPath: string, opts: { json?: boolean }, io: CliIO): Promise<void> {
  const graph = await loadModel(modelPath);
  const summary = summarizeModel(graph);
  // An unfixed batch (Keras's default) runs as batch 1, as in TFLite Micro: say so.
  const dynamic = graph.dynamicBatchInputs ?? [];
  if (opts.json) {
    // `model` as in every command's JSON; `name` stays for scripts written before it.
    io.out(JSON.stringify({ model: summary.name, ...summary, dynamicBatch: dynamic.length > 0 ? { inputs: dynamic, treatedAs: 1 } : null }, null, 2));
    return;
  }
  const rows = summary.layers.map((l) => {
    const acts = l.inputs.filter((t) => !t.constant);
    const first = acts[0] ?? l.inputs[0];
    return [
      String(l.index),
      l.op,
      acts.map((t) => shapeText(t.shape)).join(' ') || '-',
      l.outputs.map((t) => shapeText(t.shape)).join(' '),
      [...new Set([...acts, ...l.outputs].map((t) => t.dtype))].join('/'),
      first ? first.quant : '-',
      l.outputs.map((t) => t.quant).join('; '),
      weightsText(l.inputs),
      num(l.macs),
      num(l.parameterBytes),
    ];
  });
  io.out(`${summary.name}: ${summary.totals.ops} ops`);
  for (const t of summary.inputs) io.out(`  input  ${t.name} ${t.dtype} ${shapeText(t.shape)} ${t.quant}`);
  for (const t of summary.outputs) io.out(`  output ${t.name} ${t.dtype} ${shapeText(t.shape)} ${t.quant}`);
  if (dynamic.length > 0) {
    io.out(`  note: the batch dimension of ${dynamic.map((n) => `'${n}'`).join(', ')} is unfixed in the model (shape_signature -1); tinyml runs it with batch 1, as TFLite Micro does`);
  }
  const narrowed = graph.meta?.[NARROWED_WEIGHTS];
  if (narrowed) {
    const list = narrowed.split(',').map((e) => e.split('='));
    const kinds = [...new Set(list.map(([, k]) => k))].join(', ');
    io.out(`  note: ${list.length} int8 weight tensor(s) hold only ${kinds} values (a narrow fake-quant range): stored packed as ${kinds} (${list.map(([w, k]) => `'${w}' ${k}`).join(', ')})`);
  }
  io.out('');
  io.out(
    renderTable(
      [
        { header: '#', align: 'right' },
        { header: 'op' },
        { header: 'input' },
        { header: 'output' },
        { header: 'dtype' },
        { header: 'in quant' },
        { header: 'out quant' },
        { header: 'weights' },
        { header: 'MACs', align: 'right' },
        { header: 'param bytes', align: 'right' },
      ],
      rows,
    ),
  );
  const la = summary.totals.largestActivation;
  io.out('');
  io.out(`total MACs:         ${num(summary.totals.macs)}`);
  io.out(`parameter bytes:    ${num(summary.totals.parameterBytes)}`);
  io.out(`largest activation: ${la ? `${num(la.bytes)} bytes (${la.name})` : '-'}`);
}
