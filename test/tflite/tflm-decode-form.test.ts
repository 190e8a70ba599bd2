/**
 * tinyml writes TensorFlow Lite Micro's DECODE operator form of clustered weights
 * (`writeTflite(graph, { lutForm: 'decode' })`): laid out as TFLM's own compression tool lays out
 * the same model (test/fixtures/tflm-compressed/lutnet.tflm-lut.tflite), read back to the same
 * weights, and computing TFLM's own outputs (golden/lutnet_tflm_lut, the same weights).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/errors.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { LutEncoding } from '../../src/ir/weight-encoding.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { FlatBufferReader } from '../../src/tflite/flatbuffer-reader.js';
import { importTflite } from '../../src/tflite/import.js';
import { BufferTable, OperatorCodeTable, OperatorTable, SubGraphTable, TensorTable, readModel } from '../../src/tflite/schema.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { fixtureGoldenModels } from '../helpers/golden.js';
import { projectRoot } from '../helpers/shared.js';

const dir = join(projectRoot(), 'test', 'fixtures', 'tflm-compressed');
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(dir, f)));

/**
 * The uncompressed model with the LUT encodings TFLM's tool gave its weights: what a tinyml
 * clustered model of the same weights is (tensors in the uncompressed model's order).
 */
function clusteredLutnet(): Graph {
  const plain = importTflite(read('lutnet.int8.tflite'), 'lutnet');
  const tflm = importTflite(read('lutnet.tflm-lut.tflite'), 'tflm');
  for (const t of tflm.tensors) {
    if (t.weightEncoding?.kind !== 'lut') continue;
    const w = plain.tensors.find((p) => `${p.name}_decoded` === t.name)!;
    expect(Array.from(w.data as Int8Array)).toEqual(Array.from(t.data as Int8Array));
    w.weightEncoding = t.weightEncoding;
  }
  expect(plain.tensors.filter((t) => t.weightEncoding).length).toBe(3);
  return plain;
}

/** A .tflite's subgraph 0 as written: tensors (with their buffer bytes), ops, outputs. */
function rawModel(bytes: Uint8Array) {
  const model = readModel(new FlatBufferReader(bytes));
  const sg = new SubGraphTable(model.subgraphs()!.at(0, 'subgraph'));
  const buffers = model.buffers()!;
  const codes = model.operatorCodes()!;
  const tensors = Array.from({ length: sg.tensors()!.length }, (_, i) => {
    const t = new TensorTable(sg.tensors()!.at(i, 'tensor'));
    const data = new BufferTable(buffers.at(t.buffer, 'buffer')).data();
    return { name: t.name(), type: t.type, shape: t.shape(), quant: t.quantization()?.scale(), data: data && data.length > 0 ? Array.from(data) : undefined };
  });
  const ops = Array.from({ length: sg.operators()!.length }, (_, i) => {
    const op = new OperatorTable(sg.operators()!.at(i, 'op'));
    const code = new OperatorCodeTable(codes.at(op.opcodeIndex, 'code'));
    return { code: code.effectiveCode, custom: code.customCode(), inputs: op.inputs(), outputs: op.outputs() };
  });
  return { tensors, ops, inputs: sg.inputs(), outputs: sg.outputs() };
}

