/**
 * Per-channel sub-byte FULLY_CONNECTED weights in .tflite files: written INT8 (TFLite Micro runs
 * INT4 dense weights only per tensor) and named in the TINYML_SUBBYTE_WEIGHTS metadata, from which
 * tinyml reads them back packed; a metadata entry that does not fit its tensor is refused.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors.js';
import type { Tensor } from '../../src/ir/types.js';
import { importTflite, importTfliteFile } from '../../src/tflite/index.js';
import { applySubByteMetadata, int8StoredSubByte } from '../../src/tflite/subbyte-metadata.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { projectRoot } from '../helpers/shared.js';

const FASHION = join(projectRoot(), 'test', 'fixtures', 'subbyte', 'fashion_cnn_int4.tflite');

describe('TINYML_SUBBYTE_WEIGHTS', () => {
  it('only per-channel sub-byte dense weights are stored INT8, and they come back with their width', async () => {
    const g = await importTfliteFile(FASHION);
    const dense = g.ops.filter((op) => op.type === 'FULLY_CONNECTED').map((op) => op.inputs[1]);
    expect([...int8StoredSubByte(g).keys()].sort()).toEqual([...dense].sort());
    const bytes = writeTflite(g);
    const back = importTflite(bytes, 'fashion');
    back.tensors.forEach((t, i) => expect(t.weightEncoding, `tensor ${i}`).toEqual(g.tensors[i].weightEncoding));
    // Without the metadata a reader sees int8 dense weights: the file holds them unpacked.
    const perTensor = { ...g, tensors: g.tensors.map((t) => (dense.includes(t.id) ? { ...t, quant: { ...t.quant!, scale: [t.quant!.scale[0]], zeroPoint: [0] } } : t)) };
    expect(int8StoredSubByte(perTensor).size).toBe(0);
    const denseWeights = dense.reduce((n, id) => n + g.tensors[id].data!.length, 0);
    expect(bytes.length - writeTflite(perTensor).length).toBeGreaterThanOrEqual(denseWeights / 2);
  });

  it('refuses an entry that names no int8 constant, a bad kind, or values outside the width', () => {
    const t: Tensor = { id: 0, name: 'w', shape: [2, 2], dtype: 'int8', data: Int8Array.from([1, -2, 3, 9]) };
    const act: Tensor = { id: 1, name: 'x', shape: [1, 2], dtype: 'int8' };
    const meta = (s: string) => new TextEncoder().encode(s);
    expect(() => applySubByteMetadata(meta('0=int4'), [{ ...t }, act])).toThrow(/marks tensor 0 'w' int4, but value 3 is 9/);
    expect(() => applySubByteMetadata(meta('1=int4'), [t, act])).toThrow(/tensor 1 'x', which is not a constant int8 tensor/);
    expect(() => applySubByteMetadata(meta('0=int3'), [t, act])).toThrow(ModelFormatError);
    expect(() => applySubByteMetadata(meta('7=int4'), [t, act])).toThrow(/bad entry '7=int4'/);
    const ok = { ...t, data: Int8Array.from([1, -2, 3, -8]) };
    applySubByteMetadata(meta('0=int4'), [ok, act]);
    expect(ok.weightEncoding).toEqual({ kind: 'int4' });
  });
});
