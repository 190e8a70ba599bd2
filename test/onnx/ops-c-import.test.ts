/**
 * The ONNX converters of issue #13's third op list: Split (SPLIT_V), Exp (EXP), LogSoftmax
 * (LOG_SOFTMAX) and CumSum (CUMSUM), on NCHW models whose axes move in tinyml's NHWC layout,
 * checked numerically (float) against the same computation done on the NCHW data.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../src/errors.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { importOnnx } from '../../src/onnx/import.js';
import { arr, buildModel, int, ints, randomValues, toNhwc, type ModelSpec } from './onnx-builder.js';

const load = (spec: ModelSpec): Graph => importOnnx(buildModel(spec), 'synthetic');
const run = (g: Graph, input: Float32Array): Float32Array[] => runGraph(prepareGraph(g), [input]) as Float32Array[];
const opTypes = (g: Graph): string[] => g.ops.map((o) => o.type);

const shape = [1, 5, 2, 3];
const x = randomValues(30, 7, -2, 2);
const xNhwc = toNhwc(arr(shape, x));
/** NCHW element (c, h, w) of the test input. */
const at = (c: number, h: number, w: number): number => x[(c * 2 + h) * 3 + w];

describe('ONNX Split, Exp, LogSoftmax, CumSum', () => {
  it('Split along the channel axis becomes SPLIT_V along the NHWC channel axis (sizes as an input, opset 13)', () => {
    const g = load({
      inputs: [{ name: 'x', shape }],
      outputs: [{ name: 'a' }, { name: 'b' }],
      initializers: [{ name: 'sizes', dims: [2], type: 7, values: [2, 3] }],
      nodes: [{ op: 'Split', inputs: ['x', 'sizes'], outputs: ['a', 'b'], attrs: { axis: int(1) } }],
    });
    expect(opTypes(g)).toEqual(['SPLIT_V']);
    expect(Array.from(g.tensors[g.ops[0].inputs[2]].data as Int32Array)).toEqual([3]);
    const [a, b] = run(g, xNhwc);
    expect(g.tensors[g.outputs[1]].shape).toEqual([1, 2, 3, 3]);
    const want = (c0: number, cs: number) => toNhwc(arr([1, cs, 2, 3], Array.from({ length: cs * 6 }, (_, i) => at(c0 + Math.floor(i / 6), Math.floor((i % 6) / 3), i % 3))));
    expect(Array.from(a)).toEqual(Array.from(want(0, 2)));
    expect(Array.from(b)).toEqual(Array.from(want(2, 3)));
  });

  it('Split with a split attribute (opset 11) and into equal parts along the last axis', () => {
    const attr = load({
      opset: 11,
      inputs: [{ name: 'x', shape: [4, 6] }],
      outputs: [{ name: 'a' }, { name: 'b' }],
      nodes: [{ op: 'Split', inputs: ['x'], outputs: ['a', 'b'], attrs: { axis: int(0), split: ints([1, 3]) } }],
    });
    expect(Array.from(attr.tensors[attr.ops[0].inputs[1]].data as Int32Array)).toEqual([1, 3]);
    const equal = load({
      inputs: [{ name: 'x', shape: [4, 6] }],
      outputs: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
      nodes: [{ op: 'Split', inputs: ['x'], outputs: ['a', 'b', 'c'], attrs: { axis: int(-1) } }],
    });
    const outs = run(equal, Float32Array.from({ length: 24 }, (_, i) => i));
    expect(outs.map((o) => Array.from(o))).toEqual([0, 1, 2].map((k) => [0, 1, 2, 3].flatMap((r) => [r * 6 + 2 * k, r * 6 + 2 * k + 1])));
    const bad = { inputs: [{ name: 'x', shape: [4, 6] }], outputs: [{ name: 'a' }, { name: 'b' }], initializers: [{ name: 's', dims: [2], type: 7, values: [1, 2] }], nodes: [{ op: 'Split', inputs: ['x', 's'], outputs: ['a', 'b'], attrs: { axis: int(1) } }] };
    expect(() => load(bad)).toThrow(UnsupportedOpError);
  });

  it('Exp becomes EXP', () => {
    const g = load({ inputs: [{ name: 'x', shape }], outputs: [{ name: 'y' }], nodes: [{ op: 'Exp', inputs: ['x'], outputs: ['y'] }] });
    expect(opTypes(g)).toEqual(['EXP']);
    expect(Array.from(run(g, xNhwc)[0])).toEqual(Array.from(xNhwc, (v) => Math.fround(Math.exp(v))));
  });

  it('LogSoftmax along the last axis (or NCHW channels, innermost in NHWC) becomes LOG_SOFTMAX; along H it is refused', () => {
    const g = load({ inputs: [{ name: 'x', shape: [3, 10] }], outputs: [{ name: 'y' }], nodes: [{ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'], attrs: { axis: int(-1) } }] });
    expect(opTypes(g)).toEqual(['LOG_SOFTMAX']);
    const v = Float32Array.from(randomValues(30, 3, -4, 4));
    const y = run(g, v)[0];
    for (let r = 0; r < 3; r++) {
      const row = Array.from(v.subarray(r * 10, r * 10 + 10));
      const lse = Math.log(row.reduce((s, t) => s + Math.exp(t), 0));
      row.forEach((t, c) => expect(y[r * 10 + c]).toBeCloseTo(t - lse, 5));
    }
    const channels = load({ inputs: [{ name: 'x', shape }], outputs: [{ name: 'y' }], nodes: [{ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'], attrs: { axis: int(1) } }] });
    expect(opTypes(channels)).toEqual(['LOG_SOFTMAX']);
    expect(() => load({ inputs: [{ name: 'x', shape }], outputs: [{ name: 'y' }], nodes: [{ op: 'LogSoftmax', inputs: ['x'], outputs: ['y'], attrs: { axis: int(2) } }] })).toThrow(/not the innermost axis/);
  });

  it('CumSum along the NCHW height axis becomes CUMSUM along NHWC axis 1, exclusive and reverse kept', () => {
    const g = load({
      inputs: [{ name: 'x', shape }],
      outputs: [{ name: 'y' }],
      initializers: [{ name: 'axis', dims: [], type: 7, values: [2] }],
      nodes: [{ op: 'CumSum', inputs: ['x', 'axis'], outputs: ['y'], attrs: { exclusive: int(1), reverse: int(1) } }],
    });
    expect(opTypes(g)).toEqual(['CUMSUM']);
    expect(g.ops[0].attrs).toEqual({ exclusive: true, reverse: true });
    expect(Array.from(g.tensors[g.ops[0].inputs[1]].data as Int32Array)).toEqual([1]);
    // Exclusive reverse sum over h (2 rows): row 0 gets row 1, row 1 gets 0.
    const want = Array.from({ length: 30 }, (_, i) => {
      const [c, h, w] = [Math.floor(i / 6), Math.floor((i % 6) / 3), i % 3];
      return h === 0 ? at(c, 1, w) : 0;
    });
    expect(Array.from(run(g, xNhwc)[0])).toEqual(Array.from(toNhwc(arr(shape, want))));
  });
});
