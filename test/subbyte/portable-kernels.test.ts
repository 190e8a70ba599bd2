/**
 * The portable sub-byte kernels (firmware/kernels/subbyte.c) against the int8 reference on the
 * decoded weights, bit for bit: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with int4, int2,
 * ternary and binary weights on random shapes, zero points, scales and biases, compiled for the
 * host under AddressSanitizer and UBSan; and the flash the packed weights take.
 */
import { describe, expect, it } from 'vitest';
import { conv2d } from '../../src/ops/conv2d.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { SUBBYTE_VARIANTS } from '../../src/ops/subbyte/index.js';
import { HOST_TARGET } from '../../src/ops/op-def.js';
import { evaluateCases, runVariantCasesInC, values, type VariantCase } from '../optimized/harness.js';
import { randomConvCase, randomDwCase, randomFcCase } from '../optimized/random-cases.js';
import { SUB_BYTE_KINDS, asSubByteCase } from './cases.js';

const OPS: { def: AnyOpDef; name: string; make: (seed: number) => VariantCase }[] = [
  { def: conv2d, name: 'conv2d_s8_subbyte', make: (s) => randomConvCase(s, s % 5 === 0 ? 'pointwise' : s % 7 === 0 ? 'big-bias' : 'fast') },
  { def: depthwiseConv2d, name: 'depthwise_conv2d_s8_subbyte', make: (s) => randomDwCase(s, s % 4 === 0 ? 'k3' : 'fast', s % 3 === 0 ? 2 : 1) },
  { def: fullyConnected, name: 'fully_connected_s8_subbyte', make: (s) => randomFcCase(s, s % 6 === 0 ? 'big-bias' : 'fast') },
];

describe('portable sub-byte kernels vs the int8 reference on decoded weights', () => {
  for (const op of OPS) {
    const variant = SUBBYTE_VARIANTS.find((v) => v.name === op.name)!;
    it(`${op.def.type}: every width bit-exact on random cases (host, ASan/UBSan)`, { timeout: 120_000 }, async () => {
      const cases: VariantCase[] = [];
      SUB_BYTE_KINDS.forEach((kind, k) => {
        for (let i = 0; i < 12; i++) cases.push(asSubByteCase(op.def, op.make(41000 + 100 * k + i), kind, 7 + i));
      });
      expect(cases.every((c) => variant.accepts(c.params, HOST_TARGET))).toBe(true);
      const want = evaluateCases(op.def, cases);
      const got = await runVariantCasesInC(variant, cases);
      cases.forEach((c, i) => expect(values(got[i][0]), `case ${i} (${(c.params as { weightEncoding: string }).weightEncoding})`).toEqual(values(want[i][0])));
    });
  }

  it('stores the weights packed: int4 two per byte, int2 and ternary four, binary eight', () => {
    const c = asSubByteCase(fullyConnected, randomFcCase(5), 'int4', 1);
    const n = (c.inputs[1] as Int8Array).length;
    for (const [kind, bits] of [['int4', 4], ['int2', 2], ['ternary', 2], ['binary', 1]] as const) {
      const k = asSubByteCase(fullyConnected, randomFcCase(5), kind, 1);
      const variant = SUBBYTE_VARIANTS.find((v) => v.name === 'fully_connected_s8_subbyte')!;
      const em = variant.emitC(k.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_TARGET, constants: k.inputs.map((d, i) => (i > 0 ? d : undefined)) });
      expect(em.decls).toContain(`static const uint8_t x_w${bits}[${Math.max(1, Math.ceil((n * bits) / 8))}]`);
      expect(em.call).toContain(`tinyml_fully_connected_s8_w${bits}(`);
      // The int8 weights array is not referenced (the generator then leaves it out of flash).
      expect(em.call + em.decls).not.toMatch(/\bw\b/);
    }
  });

  it('leaves int8 layers to the other kernels', () => {
    const c = randomFcCase(5);
    expect(SUBBYTE_VARIANTS.some((v) => v.accepts(c.params, HOST_TARGET))).toBe(false);
  });
});
