/**
 * ONNX Runtime's quantize_static output (QDQ with and without pre-processing, int8 and uint8
 * activations, QOperator) imports to an all-int8 graph whose top-1 on all 10,000 Fashion-MNIST test
 * images, in the host reference interpreter, is within 0.3 point of ONNX Runtime's own on the
 * same file (the QOperator files that import to the same graph as their QDQ twin are covered by
 * that identity).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../src/onnx/index.js';
import { floatIslands } from '../../src/passes/index.js';
import { fashionTop1, requireFashionMnist } from '../quantize/fashion.js';
import { FASHION_TEST } from '../helpers/tools.js';
import { ortFixtures } from './ort-fixtures.js';

const fixtures = ortFixtures();
const byName = (name: string) => fixtures.find((f) => f.name === name)!;

describe('ONNX Runtime quantizer fixtures on the host', () => {
  beforeAll(() => requireFashionMnist([FASHION_TEST]));

  it('there is one of each kind the tool makes', () => {
    const kinds = fixtures.map((f) => `${f.format}/${f.preprocessed ? 'pre' : 'raw'}/${f.activations}`).sort();
    expect(kinds).toEqual(['QDQ/pre/int8', 'QDQ/pre/uint8', 'QDQ/raw/int8', 'QOperator/pre/int8', 'QOperator/pre/uint8', 'QOperator/raw/int8']);
  });

  it('QOperator and QDQ files from the same calibration become the same int8 graph', async () => {
    for (const act of ['s8', 'u8']) {
      const [qdq, qop] = await Promise.all([loadOnnxModel(byName(`qdq_${act}_pre`).path), loadOnnxModel(byName(`qop_${act}_pre`).path)]);
      expect(qop.ops.map((o) => o.type)).toEqual(qdq.ops.map((o) => o.type));
      qdq.ops.forEach((op, k) => {
        const other = qop.ops[k];
        expect(other.attrs).toEqual(op.attrs);
        op.inputs.forEach((id, j) => {
          const [a, b] = [qdq.tensors[id], qop.tensors[other.inputs[j]]];
          expect([b.dtype, b.shape, b.quant?.zeroPoint]).toEqual([a.dtype, a.shape, a.quant?.zeroPoint]);
          expect(b.quant?.scale.map(Math.fround)).toEqual(a.quant?.scale.map(Math.fround));
          if (a.data) expect(Array.from(b.data as Int8Array), `${op.type} #${k} input ${j}`).toEqual(Array.from(a.data as Int8Array));
        });
      });
    }
  });

  // qop_*_pre are the same int8 graph as qdq_*_pre (the test above compares every op, tensor and
  // byte), so their top-1 on the host is the same too: only the other four run all 10,000 images.
  const identicalToQdq = new Set(['qop_s8_pre', 'qop_u8_pre']);
  for (const f of fixtures.filter((x) => !identicalToQdq.has(x.name))) {
    it(`${f.name}: all-int8, top-1 within 0.3 pt of ONNX Runtime's ${(f.ortTop1 * 100).toFixed(2)}%`, { timeout: 600_000 }, async () => {
      const g = await loadOnnxModel(f.path);
      expect(floatIslands(g)).toEqual([]);
      const io = [g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]];
      expect(io.map((t) => t.dtype)).toEqual([f.activations, f.activations]);
      for (const op of g.ops) {
        const boundary = op.type === 'QUANTIZE' && (g.inputs.includes(op.inputs[0]) || g.outputs.includes(op.outputs[0]));
        if (!boundary) expect(`${op.type} ${g.tensors[op.outputs[0]].dtype}`).toBe(`${op.type} int8`);
      }
      const r = await fashionTop1(g);
      console.log(`${f.name}: tinyml host top-1 ${(r.top1 * 100).toFixed(2)}%, ONNX Runtime ${(f.ortTop1 * 100).toFixed(2)}% (${(r.ms / 1000).toFixed(1)} s)`);
      expect(r.samples).toBe(10000);
      expect(Math.abs(r.top1 - f.ortTop1)).toBeLessThanOrEqual(0.003);
    });
  }
});
