/**
 * DIV (float32): the quotient in float32 with broadcasting and the fused activation clamped the
 * way std::min/std::max do it (NaN passes, -0 keeps its sign), and the refusal of quantized DIV.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import type { FusedActivation } from '../../src/ir/attrs.js';
import type { DType } from '../../src/ir/types.js';
import { div } from '../../src/ops/div.js';
import { singleOpContext } from '../helpers/op-graph.js';

function run(aShape: number[], a: number[], bShape: number[], b: number[], activation: FusedActivation = 'NONE', dtype: DType = 'float32'): number[] {
  const spec = (out: number[]) => singleOpContext('DIV', { activation }, [{ shape: aShape, dtype }, { shape: bShape, dtype }], [{ shape: out, dtype }]);
  const ctx = spec(div.inferShapes(spec([]))[0]);
  const out = new Float32Array(ctx.outputs[0].shape.reduce((p, d) => p * d, 1));
  div.evaluate(div.prepare(ctx), [Float32Array.from(a), Float32Array.from(b)], [out]);
  return Array.from(out);
}

describe('DIV float32', () => {
  it('divides element-wise, rounding the quotient to float32', () => {
    expect(run([4], [1, -3, 10, 0.5], [4], [4, 2, 3, 0.25])).toEqual([0.25, -1.5, Math.fround(10 / 3), 2]);
  });

  it('broadcasts either side', () => {
    expect(run([2, 2], [2, 4, 6, 8], [2], [2, 4])).toEqual([1, 1, 3, 2]);
    expect(run([1], [12], [2, 2], [1, 2, 3, 4])).toEqual([12, 6, 4, 3]);
  });

  it('clamps with the fused activation, keeping -0 and NaN as std::min/max do', () => {
    expect(run([4], [-6, 18, 3, 1], [4], [2, 2, 2, 0], 'RELU6')).toEqual([0, 6, 1.5, 6]);
    // TFLite's float bounds are finite ([0, FLT_MAX] for RELU, [lowest, FLT_MAX] for NONE), so
    // a division by zero clamps to FLT_MAX or its negative.
    const [negZero, nan, inf] = run([3], [-0, 0, 1], [3], [1, 0, 0], 'RELU');
    expect(Object.is(negZero, -0)).toBe(true);
    expect(nan).toBeNaN();
    expect(inf).toBe(3.4028234663852886e38);
    expect(run([1], [-1], [1], [0])).toEqual([-3.4028234663852886e38]);
  });

  it('gives what TFLite Micro (host build) gave for a converted float DIV model on these inputs', () => {
    // tflm_host_run on x / y from the TFLite converter: [3.4028235e38, -3.4028235e38, -0, nan,
    // 3.3333333, 0]. (Its NaN had the sign bit set, x86's default NaN; not compared bytewise.)
    const out = run([6], [1, -1, -0, 0, 10, 1e-30], [6], [0, 0, 1, 0, 3, 1e30]);
    expect(out.map((v) => (Number.isNaN(v) ? 'nan' : v))).toEqual([3.4028234663852886e38, -3.4028234663852886e38, -0, 'nan', Math.fround(10 / 3), 0]);
    expect(Object.is(out[2], -0)).toBe(true);
  });

  it('refuses quantized DIV with the types in the message', () => {
    expect(() => run([2], [1, 2], [2], [1, 2], 'NONE', 'int8')).toThrow(UnsupportedOpError);
    expect(() => run([2], [1, 2], [2], [1, 2], 'NONE', 'int8')).toThrow(/int8/);
  });
});
