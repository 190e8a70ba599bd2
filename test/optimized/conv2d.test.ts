/**
 * conv2d_s8_dsp (firmware/kernels/arm/conv2d_dsp.c) against CONV_2D's evaluate, bit for bit, on
 * random shapes, strides, dilations, padding, zero points, per-tensor and per-channel scales and
 * every requantization mode, compiled for the host with the portable DSP fallbacks.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2DAttrs, FusedActivation } from '../../src/ir/attrs.js';
import { conv2d, type Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { conv2dDspVariant } from '../../src/ops/optimized/conv2d.js';
import { RQ_FAST, RQ_FAST_FOLDED, RQ_REF } from '../../src/ops/optimized/common.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';
import { HOST_DSP_TARGET, armToolchainAvailable, compileVariantForArm, evaluateCases, runVariantCasesInC, type VariantCase } from './harness.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'NONE', 'NONE'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** A random int8 conv case. `kind` steers towards a requantization mode. */
export function randomConvCase(seed: number, kind: 'fast' | 'big-bias' | 'big-scale' | 'tiny-scale' | 'pointwise' = 'fast'): VariantCase {
  const r = rng(seed);
  const pointwise = kind === 'pointwise' || r() < 0.2;
  const fh = pointwise ? 1 : int(r, 1, 5);
  const fw = pointwise ? 1 : int(r, 1, 5);
  const dil = pointwise || r() < 0.7 ? 1 : 2;
  const stride = pointwise && r() < 0.7 ? 1 : int(r, 1, 3);
  const padding = pointwise ? 'VALID' : pick(r, ['SAME', 'VALID'] as const);
  const inH = int(r, Math.max(1, (fh - 1) * dil + 1), 11);
  const inW = int(r, Math.max(1, (fw - 1) * dil + 1), 11);
  const inC = r() < 0.5 ? 4 * int(r, 1, 6) : int(r, 1, 13);
  const outC = int(r, 1, 19);
  const batches = r() < 0.15 ? 2 : 1;
  const perChannel = r() < 0.7;
  const a: Conv2DAttrs = {
    padding,
    strideH: stride,
    strideW: pointwise ? stride : int(r, 1, 3),
    dilationH: dil,
    dilationW: dil,
    activation: pick(r, ACTIVATIONS),
  };
  const scales = Array.from({ length: perChannel ? outC : 1 }, () => (kind === 'big-scale' ? 0.5 + r() * 3 : kind === 'tiny-scale' ? 2 ** -int(r, 20, 30) : 0.002 + r() * 0.02));
  if (perChannel && r() < 0.3) scales[int(r, 0, scales.length - 1)] = 0;
  const weights = randomInt8(outC * fh * fw * inC, r);
  const biasRange = kind === 'big-bias' ? 2 ** 31 - 1 : 3000;
  const bias = r() < 0.9 ? randomInt32(outC, r, -biasRange, biasRange) : undefined;
  const inSpec = { shape: [batches, inH, inW, inC], dtype: 'int8' as const, quant: { scale: 0.05 + r() * 0.05, zeroPoint: int(r, -128, 127) } };
  const wSpec = {
    shape: [outC, fh, fw, inC],
    dtype: 'int8' as const,
    quant: { scale: scales, zeroPoint: scales.map(() => 0), quantizedDimension: 0 },
    data: weights,
  };
  const bSpec = bias ? { shape: [outC], dtype: 'int32' as const, data: bias } : undefined;
  const probe = singleOpContext('CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape: [], dtype: 'int8' }]);
  const [shape] = conv2d.inferShapes(probe);
  const ctx = singleOpContext('CONV_2D', a, [inSpec, wSpec, bSpec], [{ shape, dtype: 'int8', quant: { scale: 0.1 + r() * 0.2, zeroPoint: int(r, -128, 127) } }]);
  const params = conv2d.prepare(ctx);
  const input = randomInt8(batches * inH * inW * inC, r);
  return { ctx, params, inputs: [input, weights, bias] };
}

function modeOf(c: VariantCase): number {
  const em = conv2dDspVariant.emitC(c.params, { inputs: ['in', 'w', 'b'], outputs: ['out'] }, { prefix: 'x', target: HOST_DSP_TARGET, constants: c.inputs.map((d, i) => (i > 0 ? d : undefined)) });
  return Number(/\.mode = (\d+)/.exec(em.decls)![1]);
}

describe('conv2d_s8_dsp vs CONV_2D evaluate', () => {
  const cases: VariantCase[] = [];
  for (let i = 0; i < 70; i++) cases.push(randomConvCase(1000 + i, 'fast'));
  for (let i = 0; i < 20; i++) cases.push(randomConvCase(2000 + i, 'pointwise'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(3000 + i, 'big-bias'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(4000 + i, 'big-scale'));
  for (let i = 0; i < 10; i++) cases.push(randomConvCase(5000 + i, 'tiny-scale'));

  it('covers every requantization mode', () => {
    const modes = new Set(cases.map(modeOf));
    expect([...modes].sort()).toEqual([RQ_FAST, RQ_FAST_FOLDED, RQ_REF].sort());
  });

  it('accepts int8, groups 1, on DSP targets only', () => {
    expect(conv2dDspVariant.accepts(cases[0].params, HOST_DSP_TARGET)).toBe(true);
    expect(conv2dDspVariant.accepts(cases[0].params, { core: 'cortex-m3', dsp: false, mve: false })).toBe(false);
    expect(conv2dDspVariant.accepts({ ...(cases[0].params as Conv2DQuantParams), groups: 2 }, HOST_DSP_TARGET)).toBe(false);
  });

  it('bit-exact on random cases (host, portable DSP fallbacks)', () => {
    const got = runVariantCasesInC(conv2dDspVariant, cases);
    const want = evaluateCases(conv2d, cases);
    cases.forEach((c, i) => {
      const p = c.params as Conv2DQuantParams;
      const label = `case ${i}: ${p.inputHeight}x${p.inputWidth}x${p.inputDepth} k${p.filterHeight}x${p.filterWidth} s${p.strideHeight},${p.strideWidth} d${p.dilationHeight} -> ${p.outputHeight}x${p.outputWidth}x${p.outputDepth} mode ${modeOf(c)}`;
      expect(Array.from(got[i][0]), label).toEqual(Array.from(want[i][0]));
    });
  });

  it.skipIf(!armToolchainAvailable())('compiles for Cortex-M4 without warnings', () => {
    compileVariantForArm(conv2dDspVariant, cases.slice(0, 3));
  });
});