describe("writing TFLite Micro's DECODE form", () => {
  it("lays the model out as TFLM's compression tool does: tensors, ancillary bytes, DECODE wiring", () => {
    const mine = rawModel(writeTflite(clusteredLutnet(), { lutForm: 'decode' }));
    const tflm = rawModel(read('lutnet.tflm-lut.tflite'));
    expect(mine.ops).toEqual(tflm.ops);
    expect(mine.ops.filter((o) => o.custom === 'TFLM_DECODE').length).toBe(3);
    expect(mine.tensors).toEqual(tflm.tensors);
    expect([mine.inputs, mine.outputs]).toEqual([tflm.inputs, tflm.outputs]);
  });

  it('is, byte for byte, the fixture TFLite Micro built with compression ran to its own outputs', () => {
    // golden/lutnet_tinyml_decode: TFLM's outputs for lutnet.tinyml-decode.tflite. If the writer's
    // bytes change, rerun TFLM on the new file (fixture README) before replacing it.
    expect(writeTflite(clusteredLutnet(), { lutForm: 'decode' })).toEqual(read('lutnet.tinyml-decode.tflite'));
    const tflm = fixtureGoldenModels('tflm-compressed').find((m) => m.id === 'lutnet_tflm_lut')!;
    const mine = fixtureGoldenModels('tflm-compressed').find((m) => m.id === 'lutnet_tinyml_decode')!;
    expect(mine.cases.length).toBe(tflm.cases.length);
    for (const [k, c] of mine.cases.entries()) expect([c.inputs, c.outputs]).toEqual([tflm.cases[k].inputs, tflm.cases[k].outputs]);
  });

  it('reads back to the metadata form’s weights and computes TFLM’s own outputs, byte for byte', () => {
    const g = clusteredLutnet();
    const bytes = writeTflite(g, { lutForm: 'decode' });
    // The DECODE form only: DECODE ops, no compression metadata.
    expect(rawModel(bytes).ops.filter((o) => o.custom === 'TFLM_DECODE').length).toBe(3);
    expect(Buffer.from(bytes).includes('COMPRESSION_METADATA')).toBe(false);
    const decode = importTflite(bytes, 'decode');
    const metadata = importTflite(writeTflite(g), 'metadata');
    const weights = (x: Graph): Tensor[] => x.ops.filter((o) => o.type !== 'RESHAPE').map((o) => x.tensors[o.inputs[1]]);
    for (const [k, w] of weights(decode).entries()) {
      const m = weights(metadata)[k];
      expect(w.weightEncoding?.kind).toBe('lut');
      expect(Array.from(w.data as Int8Array)).toEqual(Array.from(m.data as Int8Array));
      expect(Array.from((w.weightEncoding as LutEncoding).indices)).toEqual(Array.from((m.weightEncoding as LutEncoding).indices));
      expect(w.quant).toEqual(m.quant);
    }
    const golden = fixtureGoldenModels('tflm-compressed').find((m) => m.id === 'lutnet_tflm_lut')!;
    expect(golden.cases.length).toBeGreaterThan(0);
    const prepared = prepareGraph(decode);
    for (const c of golden.cases) {
      const out = runGraph(prepared, [new Int8Array(c.inputs[0].buffer, c.inputs[0].byteOffset, c.inputs[0].length)])[0] as Int8Array;
      expect(new Uint8Array(out.buffer, out.byteOffset, out.length), `case ${c.index}`).toEqual(c.outputs[0]);
    }
  });

  it('decodes a weight two ops read once per op, and leaves a LUT tensor nothing reads uncompressed', () => {
    const g = clusteredLutnet();
    const fc = g.ops.find((o) => o.type === 'FULLY_CONNECTED')!;
    // A second FULLY_CONNECTED on the same input and weights, its output a second graph output.
    const out2: Tensor = { ...g.tensors[fc.outputs[0]], id: g.tensors.length, name: 'logits2' };
    const spare: Tensor = { ...g.tensors[fc.inputs[1]], id: g.tensors.length + 1, name: 'spare' };
    const two: Graph = { ...g, tensors: [...g.tensors, out2, spare], ops: [...g.ops, { ...fc, index: g.ops.length, outputs: [out2.id] }], outputs: [...g.outputs, out2.id] };
    const raw = rawModel(writeTflite(two, { lutForm: 'decode' }));
    const decodes = raw.ops.filter((o) => o.custom === 'TFLM_DECODE');
    expect(decodes.length).toBe(4);
    const fcDecodes = decodes.filter((d) => raw.tensors[d.outputs![0]].name === 'fw_decoded');
    expect(fcDecodes.length).toBe(2);
    expect(fcDecodes[0].outputs).not.toEqual(fcDecodes[1].outputs);
    expect(fcDecodes[0].inputs).toEqual(fcDecodes[1].inputs); // one packed-index and one ancillary tensor
    expect(raw.tensors.find((t) => t.name === 'spare')!.type).toBe(9); // INT8, not packed
    const back = importTflite(writeTflite(two, { lutForm: 'decode' }), 'two');
    const input = Int8Array.from({ length: 256 }, (_, i) => ((i * 53) % 256) - 128);
    const outs = runGraph(prepareGraph(back), [input]);
    expect(Array.from(outs[1])).toEqual(Array.from(outs[0]));
    expect(Array.from(outs[0])).toEqual(Array.from(runGraph(prepareGraph(g), [input])[0]));
  });

  it('a clustered tensor DECODE cannot express is a GraphError naming it', () => {
    const wide = clusteredLutnet();
    const fw = wide.tensors.find((t) => t.name === 'fw')!;
    const enc = fw.weightEncoding as LutEncoding;
    fw.weightEncoding = { ...enc, bits: 8, entries: 256, table: new Int8Array(10 * 256) };
    expect(() => writeTflite(wide, { lutForm: 'decode' })).toThrow(GraphError);
    expect(() => writeTflite(wide, { lutForm: 'decode' })).toThrow(/tensor 9 'fw' has 8-bit cluster indices \(256 clusters\); TFLite Micro's DECODE reads at most 7-bit/);
    expect(() => writeTflite(wide)).not.toThrow(); // the metadata form stores 8-bit indices

    const axis = clusteredLutnet();
    const w1 = axis.tensors.find((t) => t.name === 'w1')!;
    // Per-channel along dimension 1 of [8, 3, 3, 4]: neither the first nor the last.
    w1.shape = [3, 8, 3, 4];
    w1.quant = { ...w1.quant!, quantizedDimension: 1 };
    expect(() => writeTflite(axis, { lutForm: 'decode' })).toThrow(/tensor 1 'w1' is quantized along dimension 1 of \[3, 8, 3, 4\]; TFLite Micro's DECODE decodes/);
  });
});
