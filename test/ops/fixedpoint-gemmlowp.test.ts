import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireHostCompiler } from '../helpers/tools.js';
import { describe, expect, it } from 'vitest';
import { INT32_MAX, INT32_MIN } from '../../src/fixedpoint.js';
import {
  expOnNegativeValues,
  fixedLogistic,
  fixedTanh,
  getReciprocal,
  lutLookupInt16,
  oneMinusXOverOnePlusXForXIn01,
  oneOverOnePlusXForXIn01,
  roundingDivideByPOT16,
  saturatingDoublingHighMul16,
  saturatingRoundingDoublingHighMul16,
  saturatingRoundingMultiplyByPOT,
} from '../../src/fixedpoint-gemmlowp.js';
import { KERNELS_DIR } from '../helpers/c-kernel-harness.js';
import { rng } from '../helpers/op-graph.js';

// Expected values below were produced by gemmlowp's fixedpoint.h / TFLite's GetReciprocal on the same inputs.
const NEG = [0, -1, -2, -(1 << 20), -(1 << 24), -(1 << 25), -(1 << 26), -(1 << 27), -(1 << 28), -(1 << 29), -(1 << 30), INT32_MIN, INT32_MIN + 1, -123456789, -987654321, -2000000000];
const UNIT = [0, 1, 2, 1 << 20, 1 << 29, 1 << 30, (1 << 30) + 12345, INT32_MAX - 1, INT32_MAX, 123456789, 1999999999];
const ANY = [0, 1, -1, 1 << 27, -(1 << 27), 1 << 29, -(1 << 29), 300000000, -300000000, INT32_MAX, INT32_MIN + 1, INT32_MIN, 77777777, -77777777];
const POT = [0, 1, -1, 1000, -1000, 1 << 28, -(1 << 28), INT32_MAX, INT32_MIN, 5, -5, 6, -6, 7, -7];
const S16 = [0, 1, -1, 32767, -32768, 16384, -16384, 12345, -12345, 255, -255];

