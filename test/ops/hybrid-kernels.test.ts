/**
 * The hybrid (dynamic-range) kernels: float activations, int8 weights, input quantized at run
 * time. The C kernels (firmware/kernels/hybrid_*.c, compiled for the host with -Wall -Wextra
 * -Werror, under AddressSanitizer/UBSan so the planned scratch is shown to be enough) against
 * the host `evaluate` on random shapes: on the host both do the same float32 operations in the
 * same order, so outputs must be identical bit for bit. And the host path against TensorFlow
 * Lite's own interpreter on the hybrid KWS model (reference outputs in test/fixtures/hybrid/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphError, UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation, OpAttrs, OpType, Padding } from '../../src/ir/attrs.js';
import type { Quantization, TensorData } from '../../src/ir/types.js';
import { elementCount } from '../../src/ir/types.js';
import { loadModel } from '../../src/model-file/load-model.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { KernelVariant } from '../../src/ops/kernel-variants.js';
import type { AnyOpDef } from '../../src/ops/op-def.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { depthwiseConv2d } from '../../src/ops/depthwise-conv2d.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import { HYBRID_VARIANTS } from '../../src/ops/hybrid/index.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { KWS_HYBRID_MODEL, MAX_SOFTMAX_DIFFERENCE, argmax, kwsReferenceCases, largestDifference } from '../helpers/kws-hybrid.js';
import { rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';
import { projectRoot } from '../helpers/shared.js';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** The op with its hybrid kernel variant as its C lowering, for the one-op harness. */
function hybridDef(def: AnyOpDef): AnyOpDef {
  const v = HYBRID_VARIANTS.find((x) => x.op === def.type) as KernelVariant;
  return { ...def, emitC: (p, names, ctx) => v.emitC(p, names, ctx), scratchBytes: (p) => v.scratchBytes?.(p) ?? 0 };
}

function randomF32(n: number, rand: () => number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + rand() * (hi - lo);
  return out;
}

function randomI8(n: number, rand: () => number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 255) - 127;
  return out;
}

/** Symmetric int8 weight quantization: one scale, or one per output channel (dimension 0). */
function weightQuant(channels: number, perChannel: boolean, rand: () => number): Quantization {
  const n = perChannel ? channels : 1;
  return {
    scale: Array.from({ length: n }, () => Math.fround(0.001 + rand() * 0.02)),
    zeroPoint: new Array(n).fill(0),
    quantizedDimension: 0,
  };
}

/** Float inputs of varied sign balance, so asymmetric zero points span their range (and one all-zero case). */
function inputRange(rand: () => number): [number, number] {
  const r = rand();
  if (r < 0.05) return [0, 0];
  if (r < 0.25) return [0, 3];
  if (r < 0.45) return [-5, 0];
  return [-1 - rand() * 4, 1 + rand() * 4];
}

function hybridCase<T extends OpType>(def: AnyOpDef, type: T, attrs: OpAttrs[T], inputs: (TensorSpec | undefined)[], input: TensorData): CKernelCase | undefined {
  let shape: number[];
  try {
    [shape] = def.inferShapes(singleOpContext(type, attrs, inputs, [{ shape: [], dtype: 'float32' }]));
  } catch (e) {
    if (e instanceof GraphError) return undefined;
    throw e;
  }
  const ctx = singleOpContext(type, attrs, inputs, [{ shape, dtype: 'float32' }]);
  const params = def.prepare(ctx) as { kind: string };
  expect(params.kind).toBe('hybrid');
  return { ctx, params, inputs: inputs.map((s, i) => (i === 0 ? input : s?.data)) };
}

/** C and evaluate agree bit for bit; returns evaluate's outputs. */
function expectIdentical(def: AnyOpDef, cases: CKernelCase[]): Float32Array[] {
  const c = runOpCasesInC(hybridDef(def), cases, { sanitize: true });
  const ts = runOpCasesInTs(def, cases);
  return cases.map((_, i) => {
    const got = c[i][0] as Float32Array;
    const want = ts[i][0] as Float32Array;
    expect(Array.from(new Uint32Array(got.buffer)), `${def.type} case ${i}`).toEqual(Array.from(new Uint32Array(want.buffer)));
    return want;
  });
}

