/**
 * The 16x8 kernels' int64 requantization (TFLite's MultiplyByQuantizedMultiplier for int64
 * accumulators): defined only for shift in [-31, 7], multiplier >= 0 and |x| < 2^47. The host
 * mirror refuses anything else, prepare refuses every layer that could leave the domain (naming
 * it), and at the domain's edges the host, the C kernels under ASan/UBSan and a Cortex-M4 agree
 * bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { MBQM64_X_LIMIT, multiplyByQuantizedMultiplier64 } from '../../src/fixedpoint.js';
import type { TensorData } from '../../src/ir/types.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import type { AnyOpDef, OpContext } from '../../src/ops/op-def.js';
import { transposeConv } from '../../src/ops/transpose-conv.js';
import { runOpCasesInC } from '../helpers/c-kernel-harness.js';
import { runCProgramOnHost, runCProgramOnM4 } from '../helpers/c-program.js';
import { rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

const LIMIT = MBQM64_X_LIMIT; // 2^47

describe('multiplyByQuantizedMultiplier64: the domain', () => {
  it('refuses shifts outside [-31, 7], negative multipliers and |x| >= 2^47 (undefined in C)', () => {
    for (const [x, m, s] of [
      [1n, 1 << 30, 8],
      [1n, 1 << 30, 15],
      [1n, 1 << 30, 16],
      [1n, 1 << 30, -32],
      [LIMIT, 1 << 30, 0],
      [-LIMIT - 1n, 1 << 30, 0],
      [2n ** 62n, 0x7fffffff, -31],
      [1n, -1, 0],
    ] as const) {
      expect(() => multiplyByQuantizedMultiplier64(x, m, s), `${x} ${m} ${s}`).toThrow(RangeError);
    }
  });

  it('takes the edges of the domain', () => {
    // (2^47 - 1) * 32767 / 2^46 = 65534 - 2^-46 * 32767, + 1/2, floored.
    expect(multiplyByQuantizedMultiplier64(LIMIT - 1n, 0x7fffffff, -31)).toBe(65534);
    expect(multiplyByQuantizedMultiplier64(-LIMIT, 0x7fffffff, -31)).toBe(-65534);
    // 3 * 16384 / 2^8 = 192 (multiplier 2^30 is 16384 in Q15).
    expect(multiplyByQuantizedMultiplier64(3n, 1 << 30, 7)).toBe(192);
    // Results beyond int32 keep their low 32 bits, like C's narrowing on GCC: 2^46 -> 0.
    expect(multiplyByQuantizedMultiplier64(LIMIT - 1n, 1 << 30, 0)).toBe(0);
  });
});

/** Extremes of x, the multiplier and the shift, plus random values across every magnitude. */
function extremeTable(): { xs: bigint[]; ms: number[]; ss: number[] } {
  const rand = rng(4747);
  const xs: bigint[] = [0n, 1n, -1n, 2n, -2n, LIMIT - 1n, -LIMIT, -LIMIT + 1n, LIMIT / 2n, -LIMIT / 2n - 12345n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 40n + 2n ** 39n];
  for (let i = 0; i < 27; i++) {
    const bits = 1 + Math.floor(rand() * 47);
    const mag = BigInt(Math.floor(rand() * 2 ** Math.min(bits, 30))) * 2n ** BigInt(Math.max(0, bits - 30)) + BigInt(Math.floor(rand() * 1024));
    const v = mag >= LIMIT ? LIMIT - 1n : mag;
    xs.push(rand() < 0.5 ? -v : v);
  }
  const ms = [0, 1, 32767, 32768, 98303, 1 << 30, 0x7ffeffff, 0x7fff0000, 0x7fffffff];
  for (let i = 0; i < 4; i++) ms.push((1 << 30) + Math.floor(rand() * (1 << 30)));
  const ss = [-31, -30, -24, -16, -15, -14, -8, -1, 0, 1, 6, 7];
  return { xs, ms, ss };
}

