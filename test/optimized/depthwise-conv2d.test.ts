/**
 * depthwise_conv2d_s8_dsp against DEPTHWISE_CONV_2D's evaluate, bit for bit, on random shapes,
 * strides, dilations, padding, zero points, scales and every requantization mode (host build
 * with the portable DSP fallbacks), plus an arm-none-eabi-gcc compile check.
 */
import { describe, expect, it } from 'vitest';
import type { DepthwiseConv2DAttrs, FusedActivation } from '../../src/ir/attrs.js';
import { depthwiseConv2d, type DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_REF } from '../../src/ops/optimized/common.js';
import { depthwiseConv2dDspVariant } from '../../src/ops/optimized/depthwise-conv2d.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';
import { HOST_DSP_TARGET, armToolchainAvailable, compileVariantForArm, evaluateCases, runVariantCasesInC, type VariantCase } from './harness.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'NONE', 'NONE'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

type Kind = 'fast' | 'k3' | 'big-bias' | 'big-scale' | 'tiny-scale';

export function randomDwCase(seed: number, kind: Kind = 'fast', depthMultiplier = 1): VariantCase {
  const r = rng(seed);
  const k3 = kind === 'k3' || r() < 0.3;
  const fh = k3 ? 3 : int(r, 1, 5);
  const fw = k3 ? 3 : int(r, 1, 5);
  const dil = k3 || r() < 0.7 ? 1 : 2;
  const stride = int(r, 1, 2);
  const padding = pick(r, ['SAME', 'VALID'] as const);
  const inH = int(r, (fh - 1) * dil + 1, 12);
  const inW = int(r, (fw - 1) * dil + 1, 12);
  const inC = r() < 0.5 ? 4 * int(r, 1, 5) : int(r, 1, 13);
  const outC = inC * depthMultiplier;
  const batches = r() < 0.15 ? 2 : 1;
  const perChannel = r() < 0.7;
  const a: DepthwiseConv2DAttrs = {
    padding,
    strideH: stride,
    strideW: int(r, 1, 2),
    dilationH: dil,
    dilationW: dil,
    depthMultiplier,
    activation: pick(r, ACTIVATIONS),
  };
  const scales = Array.from({ length: perChannel ? outC : 1 }, () =>
    kind === 'big-scale' ? 0.5 + r() * 3 : kind === 'tiny-scale' ? 2 ** -int(r, 20, 30) : 0.002 + r() * 0.05,
  );
  if (perChannel && r() < 0.3) scales[int(r, 0, scales.length - 1)] = 0;
  const weights = randomInt8(fh * fw * outC, r);
  const biasRange = kind === 'big-bias' ? 2 ** 31 - 1 : 3000;
  const bias = r() < 0.9 ? randomInt32(outC, r, -biasRange, biasRange) : undefined;
  const inSpec = { shape: [batches, inH, inW, inC], dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(r, -128, 127) } };
  const wSpec = {
    shape: [1, fh, fw, outC],
    dtype: 'int8' as const,
    quant: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 3 },
    data: weights,
  };
  const bSpec = bias ? { shape: [outC], dtype: 'int32' as const, data: bias } : undefined;
  const probe = singleOpContext('DEPTHWISE_CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape: [], dtype: 'int8' }]);
  const [shape] = depthwiseConv2d.inferShapes(probe);
  const ctx = singleOpContext('DEPTHWISE_CONV_2D', a, [inSpec, wSpec, bSpec], [
    { shape, dtype: 'int8', quant: { scale: 0.05 + r() * 0.2, zeroPoint: int(r, -128, 127) } },
  ]);
  const params = depthwiseConv2d.prepare(ctx);
  const input = randomInt8(batches * inH * inW * inC, r);
  return { ctx, params, inputs: [input, weights, bias] };
}

function modeOf(c: VariantCase): number {
  const em = depthwiseConv2dDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)) });
  const fn = /conv2d_s8_dsp_([a-z]+)/.exec(em.call)![1];
  return fn === 'fast' ? RQ_FAST : fn === 'folded' ? RQ_FAST_FOLDED : RQ_REF;
}

describe('depthwise_conv2d_s8_dsp vs DEPTHWISE_CONV_2D evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 60; i++) cases.push(randomDwCase(1000 + i, 'fast'));
  for (let i = 0; i < 30; i++) cases.push(randomDwCase(2000 + i, 'k3'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomDwCase(5000 + i, 'tiny-scale'));

  it('covers every requantization mode', () => {
    expect([...new Set(cases.map(modeOf))].sort()).toEqual([RQ_FAST, RQ_FAST_FOLDED, RQ_REF].sort());
  });

  it('accepts int8 with depth multiplier 1 on DSP targets only', () => {
    expect(depthwiseConv2dDspVariant.accepts(cases[0].params, HOST_DSP_TARGET)).toBe(true);
    expect(depthwiseConv2dDspVariant.accepts(cases[0].params, { core: 'host', dsp: false, mve: false })).toBe(false);
    expect(depthwiseConv2dDspVariant.accepts(randomDwCase(7, 'fast', 2).params, HOST_DSP_TARGET)).toBe(false);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks)', () => {
    const got = runVariantCasesInC(depthwiseConv2dDspVariant, cases);
    const want = evaluateCases(depthwiseConv2d, cases);
    cases.forEach((c, i) => {
      const p = c.params as DepthwiseConv2DQuantParams;
      const label = `case ${i}: ${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} d${p.dilationHeight} p${p.padHeight},${p.padWidth} mode ${modeOf(c)}`;
      expect(Array.from(got[i][0]), label).toEqual(Array.from(want[i][0]));
    });
  });

  it.skipIf(!armToolchainAvailable())('compiles for Cortex-M4 without warnings', () => {
    compileVariantForArm(depthwiseConv2dDspVariant, cases.slice(0, 3));
  });
});