describe('hybrid C kernels vs the host evaluate on random shapes', () => {
  it('CONV_2D: per-channel (asymmetric input) and per-tensor (symmetric), padding, strides, bias', () => {
    const rand = rng(1818);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    while (cases.length < 40) {
      const inC = ri(1, 9);
      const outC = ri(1, 9);
      const fH = ri(1, 4);
      const fW = ri(1, 4);
      const a: OpAttrs['CONV_2D'] = {
        padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
        strideH: ri(1, 2),
        strideW: ri(1, 2),
        dilationH: 1,
        dilationW: 1,
        activation: ACTIVATIONS[ri(0, 3)],
      };
      const inShape = [ri(1, 2), ri(1, 10), ri(1, 10), inC];
      const fShape = [outC, fH, fW, inC];
      const [lo, hi] = inputRange(rand);
      const c = hybridCase(
        conv2d,
        'CONV_2D',
        a,
        [
          { shape: inShape, dtype: 'float32' },
          { shape: fShape, dtype: 'int8', data: randomI8(elementCount(fShape), rand), quant: weightQuant(outC, rand() < 0.7, rand) },
          rand() < 0.7 ? { shape: [outC], dtype: 'float32', data: randomF32(outC, rand, -1, 1) } : undefined,
        ],
        randomF32(elementCount(inShape), rand, lo, hi),
      );
      if (c) cases.push(c);
    }
    const outs = expectIdentical(conv2d, cases);
    // Not degenerate: most cases have outputs of both signs or nonzero values.
    expect(outs.filter((o) => o.some((v) => v !== 0)).length).toBeGreaterThan(30);
    expect(cases.filter((c) => (c.params as { perChannel: boolean }).perChannel).length).toBeGreaterThan(5);
    expect(cases.filter((c) => !(c.params as { perChannel: boolean }).perChannel).length).toBeGreaterThan(5);
  });

  it('DEPTHWISE_CONV_2D: per-channel weights (asymmetric input), depth multiplier, padding, strides, dilation, bias', () => {
    const rand = rng(1820);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    while (cases.length < 40) {
      const inC = ri(1, 9);
      const mult = rand() < 0.3 ? ri(2, 3) : 1;
      const outC = inC * mult;
      const fH = ri(1, 4);
      const fW = ri(1, 4);
      const a: OpAttrs['DEPTHWISE_CONV_2D'] = {
        padding: (rand() < 0.5 ? 'SAME' : 'VALID') as Padding,
        strideH: ri(1, 2),
        strideW: ri(1, 2),
        dilationH: ri(1, 2),
        dilationW: ri(1, 2),
        activation: ACTIVATIONS[ri(0, 3)],
        depthMultiplier: mult,
      };
      const inShape = [ri(1, 2), ri(1, 10), ri(1, 10), inC];
      const fShape = [1, fH, fW, outC];
      const [lo, hi] = inputRange(rand);
      const c = hybridCase(
        depthwiseConv2d,
        'DEPTHWISE_CONV_2D',
        a,
        [
          { shape: inShape, dtype: 'float32' },
          { shape: fShape, dtype: 'int8', data: randomI8(elementCount(fShape), rand), quant: { ...weightQuant(outC, true, rand), quantizedDimension: 3 } },
          rand() < 0.7 ? { shape: [outC], dtype: 'float32', data: randomF32(outC, rand, -1, 1) } : undefined,
        ],
        randomF32(elementCount(inShape), rand, lo, hi),
      );
      if (c) cases.push(c);
    }
    const outs = expectIdentical(depthwiseConv2d, cases);
    expect(outs.filter((o) => o.some((v) => v !== 0)).length).toBeGreaterThan(30);
  });

  it('FULLY_CONNECTED: symmetric and asymmetric input rows, per-channel and per-tensor weights', () => {
    const rand = rng(1819);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: CKernelCase[] = [];
    while (cases.length < 40) {
      const depth = ri(1, 70);
      const units = ri(1, 20);
      const batches = ri(1, 3);
      const asymmetric = rand() < 0.5;
      const [lo, hi] = inputRange(rand);
      const c = hybridCase(
        fullyConnected,
        'FULLY_CONNECTED',
        { activation: ACTIVATIONS[ri(0, 3)], keepNumDims: false, ...(asymmetric ? { asymmetricQuantizeInputs: true } : {}) },
        [
          { shape: [batches, depth], dtype: 'float32' },
          { shape: [units, depth], dtype: 'int8', data: randomI8(units * depth, rand), quant: weightQuant(units, rand() < 0.5, rand) },
          rand() < 0.7 ? { shape: [units], dtype: 'float32', data: randomF32(units, rand, -1, 1) } : undefined,
        ],
        randomF32(batches * depth, rand, lo, hi),
      );
      if (c) cases.push(c);
    }
    const outs = expectIdentical(fullyConnected, cases);
    expect(outs.filter((o) => o.some((v) => v !== 0)).length).toBeGreaterThan(30);
    expect(cases.filter((c) => (c.params as { asymmetric: boolean }).asymmetric).length).toBeGreaterThan(5);
  });
});