function cProgram(xs: bigint[], ms: number[], ss: number[]): string {
  // INT64_MIN-style literals need the negation outside the constant.
  const lit = (v: bigint): string => (v < 0n ? `(-${-v}LL)` : `${v}LL`);
  return [
    '#include <stdint.h>',
    '#include "tinyml_fixedpoint.h"',
    `static const int64_t xs[${xs.length}] = {${xs.map(lit).join(', ')}};`,
    `static const int32_t ms[${ms.length}] = {${ms.join(', ')}};`,
    `static const int8_t ss[${ss.length}] = {${ss.join(', ')}};`,
    'int main(void) {',
    `  for (int i = 0; i < ${xs.length}; ++i) {`,
    `    for (int j = 0; j < ${ms.length}; ++j) {`,
    `      for (int k = 0; k < ${ss.length}; ++k) {`,
    // volatile: the arithmetic runs on the target, not in the compiler's constant folder.
    '        const int64_t x = *(volatile const int64_t *)&xs[i];',
    '        const int32_t m = *(volatile const int32_t *)&ms[j];',
    '        const int s = *(volatile const int8_t *)&ss[k];',
    '        const int32_t r = tinyml_mbqm64(x, m, s);',
    '        TINYML_TEST_EMIT(&r, 4);',
    '      }',
    '    }',
    '  }',
    '  return 0;',
    '}',
    '',
  ].join('\n');
}

