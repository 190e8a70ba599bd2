/**
 * `tinyml inspect` on a sub-byte model: each layer's weight width in the table and in --json
 * (weightEncoding, weightBits, packed bytes, valid against schemas/inspect.json), and parameter
 * bytes counted packed.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { importTfliteFile } from '../../src/tflite/index.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { roundWeightsToSubByte } from '../../src/quantize/sub-byte-rounding.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { projectRoot, sharedPath } from '../helpers/shared.js';

const temp = makeTempDir('tinyml-subbyte-inspect-');
afterAll(() => temp.cleanup());
const KWS = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');

async function cli(argv: string[]): Promise<string> {
  const io = bufferIO();
  const code = await runCli(argv, io);
  expect(code, io.stderr).toBe(0);
  return io.stdout;
}

it('shows each layer weight width and counts packed bytes', async () => {
  const int8 = await importTfliteFile(KWS);
  const path = join(temp.dir, 'kws_mixed.tflite');
  // Mixed widths: int4 everywhere, then the last layer's weights ternary.
  const { graph } = roundWeightsToSubByte(int8, 'int4');
  const fc = graph.ops.find((o) => o.type === 'FULLY_CONNECTED')!;
  const w = graph.tensors[fc.inputs[1]];
  graph.tensors[fc.inputs[1]] = { ...w, data: Int8Array.from(w.data as Int8Array, (v) => Math.sign(v)), weightEncoding: { kind: 'ternary' } };
  writeFileSync(path, writeTflite(graph));

  const text = await cli(['inspect', path]);
  const lines = text.split('\n');
  expect(lines.find((l) => /^\s*0\s+CONV_2D/.test(l))).toMatch(/\bint4\b/);
  expect(lines.find((l) => /FULLY_CONNECTED/.test(l))).toMatch(/\bternary\b/);
  expect(lines.find((l) => /^\s*12\s+SOFTMAX/.test(l))).toMatch(/\s-\s/);

  const doc = JSON.parse(await cli(['inspect', path, '--json']));
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const schemas = join(projectRoot(), 'schemas');
  for (const f of readdirSync(schemas)) ajv.addSchema(JSON.parse(readFileSync(join(schemas, f), 'utf8')), f.replace(/\.json$/, ''));
  const validate = ajv.getSchema('inspect')!;
  expect(validate(doc), ajv.errorsText(validate.errors)).toBe(true);
  const conv = doc.layers[0].inputs[1];
  expect(conv).toMatchObject({ dtype: 'int8', weightEncoding: 'int4', weightBits: 4, constant: true });
  expect(conv.bytes).toBe(Math.ceil(conv.shape.reduce((a: number, b: number) => a * b, 1) / 2));
  const dense = doc.layers.find((l: { op: string }) => l.op === 'FULLY_CONNECTED').inputs[1];
  expect(dense).toMatchObject({ weightEncoding: 'ternary', weightBits: 2, bytes: Math.ceil((64 * 12) / 4) });
  // Activations carry no encoding.
  expect(doc.layers[0].inputs[0].weightEncoding).toBeUndefined();

  const int8Doc = JSON.parse(await cli(['inspect', KWS, '--json']));
  // Biases stay int32: the weights shrink to a quarter or less of their int8 bytes.
  const weightBytes8 = int8Doc.layers.reduce((n: number, l: { inputs: { bytes: number }[] }) => n + (l.inputs[1]?.bytes ?? 0), 0);
  const weightBytes4 = doc.layers.reduce((n: number, l: { inputs: { bytes: number }[] }) => n + (l.inputs[1]?.bytes ?? 0), 0);
  expect(weightBytes4).toBeLessThan(weightBytes8 / 2);
  expect(doc.totals.parameterBytes).toBeLessThan(0.6 * int8Doc.totals.parameterBytes);
});
