import { describe, expect, it } from 'vitest';
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { DType, TensorData } from '../../src/ir/types.js';
import { UnsupportedOpError, GraphError } from '../../src/errors.js';
import { add, sub, type AddSubParams } from '../../src/ops/add-sub.js';
import { singleOpContext, rng, randomInt8, randomInt16 } from '../helpers/op-graph.js';
import { runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';

type Q = { scale: number; zeroPoint: number };

function ctxFor(type: 'ADD' | 'SUB', dtype: DType, s1: number[], s2: number[], q1?: Q, q2?: Q, qo?: Q, activation: FusedActivation = 'NONE') {
  const def = type === 'ADD' ? add : sub;
  const probe = singleOpContext(type, { activation }, [{ shape: s1, dtype }, { shape: s2, dtype }], [{ shape: [], dtype }]);
  const outShape = def.inferShapes(probe as never)[0];
  return singleOpContext(
    type,
    { activation },
    [
      { shape: s1, dtype, quant: q1 },
      { shape: s2, dtype, quant: q2 },
    ],
    [{ shape: outShape, dtype, quant: qo }],
  );
}

function run(type: 'ADD' | 'SUB', ctx: ReturnType<typeof ctxFor>, a: TensorData, b: TensorData): TensorData {
  const def = type === 'ADD' ? add : sub;
  const p = def.prepare(ctx as never);
  return runOpCasesInTs(def, [{ ctx: ctx as never, params: p, inputs: [a, b] }])[0][0];
}

const q01 = { scale: 0.1, zeroPoint: 0 };
const q02 = { scale: 0.2, zeroPoint: 0 };

describe('ADD/SUB hand-checked', () => {
  it('rounds the half-way sum away from zero, both signs', () => {
    const ctx = ctxFor('ADD', 'int8', [4], [4], q01, q01, q02);
    // 0.3 + 0.4 = 0.7 = 3.5 output steps -> 4; the negated case -> -4.
    const out = run('ADD', ctx, Int8Array.from([3, -3, 1, 127]), Int8Array.from([4, -4, 0, 127]));
    expect(Array.from(out)).toEqual([4, -4, 1, 127]);
  });
  it('SUB rounds -0.5 steps to -1 and saturates', () => {
    const ctx = ctxFor('SUB', 'int8', [3], [3], q01, q01, q02);
    const out = run('SUB', ctx, Int8Array.from([3, 127, -128]), Int8Array.from([4, -128, 127]));
    expect(Array.from(out)).toEqual([-1, 127, -128]);
  });
  it('applies zero points and the fused RELU/RELU6 clamp', () => {
    const qo = { scale: 0.2, zeroPoint: -10 };
    const relu = ctxFor('ADD', 'int8', [3], [3], { scale: 0.1, zeroPoint: 5 }, q01, qo, 'RELU');
    // (x1 - 5) * 0.1 + x2 * 0.1 -> /0.2 - 10, clamped below at the zero point -10.
    expect(Array.from(run('ADD', relu, Int8Array.from([5, 25, -100]), Int8Array.from([0, 20, 0])))).toEqual([-10, 10, -10]);
    const relu6 = ctxFor('ADD', 'int8', [2], [2], q01, q01, q02, 'RELU6');
    expect(Array.from(run('ADD', relu6, Int8Array.from([127, -50]), Int8Array.from([127, 0])))).toEqual([30, 0]);
  });
  it('broadcasts [2,1] with [3] to [2,3]', () => {
    const ctx = ctxFor('ADD', 'int8', [2, 1], [3], q01, q01, q01);
    expect(ctx.outputs[0].shape).toEqual([2, 3]);
    const out = run('ADD', ctx, Int8Array.from([10, 20]), Int8Array.from([1, 2, 3]));
    expect(Array.from(out)).toEqual([11, 12, 13, 21, 22, 23]);
  });
  it('SUB broadcasts a scalar on the left', () => {
    const ctx = ctxFor('SUB', 'int8', [], [2, 2], q01, q01, q01);
    expect(Array.from(run('SUB', ctx, Int8Array.from([10]), Int8Array.from([1, 2, 3, 4])))).toEqual([9, 8, 7, 6]);
  });
  it('int16 uses left shift 15', () => {
    const q = { scale: 1 / 1024, zeroPoint: 0 };
    const ctx = ctxFor('ADD', 'int16', [3], [3], q, q, { scale: 1 / 512, zeroPoint: 0 });
    const p = add.prepare(ctx as never) as AddSubParams & { leftShift: number };
    expect(p.leftShift).toBe(15);
    expect(Array.from(run('ADD', ctx, Int16Array.from([1000, 32767, -3]), Int16Array.from([1001, 32767, 0])))).toEqual([1001, 32767, -2]);
  });
  it('float32 adds and subtracts with the activation clamp', () => {
    const a = ctxFor('ADD', 'float32', [3], [1], undefined, undefined, undefined, 'RELU6');
    expect(Array.from(run('ADD', a, Float32Array.from([1.5, -4, 10]), Float32Array.from([0.25])))).toEqual([1.75, 0, 6]);
    const s = ctxFor('SUB', 'float32', [2], [2]);
    expect(Array.from(run('SUB', s, Float32Array.from([1.5, -4]), Float32Array.from([0.5, 1])))).toEqual([1, -5]);
  });
  it('rejects unsupported dtypes and incompatible shapes', () => {
    const ctx = singleOpContext('ADD', { activation: 'NONE' }, [{ shape: [2], dtype: 'int32' }, { shape: [2], dtype: 'int32' }], [{ shape: [2], dtype: 'int32' }]);
    expect(() => add.prepare(ctx)).toThrow(UnsupportedOpError);
    const mixed = singleOpContext('SUB', { activation: 'NONE' }, [{ shape: [2], dtype: 'int8', quant: q01 }, { shape: [2], dtype: 'int16', quant: q01 }], [{ shape: [2], dtype: 'int8', quant: q01 }]);
    expect(() => sub.prepare(mixed)).toThrow(/int16/);
    const bad = singleOpContext('ADD', { activation: 'NONE' }, [{ shape: [2, 3], dtype: 'int8' }, { shape: [4], dtype: 'int8' }], [{ shape: [2, 3], dtype: 'int8' }]);
    expect(() => add.inferShapes(bad)).toThrow(GraphError);
    expect(() => add.inferShapes(bad)).toThrow(/op #0 ADD/);
  });
  it('SUB computes its multipliers in float32, ADD in double', () => {
    const qa = { scale: 0.0123, zeroPoint: 3 };
    const qb = { scale: 0.0371, zeroPoint: -7 };
    const qo = { scale: 0.0457, zeroPoint: 1 };
    const pa = add.prepare(ctxFor('ADD', 'int8', [1], [1], qa, qb, qo) as never) as { input1Multiplier: number };
    const ps = sub.prepare(ctxFor('SUB', 'int8', [1], [1], qa, qb, qo) as never) as { input1Multiplier: number };
    expect(pa.input1Multiplier).not.toBe(ps.input1Multiplier);
  });
});

function randomShapePair(rand: () => number): [number[], number[]] {
  const rank = 1 + Math.floor(rand() * 5);
  const base = Array.from({ length: rank }, () => 1 + Math.floor(rand() * 4));
  const mk = () => base.map((d) => (rand() < 0.3 ? 1 : d)).slice(Math.floor(rand() * 2) * Math.floor(rand() * rank));
  const r = rand();
  if (r < 0.25) return [base, [...base]];
  if (r < 0.35) return [base, []];
  return [mk(), mk()];
}

function randomCases(type: 'ADD' | 'SUB', dtype: 'int8' | 'int16', n: number, seed: number): CKernelCase[] {
  const rand = rng(seed);
  const def = type === 'ADD' ? add : sub;
  const acts: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
  const cases: CKernelCase[] = [];
  for (let k = 0; k < n; k++) {
    const [s1, s2] = randomShapePair(rand);
    const zp = () => (dtype === 'int8' ? Math.floor(rand() * 256) - 128 : rand() < 0.5 ? 0 : Math.floor(rand() * 200) - 100);
    const sc = () => 0.001 + rand() * 0.2;
    const ctx = ctxFor(type, dtype, s1, s2, { scale: sc(), zeroPoint: zp() }, { scale: sc(), zeroPoint: zp() }, { scale: sc(), zeroPoint: zp() }, acts[Math.floor(rand() * 4)]);
    const n1 = s1.reduce((p, d) => p * d, 1);
    const n2 = s2.reduce((p, d) => p * d, 1);
    const gen = (m: number) => (dtype === 'int8' ? randomInt8(m, rand) : randomInt16(m, rand));
    cases.push({ ctx: ctx as never, params: def.prepare(ctx as never), inputs: [gen(n1), gen(n2)] });
  }
  return cases;
}

describe('ADD/SUB C kernels match evaluate', () => {
  for (const type of ['ADD', 'SUB'] as const) {
    it(`${type} int8 and int16, random shapes/broadcasts/quantization`, () => {
      const def = type === 'ADD' ? add : sub;
      const cases = [...randomCases(type, 'int8', 60, type === 'ADD' ? 1 : 2), ...randomCases(type, 'int16', 40, type === 'ADD' ? 3 : 4)];
      // Params are plain data: a JSON round trip keeps them exactly (no -0, no typed arrays).
      for (const k of cases) expect(JSON.parse(JSON.stringify(k.params))).toEqual(k.params);
      const c = runOpCasesInC(def, cases);
      const ts = runOpCasesInTs(def, cases);
      for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
    });
  }
});

describe('ADD/SUB large int8 tensors (pair-table path of evaluate)', () => {
  it('match the C kernels', () => {
    const rand = rng(8);
    const cases: { def: typeof add; c: CKernelCase }[] = [];
    for (const [type, s2] of [['ADD', [1, 64, 64, 17]], ['SUB', [17]]] as const) {
      const ctx = ctxFor(type, 'int8', [1, 64, 64, 17], [...s2], { scale: 0.05, zeroPoint: 3 }, { scale: 0.02, zeroPoint: -9 }, { scale: 0.06, zeroPoint: 1 }, 'RELU');
      const n2 = s2.reduce((p, d) => p * d, 1);
      const def = type === 'ADD' ? add : sub;
      cases.push({ def, c: { ctx: ctx as never, params: def.prepare(ctx as never), inputs: [randomInt8(64 * 64 * 17, rand), randomInt8(n2, rand)] } });
    }
    for (const { def, c } of cases) {
      expect(Array.from(runOpCasesInC(def, [c])[0][0])).toEqual(Array.from(runOpCasesInTs(def, [c])[0][0]));
    }
  });
});