describe('tinyml_mbqm64 == multiplyByQuantizedMultiplier64 at the extremes', () => {
  const { xs, ms, ss } = extremeTable();
  const want: number[] = [];
  for (const x of xs) for (const m of ms) for (const s of ss) want.push(multiplyByQuantizedMultiplier64(x, m, s));
  const asInts = (b: Buffer): number[] => Array.from(new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4));

  it('host C under ASan/UBSan', async () => {
    const got = asInts(await runCProgramOnHost(cProgram(xs, ms, ss)));
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
    // The table reaches the int32 narrowing: (2^47 - 1) * 32767 / 2^8 keeps its low 32 bits.
    expect(want[xs.indexOf(LIMIT - 1n) * ms.length * ss.length + ms.indexOf(0x7fffffff) * ss.length + ss.indexOf(7)]).toBe(-128);
  }, 60_000);

  it('outside the domain the C is undefined: UBSan stops a shift of 15 (so the host run above can fail)', async () => {
    await expect(runCProgramOnHost(cProgram([1n], [1 << 30], [15]))).rejects.toThrow(/shift exponent -1 is negative/);
  }, 60_000);

  it('Cortex-M4 (QEMU), -O2 and -Os', async () => {
    for (const opt of ['-O2', '-Os']) {
      const got = asInts(await runCProgramOnM4(cProgram(xs, ms, ss), [], opt));
      expect(got.length, opt).toBe(want.length);
      expect(got, opt).toEqual(want);
    }
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------
// prepare: the layer's worst case against the domain
// ---------------------------------------------------------------------------------------------

const q = (scale: number) => ({ scale, zeroPoint: 0 });

/** A 16x8 CONV_2D, 1x2x2x2 input, two 2x2 filters; bias int64. */
function conv16(weights: Int8Array, bias: bigint[] | undefined, outScale = 1, inScale = 1, wScale = 1): OpContext {
  return singleOpContext(
    'CONV_2D',
    { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
    [
      { shape: [1, 2, 2, 2], dtype: 'int16', quant: q(inScale) },
      { shape: [2, 2, 2, 2], dtype: 'int8', quant: q(wScale), data: weights },
      bias ? { shape: [2], dtype: 'int64', data: BigInt64Array.from(bias) } : undefined,
    ],
    [{ shape: [1, 1, 1, 2], dtype: 'int16', quant: q(outScale) }],
  );
}

describe('16x8 prepare refuses layers outside the int64 requantization domain', () => {
  const w = Int8Array.from([-128, 127, -128, 127, -128, 127, -128, 127, 1, 2, 3, 4, 5, 6, 7, -8]);
  // Channel 0: sum |w| = 1020, so inputs reach 32768 * 1020 before the bias.
  const reach0 = 32768n * 1020n;

  it('a rescale of 128 or more (shift >= 8), naming the layer', () => {
    expect(() => conv2d.prepare(conv16(w, [0n, 0n], 1 / 128))).toThrow(UnsupportedOpError);
    expect(() => conv2d.prepare(conv16(w, [0n, 0n], 1 / 128))).toThrow(/op #0 CONV_2D \(output 'out\d+'\).*shift 8/);
    expect(() => conv2d.prepare(conv16(w, [0n, 0n], 1 / 1024))).toThrow(/shift 11/);
    // 127.99...: shift 7, the largest TFLite takes.
    expect(() => conv2d.prepare(conv16(w, [0n, 0n], 1 / 127.99))).not.toThrow();
  });

  it('a bias that lets |acc + bias| reach 2^47, with the channel', () => {
    expect(() => conv2d.prepare(conv16(w, [LIMIT - reach0, 0n]))).toThrow(/the layer can accumulate \|acc \+ bias\| up to 140737488355328/);
    expect(() => conv2d.prepare(conv16(w, [-(LIMIT - reach0), 0n]))).toThrow(/2\^47/);
    expect(() => conv2d.prepare(conv16(w, [0n, 2n ** 60n]))).toThrow(UnsupportedOpError);
    expect(() => conv2d.prepare(conv16(w, [LIMIT - 1n - reach0, -(LIMIT - 1n - 32768n * 36n)]))).not.toThrow();
  });

  it('per-channel weights name the channel', () => {
    const ctx = singleOpContext(
      'CONV_2D',
      { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
      [
        { shape: [1, 1, 1, 1], dtype: 'int16', quant: q(1) },
        { shape: [3, 1, 1, 1], dtype: 'int8', quant: { scale: [1, 1, 1], zeroPoint: [0, 0, 0], quantizedDimension: 0 }, data: Int8Array.from([1, 1, 1]) },
        { shape: [3], dtype: 'int64', data: BigInt64Array.from([0n, 0n, LIMIT]) },
      ],
      [{ shape: [1, 1, 1, 3], dtype: 'int16', quant: q(1) }],
    );
    expect(() => conv2d.prepare(ctx)).toThrow(/output channel 2 can accumulate/);
  });

  it('a bias that is not a constant cannot be bounded', () => {
    const ctx = singleOpContext(
      'CONV_2D',
      { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
      [
        { shape: [1, 1, 1, 1], dtype: 'int16', quant: q(1) },
        { shape: [1, 1, 1, 1], dtype: 'int8', quant: q(1), data: Int8Array.from([1]) },
        { shape: [1], dtype: 'int64' },
      ],
      [{ shape: [1, 1, 1, 1], dtype: 'int16', quant: q(1) }],
    );
    expect(() => conv2d.prepare(ctx)).toThrow(/not a constant/);
  });

  it('DEPTHWISE_CONV_2D, FULLY_CONNECTED (with its input offset) and TRANSPOSE_CONV (int64 and int16 bias)', () => {
    const dw = (b: bigint) =>
      singleOpContext(
        'DEPTHWISE_CONV_2D',
        { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 1 },
        [
          { shape: [1, 2, 2, 2], dtype: 'int16', quant: q(1) },
          { shape: [1, 2, 2, 2], dtype: 'int8', quant: q(1), data: Int8Array.from([-128, 1, -128, 1, -128, 1, -128, 1]) },
          { shape: [2], dtype: 'int64', data: BigInt64Array.from([b, 0n]) },
        ],
        [{ shape: [1, 1, 1, 2], dtype: 'int16', quant: q(1) }],
      );
    expect(() => depthwiseConv2d.prepare(dw(LIMIT - 1n - 32768n * 512n))).not.toThrow();
    expect(() => depthwiseConv2d.prepare(dw(LIMIT - 32768n * 512n))).toThrow(/op #0 DEPTHWISE_CONV_2D.*2\^47/);

    // Input zero point 5: inputs + 5 reach -32763..32772, so the reach is 32772 per unit weight.
    const fc = (b: bigint) =>
      singleOpContext(
        'FULLY_CONNECTED',
        { activation: 'NONE', keepNumDims: false },
        [
          { shape: [1, 3], dtype: 'int16', quant: { scale: 1, zeroPoint: -5 } },
          { shape: [1, 3], dtype: 'int8', quant: q(1), data: Int8Array.from([-128, 100, 1]) },
          { shape: [1], dtype: 'int64', data: BigInt64Array.from([b]) },
        ],
        [{ shape: [1, 1], dtype: 'int16', quant: q(1) }],
      );
    expect(() => fullyConnected.prepare(fc(-(LIMIT - 1n - 32772n * 229n)))).not.toThrow();
    expect(() => fullyConnected.prepare(fc(-(LIMIT - 32772n * 229n)))).toThrow(/op #0 FULLY_CONNECTED.*2\^47/);

    const tc = (bias: TensorSpec, outScale = 1) =>
      singleOpContext(
        'TRANSPOSE_CONV',
        { padding: 'VALID', strideH: 2, strideW: 2, activation: 'NONE' },
        [
          { shape: [4], dtype: 'int32', data: Int32Array.from([1, 4, 4, 1]) },
          { shape: [1, 2, 2, 1], dtype: 'int8', quant: q(1), data: Int8Array.from([127, -128, 127, -128]) },
          { shape: [1, 2, 2, 1], dtype: 'int16', quant: q(1) },
          bias,
        ],
        [{ shape: [1, 4, 4, 1], dtype: 'int16', quant: q(outScale) }],
      );
    expect(() => transposeConv.prepare(tc({ shape: [1], dtype: 'int64', data: BigInt64Array.from([LIMIT - 1n - 32768n * 510n]) }))).not.toThrow();
    expect(() => transposeConv.prepare(tc({ shape: [1], dtype: 'int64', data: BigInt64Array.from([LIMIT - 32768n * 510n]) }))).toThrow(/op #0 TRANSPOSE_CONV.*2\^47/);
    expect(() => transposeConv.prepare(tc({ shape: [1], dtype: 'int16', data: Int16Array.from([-32768]) }, 1 / 200))).toThrow(/shift 8/);
  });
});

// ---------------------------------------------------------------------------------------------
// Layers at the edge of the domain: the C kernels (ASan/UBSan) equal evaluate
// ---------------------------------------------------------------------------------------------

function constInputs(ctx: OpContext, activation: TensorData, at: number): (TensorData | undefined)[] {
  return ctx.inputs.map((t, i) => (i === at ? activation : t?.data));
}

function extremeInputs(n: number): Int16Array[] {
  return [new Int16Array(n).fill(-32768), new Int16Array(n).fill(32767), Int16Array.from({ length: n }, (_, i) => (i % 2 ? 32767 : -32768))];
}

function expectCEqualsEvaluate(def: AnyOpDef, cases: { ctx: OpContext; inputs: (TensorData | undefined)[] }[]): void {
  const withParams = cases.map((c) => ({ ...c, params: def.prepare(c.ctx) }));
  const got = runOpCasesInC(def, withParams, { sanitize: true });
  withParams.forEach((c, i) => {
    const t = c.ctx.outputs[0];
    const want = allocTensorData(t.dtype, elementCount(t.shape));
    def.evaluate(c.params, c.inputs, [want]);
    expect(Array.from(got[i][0] as Int16Array), `case ${i}`).toEqual(Array.from(want as Int16Array));
  });
}

describe('16x8 layers at the limit: C kernel == evaluate under ASan/UBSan', () => {
  // Rescales of about 2^-32: accumulators near 2^47 land near the int16 range instead of saturating.
  const scales = [{ i: 2 ** -16, w: 2 ** -16, o: 1 }, { i: 2 ** -16, w: 2 ** -15, o: 1.5 }, { i: 2 ** -10, w: 2 ** -10, o: 2 ** -13 }];
  const w = Int8Array.from([-128, -128, -128, -128, -128, -128, -128, -128, 127, -128, 127, -128, 127, -128, 127, -128]);

  it('CONV_2D', () => {
    const cases = scales.flatMap((s) =>
      [1n, -1n].flatMap((sign) => {
        // Channel 0 reaches 2^47 - 1 (saturates or wraps); channel 1 sits near 2^46, which a
        // rescale of 2^-32 brings to about 16384 (in range, rounding exercised).
        const ctx = conv16(w, [sign * (LIMIT - 1n - 32768n * 1024n), -sign * (LIMIT / 2n + 987654321n)], s.o, s.i, s.w);
        return extremeInputs(8).map((x) => ({ ctx, inputs: constInputs(ctx, x, 0) }));
      }),
    );
    expectCEqualsEvaluate(conv2d as unknown as AnyOpDef, cases);
  });

  it('DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV', () => {
    const dws = scales.map((s) => {
      const ctx = singleOpContext(
        'DEPTHWISE_CONV_2D',
        { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 1 },
        [
          { shape: [1, 2, 2, 2], dtype: 'int16', quant: q(s.i) },
          { shape: [1, 2, 2, 2], dtype: 'int8', quant: q(s.w), data: Int8Array.from([-128, 127, -128, -128, -128, 127, -128, -128]) },
          { shape: [2], dtype: 'int64', data: BigInt64Array.from([LIMIT - 1n - 32768n * 512n, -(LIMIT - 1n - 32768n * 510n)]) },
        ],
        [{ shape: [1, 1, 1, 2], dtype: 'int16', quant: q(s.o) }],
      );
      return ctx;
    });
    expectCEqualsEvaluate(depthwiseConv2d as unknown as AnyOpDef, dws.flatMap((ctx) => extremeInputs(8).map((x) => ({ ctx, inputs: constInputs(ctx, x, 0) }))));

    const fcs = scales.map((s) =>
      singleOpContext(
        'FULLY_CONNECTED',
        { activation: 'NONE', keepNumDims: false },
        [
          { shape: [1, 4], dtype: 'int16', quant: { scale: s.i, zeroPoint: -3 } },
          { shape: [2, 4], dtype: 'int8', quant: q(s.w), data: Int8Array.from([-128, -128, -128, -128, 127, 127, -128, 5]) },
          { shape: [2], dtype: 'int64', data: BigInt64Array.from([-(LIMIT - 1n - 32770n * 512n), LIMIT - 1n - 32770n * 387n]) },
        ],
        [{ shape: [1, 2], dtype: 'int16', quant: q(s.o) }],
      ),
    );
    expectCEqualsEvaluate(fullyConnected as unknown as AnyOpDef, fcs.flatMap((ctx) => extremeInputs(4).map((x) => ({ ctx, inputs: constInputs(ctx, x, 0) }))));

    const tcs = scales.map((s) =>
      singleOpContext(
        'TRANSPOSE_CONV',
        { padding: 'VALID', strideH: 1, strideW: 1, activation: 'NONE' },
        [
          { shape: [4], dtype: 'int32', data: Int32Array.from([1, 3, 3, 1]) },
          { shape: [1, 2, 2, 2], dtype: 'int8', quant: q(s.w), data: Int8Array.from([-128, -128, -128, -128, -128, -128, -128, -128]) },
          { shape: [1, 2, 2, 2], dtype: 'int16', quant: q(s.i) },
          { shape: [1], dtype: 'int64', data: BigInt64Array.from([-(LIMIT - 1n - 32768n * 1024n)]) },
        ],
        [{ shape: [1, 3, 3, 1], dtype: 'int16', quant: q(s.o) }],
      ),
    );
    expectCEqualsEvaluate(transposeConv as unknown as AnyOpDef, tcs.flatMap((ctx) => extremeInputs(8).map((x) => ({ ctx, inputs: constInputs(ctx, x, 2) }))));
  });
});