describe('gemmlowp fixed-point functions against gemmlowp outputs', () => {
  it('exp_on_negative_values for 0, 4, 5 and 8 integer bits', () => {
    expect(NEG.map((a) => expOnNegativeValues(a, 5))).toEqual([
      2147483647, 2147483124, 2147483093, 2114189749, 1672462419, 1302515042, 790015308, 290630390, 39332546, 720401, 242, 0, 0, 341177383, 872, 0,
    ]);
    expect(NEG.map((a) => expOnNegativeValues(a, 4))).toEqual([
      2147483647, 2147483140, 2147483124, 2130771442, 1895147668, 1672462419, 1302515042, 790015308, 290630390, 39332546, 720401, 242, 242, 855963115, 1368142, 725,
    ]);
    expect(NEG.map((a) => expOnNegativeValues(a, 0))).toEqual([
      2147483647, 2147483155, 2147483154, 2146434846, 2130771442, 2114189749, 2081412406, 2017374176, 1895147668, 1672462419, 1302515042, 790015308, 790015308,
      2027508506, 1355790146, 846177772,
    ]);
    // 8 integer bits exercises the clamp of inputs below -32 to 0.
    expect(NEG.map((a) => expOnNegativeValues(a, 8))).toEqual([2147483647, 2147482900, 2147482644, 1895147668, 290630390, 39332546, 720401, 242, 0, 0, 0, 0, 0, 872, 0, 0]);
  });
  it('1/(1+x) and (1-x)/(1+x) on [0, 1)', () => {
    expect(UNIT.map(oneOverOnePlusXForXIn01)).toEqual([
      2147483647, 2147483647, 2147483647, 2146435584, 1717986914, 1431655762, 1431650282, 1073741820, 1073741820, 2030738432, 1111923858,
    ]);
    expect(UNIT.map(oneMinusXOverOnePlusXForXIn01)).toEqual([
      2147483647, 2147483647, 2147483647, 2145387520, 1288490180, 715827876, 715816916, -8, -8, 1913993216, 76364068,
    ]);
  });
  it('logistic and tanh, including zero, saturation and INT32_MIN', () => {
    expect(ANY.map((a) => fixedLogistic(a, 4))).toEqual([
      1073741824, 1073741948, 1073741699, 1569936226, 577547421, 2108858542, 38625105, 1939959380, 207524267, 2147483406, 241, 241, 1376429544, 771054103,
    ]);
    expect(ANY.map((a) => fixedTanh(a, 4))).toEqual([
      0, 260, -260, 1635510876, -1635510876, 2146043336, -2146043336, 2098890980, -2098890980, 2147483647, -2147483647, -2147483647, 1121618604, -1121618604,
    ]);
    expect(ANY.map((a) => fixedTanh(a, 3))).toEqual([
      0, 248, -248, 992388804, -992388804, 2070233436, -2070233436, 1732435112, -1732435112, 2147483164, -2147483164, -2147483164, 605375440, -605375440,
    ]);
  });
  it('GetReciprocal with 12 integer digits', () => {
    const pos = [1, 2, 3, 1 << 19, (1 << 19) + 1, 1 << 20, 3 << 19, 1 << 30, INT32_MAX, 123456789];
    expect(pos.map((x) => { const r = getReciprocal(x, 12); return [r.reciprocal, r.numBitsOverUnit]; })).toEqual([
      [2147483647, -19], [2147483647, -18], [1431655762, -18], [2147483647, 0], [2147479552, 0], [2147483647, 1], [1431655762, 1], [2147483647, 11], [1073741820, 11], [1167333038, 7],
    ]);
  });
  it('SaturatingRoundingMultiplyByPOT saturates left and rounds right', () => {
    expect(POT.map((x) => saturatingRoundingMultiplyByPOT(x, 3))).toEqual([0, 8, -8, 8000, -8000, 2147483647, -2147483648, 2147483647, -2147483648, 40, -40, 48, -48, 56, -56]);
    expect(POT.map((x) => saturatingRoundingMultiplyByPOT(x, -3))).toEqual([0, 0, 0, 125, -125, 33554432, -33554432, 268435456, -268435456, 1, -1, 1, -1, 1, -1]);
    expect(POT.map((x) => saturatingRoundingMultiplyByPOT(x, 1))).toEqual([0, 2, -2, 2000, -2000, 536870912, -536870912, 2147483647, -2147483648, 10, -10, 12, -12, 14, -14]);
  });
  it('int16 rounding doubling high multiply and rounding divide', () => {
    const got: number[] = [];
    for (const a of S16) for (const b of S16) got.push(saturatingRoundingDoublingHighMul16(a, b));
    expect(got.slice(36, 55)).toEqual([32766, -32767, 16384, -16383, 12345, -12345, 255, -255, 0, -1, 1, -32767, 32767, -16384, 16384, -12345, 12345, -255, 255]);
    expect(got[4 * 11 + 4]).toBe(32767); // -32768 * -32768 saturates
    expect(S16.map((x) => roundingDivideByPOT16(x, 3))).toEqual([0, 0, 0, 4096, -4096, 2048, -2048, 1543, -1543, 32, -32]);
    expect(saturatingDoublingHighMul16(-3, 16384)).toBe(-1); // truncates toward zero (-1.5 -> -1)
    expect(saturatingDoublingHighMul16(3, 16384)).toBe(1);
  });
  it('int16 LUT lookup interpolates between entries', () => {
    const lut = new Int16Array(513);
    for (let i = 0; i < 513; i++) lut[i] = i * 64 - 16384;
    expect(lutLookupInt16(-32768, lut)).toBe(-16384);
    expect(lutLookupInt16(64, lut)).toBe(256 * 64 - 16384 + 32);
    expect(lutLookupInt16(32767, lut)).toBe(16320 + ((64 * 127 + 64) >> 7)); // rounds the interpolation
  });
});