describe('hybrid host path vs TensorFlow Lite', () => {
  it('kws_ref_model_float32 on the host: same top class as TFLite, softmax within 0.06', async () => {
    const prepared = prepareGraph(await loadModel(KWS_HYBRID_MODEL));
    expect(prepared.steps.filter((s) => (s.params as { kind?: string }).kind === 'hybrid').length).toBeGreaterThanOrEqual(5);
    for (const [i, c] of kwsReferenceCases().entries()) {
      const [got] = runGraph(prepared, [c.input]) as Float32Array[];
      expect(argmax(got), `case ${i}`).toBe(argmax(c.output));
      expect(largestDifference(got, c.output), `case ${i}`).toBeLessThanOrEqual(MAX_SOFTMAX_DIFFERENCE);
    }
  });

  // Every conv, depthwise and dense layer hybrid: per-channel weights with asymmetric inputs
  // (kws_all_hybrid) and per-tensor weights with symmetric inputs (kws_all_hybrid_pt). tinyml
  // computes in float32 the operations TFLite's hybrid kernels do, in their order, so outputs are
  // equal to float32 rounding, except where a value falls exactly on a rounding tie of the
  // run-time input quantization (TFLite's x86 build rounds those the other way: one step of one
  // input value), which the bar (same top class, within 0.06) still covers.
  for (const variant of ['kws_all_hybrid', 'kws_all_hybrid_pt']) {
    it(`${variant} (all layers hybrid) on the host agrees with TFLite`, async () => {
      const dir = join(projectRoot(), 'test', 'fixtures', 'hybrid');
      const ref = JSON.parse(readFileSync(join(dir, `${variant}.json`), 'utf8')) as { outputs: number[][] };
      const prepared = prepareGraph(await loadModel(join(dir, `${variant}.tflite`)));
      const types = prepared.steps.filter((s) => (s.params as { kind?: string }).kind === 'hybrid').map((s) => s.op.type);
      expect(new Set(types)).toEqual(new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']));
      const cases = kwsReferenceCases();
      expect(ref.outputs.length).toBe(cases.length);
      let exact = 0;
      for (const [i, c] of cases.entries()) {
        const [got] = runGraph(prepared, [c.input]) as Float32Array[];
        expect(argmax(got), `case ${i}`).toBe(argmax(ref.outputs[i]));
        const d = largestDifference(got, ref.outputs[i]);
        expect(d, `case ${i}`).toBeLessThanOrEqual(MAX_SOFTMAX_DIFFERENCE);
        if (d <= 1e-6) exact++;
      }
      expect(exact, 'cases equal to float32 rounding').toBeGreaterThanOrEqual(cases.length - 2);
    });
  }
});

describe('hybrid layers TFLite has no kernel for are refused with the reason', () => {
  const conv = (attrs: Partial<OpAttrs['CONV_2D']>, filterShape: number[], quant: Quantization, bias?: TensorSpec) =>
    singleOpContext(
      'CONV_2D',
      { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', ...attrs },
      [{ shape: [1, 5, 5, 4], dtype: 'float32' }, { shape: filterShape, dtype: 'int8', data: new Int8Array(elementCount(filterShape)), quant }, bias],
      [{ shape: [1, 3, 3, 2], dtype: 'float32' }],
    );
  const q = (n: number, zp = 0): Quantization => ({ scale: new Array(n).fill(0.01), zeroPoint: new Array(n).fill(zp), quantizedDimension: 0 });

  it('CONV_2D: dilation, groups, weights with a zero point, a non-float bias', () => {
    expect(() => conv2d.prepare(conv({ dilationH: 2 }, [2, 2, 2, 4], q(2)))).toThrow(UnsupportedOpError);
    expect(() => conv2d.prepare(conv({ dilationH: 2 }, [2, 2, 2, 4], q(2)))).toThrow(/groups 1 and dilation 1/);
    expect(() => conv2d.prepare(conv({}, [2, 3, 3, 2], q(2)))).toThrow(/2 group\(s\)/);
    expect(() => conv2d.prepare(conv({}, [2, 3, 3, 4], q(2, 3)))).toThrow(/must be symmetric \(zero point 0\)/);
    expect(() => conv2d.prepare(conv({}, [2, 3, 3, 4], q(2), { shape: [2], dtype: 'int32', data: new Int32Array(2) }))).toThrow(/needs a float32 bias, got int32/);
    expect((conv2d.prepare(conv({}, [2, 3, 3, 4], q(2))) as { kind: string }).kind).toBe('hybrid');
  });

  it('DEPTHWISE_CONV_2D: one weight scale for several channels', () => {
    const ctx = singleOpContext(
      'DEPTHWISE_CONV_2D',
      { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 1 },
      [{ shape: [1, 5, 5, 4], dtype: 'float32' }, { shape: [1, 3, 3, 4], dtype: 'int8', data: new Int8Array(36), quant: { ...q(1), quantizedDimension: 3 } }],
      [{ shape: [1, 3, 3, 4], dtype: 'float32' }],
    );
    expect(() => depthwiseConv2d.prepare(ctx)).toThrow(/needs one weight scale per output channel \(4\)/);
  });

  it('the portable emitC refuses hybrid params (they lower through the hybrid kernel variant)', () => {
    const p = conv2d.prepare(conv({}, [2, 3, 3, 4], q(2)));
    expect(() => conv2d.emitC!(p, { inputs: ['x', 'w', undefined], outputs: ['y'] }, { prefix: 'op0', scratch: 's' })).toThrow(/hybrid kernel variant/);
  });
});

