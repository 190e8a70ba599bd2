/**
 * Pointwise -> depthwise pairs run row by row (firmware/kernels/arm/pw_dw_stream_dsp.c, issue
 * #20): random int8 two-layer graphs (a 1x1 convolution, then a depthwise layer of random filter,
 * stride and padding reading its output) planned with the pair streamed, in place over the
 * pointwise input wherever the rule allows, generated for a DSP core and run on the host under
 * AddressSanitizer (24 int8 pairs and 8 with sub-byte weights, which run the sub-byte kernels,
 * side by side in one program): every output equals the reference interpreter's bit for bit, and
 * the tensor between the two layers has no place in the arena.
 *
 * The same on an emulated Cortex-M55 (QEMU mps3-an547, firmware/kernels/mve/pw_dw_stream_mve.c):
 * random int8 pairs generated for Helium, the pointwise layer on the MVE convolution and the
 * depthwise one on the MVE taps kernel (two output rows per call where it transposes two rows'
 * input at once), the other MVE depthwise kernel or the DSP one, built at -O2 and -Os.
 */
import { describe, expect, it } from 'vitest';
import { modelScratchBytes, streamCandidates } from '../../src/codegen/plan-model.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { checkPlan, checkTensorPlacement, planMemory } from '../../src/plan/memory-plan.js';
import { streamPairInPlaceOk, streamPairScratchBytes } from '../../src/codegen/pw-dw-stream.js';
import type { Conv2DQuantParams } from '../../src/ops/conv2d.js';
import type { DepthwiseConv2DQuantParams } from '../../src/ops/depthwise-conv2d.js';
import { runGeneratedModelOnHostAsync } from '../helpers/host-model.js';
import { rng } from '../helpers/op-graph.js';
import { HOST_DSP_TARGET } from './harness.js';
import { roundWeightsToSubByte } from '../../src/quantize/sub-byte-rounding.js';
import { generateModelC } from '../../src/codegen/generate-model.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import { M55_TARGET, runGeneratedModelOnM55 } from '../optimized-mve/harness.js';
import { dwMveTaps, dwTapsCell } from '../../src/ops/optimized-mve/depthwise-conv2d.js';
import { depthwiseConv2dMveVariant } from '../../src/ops/optimized-mve/depthwise-conv2d.js';

const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const int8s = (n: number, r: () => number) => Int8Array.from({ length: n }, () => int(r, -128, 127));

/** input [1,h,w,cin] -> CONV_2D 1x1 -> [1,h,w,c] -> DEPTHWISE_CONV_2D (fh x fw, stride s, padding) -> output. */
function pairGraph(seed: number): Graph {
  const r = rng(seed);
  const h = int(r, 3, 13);
  const w = int(r, 3, 13);
  const cin = int(r, 1, 12);
  const c = r() < 0.6 ? 4 * int(r, 1, 5) : int(r, 2, 13);
  const f = r() < 0.7 ? 3 : int(r, 1, 5);
  const s = int(r, 1, 2);
  const sw = int(r, 1, 2);
  const padding = r() < 0.6 ? ('SAME' as const) : ('VALID' as const);
  const fh = Math.min(f, h);
  const fw = Math.min(f, w);
  const out = (n: number, k: number, st: number) => (padding === 'SAME' ? Math.ceil(n / st) : Math.floor((n - k) / st) + 1);
  const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });
  const perChannel = (axis: number) => ({ scale: Array.from({ length: c }, () => 0.002 + r() * 0.02), zeroPoint: Array(c).fill(0), quantizedDimension: axis });
  const bias = () => Int32Array.from({ length: c }, () => int(r, -3000, 3000));
  const tensors: Tensor[] = [
    { id: 0, name: 'in', shape: [1, h, w, cin], dtype: 'int8', quant: q(0.05 + r() * 0.05, int(r, -128, 127)) },
    { id: 1, name: 'pw_w', shape: [c, 1, 1, cin], dtype: 'int8', quant: perChannel(0), data: int8s(c * cin, r) },
    { id: 2, name: 'pw_b', shape: [c], dtype: 'int32', data: bias() },
    { id: 3, name: 'mid', shape: [1, h, w, c], dtype: 'int8', quant: q(0.1 + r() * 0.2, int(r, -128, 127)) },
    { id: 4, name: 'dw_w', shape: [1, fh, fw, c], dtype: 'int8', quant: perChannel(3), data: int8s(fh * fw * c, r) },
    { id: 5, name: 'dw_b', shape: [c], dtype: 'int32', data: bias() },
    { id: 6, name: 'out', shape: [1, out(h, fh, s), out(w, fw, sw), c], dtype: 'int8', quant: q(0.1 + r() * 0.2, int(r, -128, 127)) },
  ];
  const act = () => (r() < 0.5 ? ('RELU' as const) : ('NONE' as const));
  const base = { dilationH: 1, dilationW: 1 };
  return {
    name: `pair${seed}`,
    tensors,
    ops: [
      { index: 0, type: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], attrs: { ...base, padding: 'VALID', strideH: 1, strideW: 1, activation: act() } },
      { index: 1, type: 'DEPTHWISE_CONV_2D', inputs: [3, 4, 5], outputs: [6], attrs: { ...base, padding, strideH: s, strideW: sw, activation: act(), depthMultiplier: 1 } },
    ],
    inputs: [0],
    outputs: [6],
  } as Graph;
}

