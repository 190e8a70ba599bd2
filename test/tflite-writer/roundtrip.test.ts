/**
 * Writer round trip on every shared .tflite model: importTflite(writeTflite(importTflite(x)))
 * deep-equals importTflite(x) (except meta), and the written file is laid out as the converter
 * lays it out (TFL3, version 3, empty buffer 0, aligned buffers, both op code fields).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/types.js';
import { FlatBufferReader } from '../../src/tflite/flatbuffer-reader.js';
import { importTflite } from '../../src/tflite/import.js';
import { BufferTable, OperatorCodeTable, readModel, SubGraphTable } from '../../src/tflite/schema.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { sharedModels } from '../helpers/shared.js';

const stem = (p: string): string => basename(p, '.tflite');

/**
 * The graph without meta, each tensor's data replaced by its array type and its bytes in
 * base64: vitest's deep equality walks typed arrays element by element, far too slowly for
 * megabytes of weights, so the bytes are compared as one Buffer.
 */
function comparable(g: Graph): unknown {
  const { meta: _meta, tensors, ...rest } = g;
  return {
    ...rest,
    tensors: tensors.map(({ data, ...t }) => ({
      ...t,
      data: data ? { type: data.constructor.name, bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') } : undefined,
    })),
  };
}

describe('TFLite writer round trip', () => {
  const models = sharedModels();

  it.each(models.map((p) => [stem(p), p]))('%s re-imports to the same graph', (name, path) => {
    const original = importTflite(readFileSync(path), name);
    const bytes = writeTflite(original);
    const again = importTflite(bytes, name);
    expect(comparable(again)).toEqual(comparable(original));
    expect(again.meta?.description).toBe('tinyml');
    // Writing the re-imported graph gives the same bytes (the writer is deterministic).
    expect(Buffer.compare(writeTflite(again), bytes)).toBe(0);
  });

  it.each(models.map((p) => [stem(p), p]))('%s is laid out as the converter lays it out', (name, path) => {
    const original = importTflite(readFileSync(path), name);
    const bytes = writeTflite(original);
    const reader = new FlatBufferReader(bytes);
    expect(reader.fileIdentifier()).toBe('TFL3');
    const model = readModel(reader);
    expect(model.version).toBe(3);
    expect(model.subgraphs()!.length).toBe(1);
    expect(new SubGraphTable(model.subgraphs()!.at(0, 'sg')).name()).toBe('main');
    // Buffer 0 is the empty sentinel; every other buffer's data is 16-byte aligned.
    const buffers = model.buffers()!;
    expect(new BufferTable(buffers.at(0, 'b0')).data()).toBeUndefined();
    for (let i = 1; i < buffers.length; i++) {
      const data = new BufferTable(buffers.at(i, `b${i}`)).data()!;
      expect(data.length).toBeGreaterThan(0);
      expect(data.byteOffset % 16).toBe(0);
    }
    const codes = model.operatorCodes()!;
    for (let i = 0; i < codes.length; i++) {
      const c = new OperatorCodeTable(codes.at(i, `c${i}`));
      expect(c.deprecatedBuiltinCode).toBe(Math.min(c.builtinCode, 127));
      expect(c.version).toBeGreaterThanOrEqual(1);
    }
  });
});