/** Runs C expressions over int arrays with tinyml_gemmlowp.h and returns one int per line. */
function runC(body: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-gemmlowp-'));
  try {
    const src = join(dir, 't.c');
    writeFileSync(src, `#include <stdio.h>\n#include "tinyml_gemmlowp.h"\nint main(void) {\n${body}\n  return 0;\n}\n`);
    execFileSync(requireHostCompiler('gcc'), ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-I', KERNELS_DIR, '-o', join(dir, 'a.out'), src]);
    return execFileSync(join(dir, 'a.out'), { maxBuffer: 1 << 26 }).toString().trim().split('\n').map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tinyml_gemmlowp.h matches the TypeScript twin', () => {
  it('on random operands of every function', () => {
    const rand = rng(2024);
    const r32 = () => Math.floor(rand() * 2 ** 32) | 0;
    const n = 2000;
    const neg: number[] = [], bits: number[] = [], unit: number[] = [], any: number[] = [], pos: number[] = [], pot: number[] = [];
    const a16: number[] = [], b16: number[] = [], e16: number[] = [];
    for (let i = 0; i < n; i++) {
      neg.push(-Math.abs(r32() >> Math.floor(rand() * 31)) | 0);
      bits.push(Math.floor(rand() * 9));
      unit.push(r32() & 0x7fffffff);
      any.push(r32() >> Math.floor(rand() * 31));
      pos.push(Math.max(1, Math.abs(r32() >> Math.floor(rand() * 31))));
      pot.push(Math.floor(rand() * 63) - 31);
      a16.push((r32() << 16) >> 16);
      b16.push((r32() << 16) >> 16);
      e16.push(Math.floor(rand() * 17));
    }
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      const rec = getReciprocal(pos[i], 12);
      expected.push(
        expOnNegativeValues(neg[i], bits[i]),
        oneOverOnePlusXForXIn01(unit[i]),
        oneMinusXOverOnePlusXForXIn01(unit[i]),
        fixedLogistic(any[i], 4),
        fixedTanh(any[i], 4),
        rec.reciprocal,
        rec.numBitsOverUnit,
        saturatingRoundingMultiplyByPOT(any[i], pot[i]),
        saturatingRoundingDoublingHighMul16(a16[i], b16[i]),
        saturatingDoublingHighMul16(a16[i], b16[i]),
        roundingDivideByPOT16(a16[i], e16[i]),
      );
    }
    const arr = (name: string, type: string, xs: number[]) =>
      `  static const ${type} ${name}[${n}] = {${xs.map((x) => (x === INT32_MIN ? '(-2147483647 - 1)' : String(x))).join(',')}};`;
    const body = [
      arr('neg', 'int32_t', neg), arr('bits', 'int', bits), arr('unit', 'int32_t', unit), arr('any', 'int32_t', any),
      arr('pos', 'int32_t', pos), arr('pot', 'int', pot), arr('a16', 'int16_t', a16), arr('b16', 'int16_t', b16), arr('e16', 'int', e16),
      `  for (int i = 0; i < ${n}; ++i) {`,
      '    int nb;',
      '    const int32_t r = tinyml_gl_get_reciprocal(pos[i], 12, &nb);',
      '    printf("%ld\\n%ld\\n%ld\\n%ld\\n%ld\\n%ld\\n%d\\n%ld\\n%d\\n%d\\n%d\\n",',
      '           (long)tinyml_gl_exp_on_negative_values(neg[i], bits[i]),',
      '           (long)tinyml_gl_one_over_one_plus_x_for_x_in_0_1(unit[i]),',
      '           (long)tinyml_gl_one_minus_x_over_one_plus_x_for_x_in_0_1(unit[i]),',
      '           (long)tinyml_gl_logistic(any[i], 4), (long)tinyml_gl_tanh(any[i], 4), (long)r, nb,',
      '           (long)tinyml_srmbpot(any[i], pot[i]), tinyml_srdhm16(a16[i], b16[i]), tinyml_sdhm16(a16[i], b16[i]),',
      '           tinyml_rdbpot16(a16[i], e16[i]));',
      '  }',
    ].join('\n');
    expect(runC(body)).toEqual(expected);
  });
});