/** Independent pairs side by side in one graph (one input and one output each), so one program runs them all. */
function sideBySide(pairs: Graph[]): Graph {
  const tensors: Tensor[] = [];
  const ops: Graph['ops'] = [];
  const inputs: number[] = [];
  const outputs: number[] = [];
  for (const g of pairs) {
    const base = tensors.length;
    g.tensors.forEach((t) => tensors.push({ ...t, id: base + t.id, name: `${g.name}_${t.name}` }));
    g.ops.forEach((op) => ops.push({ ...op, index: ops.length, inputs: op.inputs.map((i) => base + i), outputs: op.outputs.map((i) => base + i) }));
    inputs.push(base + g.inputs[0]);
    outputs.push(base + g.outputs[0]);
  }
  return { name: 'pairs', tensors, ops, inputs, outputs };
}

describe('pointwise -> depthwise pairs row by row (DSP kernels)', () => {
  // Pairs the DSP kernels take (the depthwise kernel wants 2+ channels and a small row scratch).
  const streams = (g: Graph) => streamCandidates(prepareGraph(g), HOST_DSP_TARGET).length === 1;
  const int8Pairs = Array.from({ length: 200 }, (_, i) => pairGraph(31000 + i))
    .filter(streams)
    .slice(0, 24);
  // Then two pairs of each sub-byte width (the sub-byte depthwise kernel wants a multiple of 4 channels).
  const kinds: SubByteKind[] = ['int4', 'int2', 'ternary', 'binary'];
  const subBytePairs = kinds.flatMap((kind, j) => {
    const found: Graph[] = [];
    for (let i = 0; i < 100 && found.length < 2; i++) {
      const g = roundWeightsToSubByte(pairGraph(32000 + 100 * j + i), kind).graph;
      if (streams(g)) found.push(g);
    }
    return found;
  });
  const pairs = [...int8Pairs, ...subBytePairs];
  const prepared = prepareGraph(sideBySide(pairs));

  it('bit-exact with the reference on random pairs, in place where the rule allows (host, AddressSanitizer)', { timeout: 300_000 }, async () => {
    expect(pairs.length).toBe(32);
    const streamed = streamCandidates(prepared, HOST_DSP_TARGET);
    expect(streamed).toEqual(pairs.map((_, i) => ({ producer: 2 * i, consumer: 2 * i + 1 })));
    const inPlaceOk = streamed.filter(({ producer, consumer }) =>
      streamPairInPlaceOk(prepared.steps[producer].params as Conv2DQuantParams, prepared.steps[consumer].params as DepthwiseConv2DQuantParams),
    );
    expect(inPlaceOk.length).toBeGreaterThan(4);
    expect(inPlaceOk.length).toBeLessThan(streamed.length);
    // Every pair the rule allows in place (the planner alone keeps only those that lower the arena).
    const scratch = modelScratchBytes(prepared, HOST_DSP_TARGET).map((bytes, k) => {
      const pair = streamed.find((p) => p.producer === k || p.consumer === k);
      if (!pair) return bytes;
      return k === pair.producer ? 0 : streamPairScratchBytes(prepared.steps[pair.producer].params as Conv2DQuantParams, prepared.steps[k].params as DepthwiseConv2DQuantParams);
    });
    const plan = planMemory(prepared.graph, { scratch, inPlace: inPlaceOk.map((p) => p.consumer), streamed });
    expect([...plan.inPlace].sort((x, y) => x - y)).toEqual(inPlaceOk.map((p) => p.consumer));
    checkPlan(plan);
    checkTensorPlacement(prepared.graph, plan);
    // The tensors between the pairs have no place in the arena.
    for (const { producer } of streamed) expect(plan.offsets.has(prepared.graph.ops[producer].outputs[0])).toBe(false);
    // The sub-byte pairs run the sub-byte kernels (on packed weights), each layer as it would alone.
    const modelC = generateModelC(prepared, plan, { hash: '0'.repeat(64), target: HOST_DSP_TARGET }).files['model/model.c'];
    expect(modelC.match(/_band\([^)]*\) \{\s*tinyml_conv2d_s8_dsp_sb/g)).toHaveLength(8);
    expect(modelC.match(/_band\([^)]*\) \{\s*tinyml_depthwise_conv2d_s8_dsp_sb/g)).toHaveLength(8);
    const r = rng(7);
    const cases = Array.from({ length: 3 }, () => prepared.graph.inputs.map((id) => int8s(prepared.graph.tensors[id].shape.reduce((a, b) => a * b), r)));
    const want = cases.map((ins) => runGraph(prepared, ins).map((o) => new Uint8Array(o.buffer, o.byteOffset, o.byteLength)));
    const got = await runGeneratedModelOnHostAsync(prepared, cases.map((ins) => ins.map((i) => new Uint8Array(i.buffer))), { plan, target: HOST_DSP_TARGET, sanitize: true });
    got.forEach((outs, i) => outs.forEach((o, k) => expect(Array.from(o), `case ${i} pair ${k}`).toEqual(Array.from(want[i][k]))));
  });
});

