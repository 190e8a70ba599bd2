/**
 * Issues #15 and #16 promise compressed weights at no extra RAM: under the default plan, a model
 * whose weights are sub-byte (int4, int2, ternary, binary) needs an arena no larger than the same
 * model with int8 weights, on the Cortex-M4. The activations are the same; what differed was which
 * layers the planner could run in place or row by row (the sub-byte kernels announced no in-place
 * form, so KWS took 17,344 bytes against int8's 9,344, VWW 46,256 against 28,208, ResNet-8 50,304
 * against 35,456). Planner only (no build): the layer patterns of KWS (stem, depthwise and
 * pointwise in place), VWW (strided stem in place, pointwise -> depthwise pair row by row) and
 * ResNet-8 (3x3 convolution through a row window, residual ADD in place), cut out of the real
 * models with their real weights, rounded to each width.
 *
 * Not yet on the whole of KWS: its sub-byte stem decodes its 5,120-byte int16 layout into the
 * arena (over the 1 KB the kernel keeps on its stack frame), and the stem is where KWS's arena
 * peaks once the other layers run in place. Decoding it a chunk of channels at a time into the
 * frame instead was measured at +288,000 instructions (the windows expanded again per chunk; int2
 * 1.19x int8, over issue #15's 1.11x), so the test pins that gap to exactly the decoded layout.
 * Clustered (lut16) KWS: its pointwise and depthwise LUT kernels run in place now (17,856 bytes
 * before, as plain), with the same gap at the stem; ResNet's 3x3 LUT convolutions run through the
 * row window (51,472 before), their pair table the only extra; VWW's LUT layers have no in-place
 * or row-by-row form yet.
 */
import { describe, expect, it } from 'vitest';
import { planUnderBudget } from '../../src/codegen/ram-budget.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { roundWeightsToSubByte } from '../../src/quantize/sub-byte-rounding.js';
import { clusterInt8Weights } from '../../src/quantize/cluster-int8.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { sharedPath } from '../helpers/shared.js';
import { SUB_BYTE_KINDS } from '../subbyte/cases.js';
import { stemDecodedBytes } from '../../src/ops/optimized/conv2d-stem.js';
import { flashBits } from '../../src/ir/weight-packing.js';
import type { Conv2DQuantParams } from '../../src/ops/conv2d.js';

const M4: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };

/** Ops [first, first + count) of `g` as a model of their own: inputs the activations they read and do not make, outputs what the rest of `g` reads. */
function cutOut(g: Graph, first: number, count: number, name: string): Graph {
  const ops = g.ops.slice(first, first + count);
  const made = new Set(ops.flatMap((op) => op.outputs));
  const ids = [...new Set(ops.flatMap((op) => [...op.inputs, ...op.outputs]).filter((i) => i >= 0))];
  const id = (i: number) => (i < 0 ? i : ids.indexOf(i));
  const later = g.ops.slice(first + count);
  const inputs = ids.filter((i) => !made.has(i) && !g.tensors[i].data);
  const outputs = ids.filter((i) => made.has(i) && (g.outputs.includes(i) || later.some((op) => op.inputs.includes(i)) || i === ops[ops.length - 1].outputs[0]));
  const tensors: Tensor[] = ids.map((i, k) => ({ ...g.tensors[i], id: k }));
  return { ...g, name, tensors, ops: ops.map((op, k) => ({ ...op, index: k, inputs: op.inputs.map(id), outputs: op.outputs.map(id) })), inputs: inputs.map(id), outputs: [...new Set(outputs)].map(id) };
}

const model = (file: string) => importTfliteFile(sharedPath('models', 'mlperf-tiny', file));
const PATTERNS: { name: string; graph: () => Promise<Graph>; inPlace: number }[] = [
  // Depthwise and pointwise layers alternating after the stem: every one of the eight in place.
  { name: 'KWS (4 x depthwise + pointwise)', graph: async () => cutOut(await model('kws_ref_model.tflite'), 1, 8, 'kws_body'), inPlace: 8 },
  // Strided stem in place through a one-row stage, depthwise in place, the 8 -> 16 pointwise and the stride-2 depthwise row by row.
  { name: 'VWW (first seven layers)', graph: async () => cutOut(await model('vww_96_int8.tflite'), 0, 7, 'vww_head'), inPlace: 5 },
  // The first residual block: its second 3x3 convolution through a row window, the ADD over the skip.
  { name: 'ResNet-8 (stem and first block)', graph: async () => cutOut(await model('pretrainedResnet_quant.tflite'), 0, 4, 'resnet_block'), inPlace: 2 },
];

