import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireHostCompiler } from '../helpers/tools.js';
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { nearestSourceIndex, resizeNearestNeighbor } from '../../src/ops/resize-nearest-neighbor.js';
import type { CKernelCase } from '../helpers/c-kernel-harness.js';
import { runOpCasesInC, runOpCasesInTs } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

interface RCase {
  inShape: number[];
  size: [number, number];
  dtype?: DType;
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

function ctxOf(c: RCase, outShape?: number[]) {
  const dtype = c.dtype ?? 'float32';
  const out = outShape ?? [c.inShape[0], c.size[0], c.size[1], c.inShape[3]];
  return singleOpContext(
    'RESIZE_NEAREST_NEIGHBOR',
    { alignCorners: c.alignCorners ?? false, halfPixelCenters: c.halfPixelCenters ?? false },
    [{ shape: c.inShape, dtype }, { shape: [2], dtype: 'int32', data: Int32Array.from(c.size) }],
    [{ shape: out, dtype }],
  );
}

function run(c: RCase, values: number[]): number[] {
  const ctx = ctxOf(c);
  const params = resizeNearestNeighbor.prepare(ctx);
  const dtype = c.dtype ?? 'float32';
  const input = allocTensorData(dtype, values.length);
  values.forEach((v, i) => ((input as Float32Array)[i] = v));
  const out = allocTensorData(dtype, elementCount(ctx.outputs[0].shape));
  resizeNearestNeighbor.evaluate(params, [input, ctx.inputs[1]!.data], [out]);
  return Array.from(out as Float32Array);
}

describe('RESIZE_NEAREST_NEIGHBOR reference (TFLite test goldens)', () => {
  it('resizes horizontally and vertically', () => {
    expect(run({ inShape: [1, 1, 2, 1], size: [1, 3], dtype: 'int16' }, [-3, 6])).toEqual([-3, -3, 6]);
    expect(run({ inShape: [1, 2, 1, 1], size: [3, 1], dtype: 'int8' }, [3, -9])).toEqual([3, 3, -9]);
  });

  it('resizes in two dimensions, with batches and depth', () => {
    expect(run({ inShape: [1, 2, 2, 1], size: [3, 3] }, [3, 6, 9, 12])).toEqual([3, 3, 6, 3, 3, 6, 9, 9, 12]);
    expect(run({ inShape: [2, 2, 2, 1], size: [3, 3], dtype: 'int8' }, [3, 6, 9, -12, -4, 10, 10, 16])).toEqual([3, 3, 6, 3, 3, 6, 9, 9, -12, -4, -4, 10, -4, -4, 10, 10, 10, 16]);
    expect(run({ inShape: [1, 2, 2, 2], size: [3, 3], dtype: 'int16' }, [3, 4, -6, 10, 10, 12, -14, 16])).toEqual([3, 4, 3, 4, -6, 10, 3, 4, 3, 4, -6, 10, 10, 12, 10, 12, -14, 16]);
  });

  it('align_corners rounds on the (in-1)/(out-1) grid', () => {
    expect(run({ inShape: [1, 2, 2, 1], size: [3, 3], alignCorners: true }, [3, 6, 9, 12])).toEqual([3, 6, 6, 9, 12, 12, 9, 12, 12]);
  });

  it('half_pixel_centers samples at pixel centres', () => {
    expect(run({ inShape: [1, 2, 2, 1], size: [3, 3], halfPixelCenters: true }, [1, 2, 3, 4])).toEqual([1, 2, 2, 3, 4, 4, 3, 4, 4]);
  });

  it('downsamples', () => {
    // 4 -> 2 picks columns 0 and 2; with half pixel centres columns 1 and 3.
    expect(run({ inShape: [1, 1, 4, 1], size: [1, 2] }, [1, 2, 3, 4])).toEqual([1, 3]);
    expect(run({ inShape: [1, 1, 4, 1], size: [1, 2], halfPixelCenters: true }, [1, 2, 3, 4])).toEqual([2, 4]);
    expect(run({ inShape: [1, 1, 4, 1], size: [1, 2], alignCorners: true }, [1, 2, 3, 4])).toEqual([1, 4]);
  });
});

describe('RESIZE_NEAREST_NEIGHBOR index math', () => {
  it('uses float32, not double: 14 -> 20 maps output 10 to row 7 (10 * 0.7f rounds up to 7.0f)', () => {
    // In doubles 10 * 0.699999988... = 6.9999998... would floor to 6.
    expect(nearestSourceIndex(10, 14, 20, false, false)).toBe(7);
  });

  it('align_corners with one output pixel uses in/out and clamps to the input', () => {
    expect(nearestSourceIndex(0, 5, 1, true, false)).toBe(0);
    expect(nearestSourceIndex(0, 5, 1, true, true)).toBe(3);
  });

  it('matches the same float expression compiled by gcc for every small size and mode', () => {
    // Our own C transcription of the float math (int + float offset, float product, floor or
    // round-half-away), compiled with the host compiler, as a cross-check of the JS fround steps.
    const src = `#include <math.h>
#include <stdio.h>
static int nn(int v, int in, int out, int align, int half) {
  const float scale = (align && out > 1) ? (in - 1) / (float)(out - 1) : in / (float)out;
  const float offset = half ? 0.5f : 0.0f;
  const float pos = (v + offset) * scale;
  int r = align ? (int)roundf(pos) : (int)floorf(pos);
  if (r > in - 1) r = in - 1;
  if (half && r < 0) r = 0;
  return r;
}
int main(void) {
  int in, out, mode, v;
  for (in = 1; in <= 40; ++in)
    for (out = 1; out <= 40; ++out)
      for (mode = 0; mode < 4; ++mode)
        for (v = 0; v < out; ++v) printf("%d\\n", nn(v, in, out, mode & 1, mode >> 1));
  return 0;
}
`;
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-rnn-'));
    try {
      writeFileSync(join(dir, 'nn.c'), src);
      execFileSync(requireHostCompiler('gcc'), ['-std=c99', '-O0', '-ffp-contract=off', '-o', join(dir, 'nn'), join(dir, 'nn.c'), '-lm']);
      const lines = execFileSync(join(dir, 'nn'), { maxBuffer: 1 << 24 }).toString().trim().split('\n').map(Number);
      const ours: number[] = [];
      for (let inSize = 1; inSize <= 40; inSize++)
        for (let outSize = 1; outSize <= 40; outSize++)
          for (let mode = 0; mode < 4; mode++)
            for (let v = 0; v < outSize; v++) ours.push(nearestSourceIndex(v, inSize, outSize, (mode & 1) === 1, mode >> 1 === 1));
      expect(ours).toEqual(lines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RESIZE_NEAREST_NEIGHBOR shape rule and errors', () => {
  it('keeps batch and depth', () => {
    expect(resizeNearestNeighbor.inferShapes(ctxOf({ inShape: [2, 5, 7, 3], size: [10, 14] }))).toEqual([[2, 10, 14, 3]]);
  });

  it('rejects non-4-D inputs, bad or run-time size tensors and a wrong declared output', () => {
    expect(() => resizeNearestNeighbor.inferShapes(ctxOf({ inShape: [5, 7, 3], size: [2, 2] }, [1]))).toThrow(GraphError);
    expect(() => resizeNearestNeighbor.inferShapes(ctxOf({ inShape: [1, 5, 7, 3], size: [0, 2] }))).toThrow(GraphError);
    const dyn = singleOpContext('RESIZE_NEAREST_NEIGHBOR', { alignCorners: false, halfPixelCenters: false }, [{ shape: [1, 2, 2, 1], dtype: 'int8' }, { shape: [2], dtype: 'int32' }], [{ shape: [1, 4, 4, 1], dtype: 'int8' }]);
    expect(() => resizeNearestNeighbor.inferShapes(dyn)).toThrow(UnsupportedOpError);
    expect(() => resizeNearestNeighbor.prepare(ctxOf({ inShape: [1, 2, 2, 1], size: [4, 4] }, [1, 4, 3, 1]))).toThrow(GraphError);
  });

  it('rejects unsupported dtypes', () => {
    expect(() => resizeNearestNeighbor.prepare(ctxOf({ inShape: [1, 2, 2, 1], size: [4, 4], dtype: 'int32' }))).toThrow(UnsupportedOpError);
    expect(() => resizeNearestNeighbor.prepare(ctxOf({ inShape: [1, 2, 2, 1], size: [4, 4], dtype: 'uint8' }))).toThrow(/uint8/);
  });
});

describe('RESIZE_NEAREST_NEIGHBOR C kernel', () => {
  it('matches evaluate byte for byte on random sizes, modes and dtypes', () => {
    const rand = rng(31337);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const dtypes: DType[] = ['int8', 'int16', 'float32'];
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 36; k++) {
      const dtype = dtypes[k % 3];
      const c: RCase = { inShape: [int(1, 2), int(1, 8), int(1, 8), int(1, 5)], size: [int(1, 12), int(1, 12)], dtype, alignCorners: rand() < 0.5, halfPixelCenters: rand() < 0.5 };
      const ctx = ctxOf(c);
      const n = elementCount(c.inShape);
      const data: TensorData = dtype === 'int8' ? randomInt8(n, rand) : dtype === 'int16' ? randomInt16(n, rand) : Float32Array.from({ length: n }, () => rand() * 2 - 1);
      cases.push({ ctx, params: resizeNearestNeighbor.prepare(ctx), inputs: [data] });
    }
    const got = runOpCasesInC(resizeNearestNeighbor, cases);
    const want = runOpCasesInTs(resizeNearestNeighbor, cases);
    got.forEach((o, i) => expect(Array.from(new Uint8Array(o[0].buffer)), `case ${i}`).toEqual(Array.from(new Uint8Array(want[i][0].buffer))));
  });
});
