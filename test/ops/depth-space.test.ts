import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import { depthToSpace, spaceToDepth } from '../../src/ops/depth-space.js';
import { singleOpContext, rng, randomInt8 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type Def = typeof depthToSpace | typeof spaceToDepth;
const q = { scale: 0.5, zeroPoint: 3 };

function ctxFor(def: Def, dtype: DType, shape: number[], blockSize: number, outShape?: number[]) {
  const probe = singleOpContext(def.type, { blockSize }, [{ shape, dtype }], [{ shape: [], dtype }]);
  const out = outShape ?? def.inferShapes(probe)[0];
  const quant = dtype === 'float32' ? undefined : q;
  return singleOpContext(def.type, { blockSize }, [{ shape, dtype, quant }], [{ shape: out, dtype, quant }]);
}

function run(def: Def, ctx: ReturnType<typeof ctxFor>, x: TensorData): number[] {
  return Array.from(runOpCasesInTs(def, [{ ctx, params: def.prepare(ctx), inputs: [x] }])[0][0]);
}

/** TFLite's reference index arithmetic, written out per output element (the oracle here). */
function tfliteLoops(type: Def['type'], shape: number[], b: number, x: ArrayLike<number>): number[] {
  const [n, h, w, c] = shape;
  const out: number[] = [];
  if (type === 'DEPTH_TO_SPACE') {
    const oc = c / (b * b);
    for (let i = 0; i < n; i++)
      for (let oh = 0; oh < h * b; oh++)
        for (let ow = 0; ow < w * b; ow++)
          for (let od = 0; od < oc; od++) {
            const id = od + ((oh % b) * b + (ow % b)) * oc;
            out.push(x[((i * h + Math.floor(oh / b)) * w + Math.floor(ow / b)) * c + id]);
          }
    return out;
  }
  const [oh_, ow_, oc] = [h / b, w / b, c * b * b];
  for (let i = 0; i < n; i++)
    for (let oh = 0; oh < oh_; oh++)
      for (let ow = 0; ow < ow_; ow++)
        for (let od = 0; od < oc; od++) {
          const id = od % c;
          const off = Math.floor(od / c);
          const ih = oh * b + Math.floor(off / b);
          const iw = ow * b + (off % b);
          out.push(x[((i * h + ih) * w + iw) * c + id]);
        }
  return out;
}

describe('DEPTH_TO_SPACE / SPACE_TO_DEPTH hand-checked', () => {
  it('DEPTH_TO_SPACE spreads 4 channels of one pixel over a 2x2 block', () => {
    const ctx = ctxFor(depthToSpace, 'int8', [1, 1, 2, 4], 2);
    expect(ctx.outputs[0].shape).toEqual([1, 2, 4, 1]);
    expect(run(depthToSpace, ctx, Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))).toEqual([1, 2, 5, 6, 3, 4, 7, 8]);
  });
  it('SPACE_TO_DEPTH is its inverse', () => {
    const ctx = ctxFor(spaceToDepth, 'int8', [1, 2, 4, 1], 2);
    expect(ctx.outputs[0].shape).toEqual([1, 1, 2, 4]);
    expect(run(spaceToDepth, ctx, Int8Array.from([1, 2, 5, 6, 3, 4, 7, 8]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
  it('follow TFLite reference index arithmetic on random shapes (int8 and float32)', () => {
    const rand = rng(5);
    for (let k = 0; k < 40; k++) {
      const def = k % 2 ? depthToSpace : spaceToDepth;
      const b = 1 + Math.floor(rand() * 3);
      const shape = def === depthToSpace
        ? [1 + Math.floor(rand() * 2), 1 + Math.floor(rand() * 3), 1 + Math.floor(rand() * 3), b * b * (1 + Math.floor(rand() * 3))]
        : [1 + Math.floor(rand() * 2), b * (1 + Math.floor(rand() * 3)), b * (1 + Math.floor(rand() * 3)), 1 + Math.floor(rand() * 3)];
      const len = shape.reduce((p, d) => p * d, 1);
      const x = k % 4 < 2 ? randomInt8(len, rand) : Float32Array.from({ length: len }, () => rand() * 10 - 5);
      const ctx = ctxFor(def, x instanceof Int8Array ? 'int8' : 'float32', shape, b);
      expect(run(def, ctx, x), `case ${k}`).toEqual(tfliteLoops(def.type, shape, b, x));
    }
  });
  it('refuse bad depths and sizes, non-4-D inputs, int16 and a wrong output shape', () => {
    expect(() => ctxFor(depthToSpace, 'int8', [1, 2, 2, 6], 2)).toThrow(/not a multiple of block size/);
    expect(() => ctxFor(spaceToDepth, 'int8', [1, 3, 4, 1], 2)).toThrow(GraphError);
    expect(() => ctxFor(spaceToDepth, 'int8', [2, 4, 1], 2)).toThrow(UnsupportedOpError);
    expect(() => ctxFor(depthToSpace, 'int8', [1, 1, 1, 4], 0)).toThrow(/positive integer/);
    expect(() => depthToSpace.prepare(ctxFor(depthToSpace, 'int16', [1, 1, 1, 4], 2))).toThrow(/int8 or float32/);
    expect(() => spaceToDepth.prepare(ctxFor(spaceToDepth, 'int8', [1, 2, 2, 1], 2, [1, 2, 2, 1]))).toThrow(/gives \[1, 1, 1, 4\]/);
  });
});

describe('DEPTH_TO_SPACE / SPACE_TO_DEPTH C kernel (the transpose walk) matches the reference', () => {
  it('random shapes and block sizes, int8 and float32 (ASan/UBSan)', () => {
    const rand = rng(8);
    for (const def of [depthToSpace, spaceToDepth]) {
      const cases: CKernelCase[] = [];
      for (let k = 0; k < 20; k++) {
        const b = 1 + Math.floor(rand() * 3);
        const shape = def === depthToSpace ? [1 + (k % 2), 1 + (k % 3), 2, b * b * (1 + (k % 2))] : [1 + (k % 2), b * (1 + (k % 3)), b * 2, 1 + (k % 3)];
        const len = shape.reduce((p, d) => p * d, 1);
        const dtype: DType = k % 2 ? 'int8' : 'float32';
        const x = dtype === 'int8' ? randomInt8(len, rand) : Float32Array.from({ length: len }, () => rand() * 10 - 5);
        const ctx = ctxFor(def, dtype, shape, b);
        cases.push({ ctx, params: def.prepare(ctx), inputs: [x] });
      }
      const c = runOpCasesInC(def, cases, { sanitize: true });
      const ts = runOpCasesInTs(def, cases);
      for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `${def.type} case ${i}`).toEqual(Array.from(ts[i][0]));
    }
  });
});