describe('sub-byte weights take no more arena than int8 (default plan, Cortex-M4)', () => {
  it('KWS whole with 16 clusters (lut16): its pointwise and depthwise layers in place too, so no more than int8 plus the stem\'s decoded layout', async () => {
    const int8 = await model('kws_ref_model.tflite');
    const base = planUnderBudget(int8, M4);
    const r = planUnderBudget(clusterInt8Weights(int8, 16).graph, M4);
    // The clustered stem decodes 4-bit indices into the same 5,120-byte layout (sb4's size).
    expect(r.ram.arenaBytes, `lut16: ${r.ram.arenaBytes} B against int8's ${base.ram.arenaBytes} B`).toBeLessThanOrEqual(base.ram.arenaBytes + 5120);
    expect([...r.plan.inPlace].sort()).toEqual([...base.plan.inPlace].sort());
  });

  it('ResNet-8 block with 16 clusters (lut16): the 3x3 convolution through the row window too, no more than int8 plus its larger LUT scratch', async () => {
    const int8 = cutOut(await model('pretrainedResnet_quant.tflite'), 0, 4, 'resnet_block');
    const base = planUnderBudget(int8, M4);
    const r = planUnderBudget(clusterInt8Weights(int8, 16).graph, M4);
    expect([...r.plan.inPlace].sort()).toEqual([...base.plan.inPlace].sort());
    // The LUT kernel's pair table makes its scratch larger than the int8 kernel's at the peak layer.
    const k = 2;
    const extra = r.plan.buffers.find((b) => b.scratchOf === k)!.size - base.plan.buffers.find((b) => b.scratchOf === k)!.size;
    expect(extra).toBeGreaterThan(0);
    expect(r.ram.arenaBytes, `lut16: ${r.ram.arenaBytes} B against int8's ${base.ram.arenaBytes} B`).toBeLessThanOrEqual(base.ram.arenaBytes + extra);
    expect(r.ram.arenaBytes).toBeLessThan(r.ram.plainArenaBytes);
  });

  it('KWS whole: no more than int8 plus its stem\'s decoded layout (the one gap left)', async () => {
    const int8 = await model('kws_ref_model.tflite');
    const base = planUnderBudget(int8, M4);
    const stem = int8.ops[0];
    expect(stem.type).toBe('CONV_2D');
    for (const kind of SUB_BYTE_KINDS) {
      const { graph } = roundWeightsToSubByte(int8, kind);
      const r = planUnderBudget(graph, M4);
      const decoded = stemDecodedBytes(r.prepared.steps[0].params as Conv2DQuantParams, flashBits(kind));
      expect(decoded, kind).toBe(5120);
      expect(r.ram.arenaBytes, `${kind}: ${r.ram.arenaBytes} B against int8's ${base.ram.arenaBytes} B`).toBeLessThanOrEqual(base.ram.arenaBytes + decoded);
      expect([...r.plan.inPlace].sort(), kind).toEqual([...base.plan.inPlace].sort());
    }
  });

  for (const pattern of PATTERNS) {
    it(`${pattern.name}: every width's arena <= int8's, with the same layers in place`, async () => {
      const int8 = await pattern.graph();
      const base = planUnderBudget(int8, M4);
      expect(base.plan.inPlace.size + base.plan.streamed.length).toBeGreaterThanOrEqual(pattern.inPlace);
      for (const kind of SUB_BYTE_KINDS) {
        const { graph, layers } = roundWeightsToSubByte(int8, kind);
        expect(layers).toBeGreaterThan(0);
        const r = planUnderBudget(graph, M4);
        expect(r.ram.arenaBytes, `${kind}: ${r.ram.arenaBytes} B against int8's ${base.ram.arenaBytes} B`).toBeLessThanOrEqual(base.ram.arenaBytes);
        expect([...r.plan.inPlace].sort(), kind).toEqual([...base.plan.inPlace].sort());
        expect(r.plan.streamed, kind).toEqual(base.plan.streamed);
      }
    });
  }
});