describe('pointwise -> depthwise pairs row by row (MVE kernels, Cortex-M55)', () => {
  const streams = (g: Graph) => streamCandidates(prepareGraph(g), M55_TARGET).length === 1;
  const dwParams = (g: Graph) => prepareGraph(g).steps[1].params as DepthwiseConv2DQuantParams;
  // The depthwise layer on the other MVE kernel (depthwise_conv2d_mve.c: windows too wide for the taps one).
  const onOtherMve = (g: Graph) => depthwiseConv2dMveVariant.accepts(dwParams(g), M55_TARGET) && !dwMveTaps(dwParams(g));
  const pool = Array.from({ length: 400 }, (_, i) => pairGraph(33000 + i)).filter(streams);
  const pairs = [...pool.filter((g) => !onOtherMve(g)).slice(0, 20), ...pool.filter(onOtherMve).slice(0, 4)];
  const prepared = prepareGraph(sideBySide(pairs));

  it('bit-exact with the reference on random pairs, in place where the rule allows (QEMU mps3-an547, -O2 and -Os)', { timeout: 600_000 }, async () => {
    expect(pairs.length).toBe(24);
    const streamed = streamCandidates(prepared, M55_TARGET);
    expect(streamed).toEqual(pairs.map((_, i) => ({ producer: 2 * i, consumer: 2 * i + 1 })));
    const dw = (k: number) => prepared.steps[k].params as DepthwiseConv2DQuantParams;
    // The depthwise layers cover the taps kernel in bands of two rows and of one, and the others.
    const onTaps = streamed.filter((p) => depthwiseConv2dMveVariant.accepts(dw(p.consumer), M55_TARGET) && dwMveTaps(dw(p.consumer)));
    expect(onTaps.filter((p) => dwTapsCell(dw(p.consumer))!.rows === 2).length).toBeGreaterThan(4);
    expect(onTaps.filter((p) => dwTapsCell(dw(p.consumer))!.rows === 1).length).toBeGreaterThan(0);
    const onOther = streamed.filter((p) => depthwiseConv2dMveVariant.accepts(dw(p.consumer), M55_TARGET) && !dwMveTaps(dw(p.consumer)));
    expect(onOther.length).toBe(4);
    // And some on the DSP depthwise kernel (the MVE ones decline them).
    expect(onTaps.length + onOther.length).toBeLessThan(streamed.length);
    const inPlaceOk = streamed.filter(({ producer, consumer }) =>
      streamPairInPlaceOk(prepared.steps[producer].params as Conv2DQuantParams, dw(consumer)),
    );
    expect(inPlaceOk.length).toBeGreaterThan(4);
    expect(inPlaceOk.length).toBeLessThan(streamed.length);
    const scratch = modelScratchBytes(prepared, M55_TARGET).map((bytes, k) => {
      const pair = streamed.find((p) => p.producer === k || p.consumer === k);
      if (!pair) return bytes;
      return k === pair.producer ? 0 : streamPairScratchBytes(prepared.steps[pair.producer].params as Conv2DQuantParams, dw(k), M55_TARGET);
    });
    const plan = planMemory(prepared.graph, { scratch, inPlace: inPlaceOk.map((p) => p.consumer), streamed });
    expect([...plan.inPlace].sort((x, y) => x - y)).toEqual(inPlaceOk.map((p) => p.consumer));
    checkPlan(plan);
    checkTensorPlacement(prepared.graph, plan);
    for (const { producer } of streamed) expect(plan.offsets.has(prepared.graph.ops[producer].outputs[0])).toBe(false);
    // Every pair on the Helium driver, its pointwise layer on the MVE convolution.
    const modelC = generateModelC(prepared, plan, { hash: '0'.repeat(64), target: M55_TARGET }).files['model/model.c'];
    expect(modelC.match(/tinyml_pw_dw_s8_mve_stream\(/g)).toHaveLength(24);
    expect(modelC.match(/_band\([^)]*\) \{\s*(\(void\)scratch;\s*)?tinyml_conv2d_mve_params band/g)).toHaveLength(24);
    const r = rng(8);
    const cases = Array.from({ length: 3 }, () => prepared.graph.inputs.map((id) => int8s(prepared.graph.tensors[id].shape.reduce((a, b) => a * b), r)));
    const want = cases.map((ins) => runGraph(prepared, ins).map((o) => new Uint8Array(o.buffer, o.byteOffset, o.byteLength)));
    const inputs = cases.map((ins) => ins.map((i) => new Uint8Array(i.buffer)));
    for (const opt of ['-O2', '-Os']) {
      const got = await runGeneratedModelOnM55(prepared, plan, inputs, opt);
      got.forEach((outs, i) => outs.forEach((o, k) => expect(Array.from(o), `${opt} case ${i} pair ${k}`).toEqual(Array.from(want[i][k]))));
    }
  });
});
