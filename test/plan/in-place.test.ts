/**
 * In-place layers in the memory plan: an in-place op's output shares its input's buffer only
 * when no later op (or view) reads that input and it is not a graph output; the
 * tensor-level check rejects any placement where aliasing overlaps a live tensor.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { checkPlan, checkTensorPlacement, inPlaceAllowed, planMemory } from '../../src/plan/memory-plan.js';
import { planModelMemory } from '../../src/codegen/plan-model.js';
import { prepareGraph } from '../../src/interp/interpreter.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import type { Graph, Op, Tensor } from '../../src/ir/types.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { sharedPath } from '../helpers/shared.js';

const M4: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };
const M3: TargetInfo = { core: 'cortex-m3', dsp: false, mve: false };

function graph(sizes: number[], ops: [string, number[], number][], inputs: number[], outputs: number[]): Graph {
  const tensors: Tensor[] = sizes.map((n, id) => ({ id, name: `t${id}`, shape: [1, n], dtype: 'int8' }));
  const list = ops.map(([type, ins, out], index) => ({ index, type, inputs: ins, outputs: [out], attrs: {} }) as unknown as Op);
  return { name: 'g', tensors, ops: list, inputs, outputs };
}

describe('in-place aliasing in the planner', () => {
  // t0 -> relu -> t1 -> relu -> t2 -> relu -> t3: op 1 may overwrite t1.
  const chain = graph([400, 400, 400, 400], [['RELU', [0], 1], ['RELU', [1], 2], ['RELU', [2], 3]], [0], [3]);

  it('puts the output over its input, with the op\'s scratch elsewhere, and lowers the floor', () => {
    const before = planMemory(chain, { scratch: [0, 48, 0] });
    const plan = planMemory(chain, { scratch: [0, 48, 0], inPlace: [1] });
    checkPlan(plan);
    checkTensorPlacement(chain, plan);
    expect([...plan.inPlace]).toEqual([1]);
    expect(plan.offsets.get(2)).toBe(plan.offsets.get(1));
    expect(before.lowerBound).toBe(848);
    expect(plan.lowerBound).toBe(800); // op 1: one 400-byte buffer and the scratch; ops 0 and 2: two tensors
    const three = graph([400, 400, 400, 400, 16], [['RELU', [0], 1], ['RELU', [1], 2], ['RELU', [2], 3], ['RELU', [3], 4]], [0], [4]);
    const p3 = planMemory(three, { inPlace: [1, 2] });
    checkTensorPlacement(three, p3);
    expect([...p3.inPlace].sort()).toEqual([1, 2]);
    expect(new Set([1, 2, 3].map((t) => p3.offsets.get(t))).size).toBe(1);
  });

  it('a buffer shrinks when a small output replaces a large input in place: the bytes past it are free from then on', () => {
    // t0 (400) -> op 0 in place -> t1 (96) -> op 1 -> t2 (304) -> op 2 -> t3: t1 and t2 fit in t0's 400 bytes.
    const shrink = graph([400, 96, 304, 16], [['RELU', [0], 1], ['RELU', [1], 2], ['RELU', [2], 3]], [0], [3]);
    const plan = planMemory(shrink, { inPlace: [0] });
    checkPlan(plan);
    checkTensorPlacement(shrink, plan);
    expect([...plan.inPlace]).toEqual([0]);
    expect(plan.lowerBound).toBe(400);
    expect(plan.arenaBytes).toBe(400);
    const merged = plan.buffers.find((b) => b.tensors.includes(0))!;
    expect(merged.spans!.map((sp) => sp.size).sort((x, y) => x - y)).toEqual([96, 400]);
  });

  it('refuses an input read by a later op, a graph output, and an input whose view is read later; takes a graph input', () => {
    // t1 feeds op 1 (in place?) and op 2: overwriting it would corrupt op 2's operand.
    const branch = graph([64, 400, 400, 400], [['RELU', [0], 1], ['RELU', [1], 2], ['ADD', [1, 2], 3]], [0], [3]);
    expect([...inPlaceAllowed(branch, [1])]).toEqual([]);
    const plan = planMemory(branch, { inPlace: [1] });
    expect(plan.inPlace.size).toBe(0);
    checkTensorPlacement(branch, plan);
    // A graph input is the model's to overwrite once read (the runtime writes it before every
    // inference); a graph output is not.
    expect([...inPlaceAllowed(chain, [0])]).toEqual([0]);
    expect([...inPlaceAllowed(chain, [2])]).toEqual([2]);
    const toOutput = graph([400, 400, 400], [['RELU', [0], 1], ['RELU', [1], 2]], [0], [1, 2]);
    expect([...inPlaceAllowed(toOutput, [1])]).toEqual([]); // t1 is an output
    // t1 viewed as t2 by a RESHAPE read after op 2.
    const view = graph([64, 400, 400, 400, 400], [['RELU', [0], 1], ['RESHAPE', [1], 2], ['RELU', [1], 3], ['ADD', [2, 3], 4]], [0], [4]);
    expect([...inPlaceAllowed(view, [2])]).toEqual([]);
  });

  it('the tensor-level check fails on an alias that overlaps a live tensor, or one the plan does not declare', () => {
    const branch = graph([64, 400, 400, 400], [['RELU', [0], 1], ['RELU', [1], 2], ['ADD', [1, 2], 3]], [0], [3]);
    const plan = planMemory(branch);
    checkTensorPlacement(branch, plan);
    // What a planner ignoring the later reader would do: t2 over t1.
    plan.offsets.set(2, plan.offsets.get(1)!);
    expect(() => checkTensorPlacement(branch, plan)).toThrow(/tensors 1 and 2 overlap/);
    const ok = planMemory(chain, { inPlace: [1] });
    ok.inPlace.clear();
    expect(() => checkTensorPlacement(chain, ok)).toThrow(/overlap/);
    const s = planMemory(chain, { scratch: [0, 48, 0], inPlace: [1] });
    s.buffers.find((b) => b.scratchOf === 1)!.offset = s.offsets.get(1)!;
    expect(() => checkTensorPlacement(chain, s)).toThrow(/scratch of op 1/);
  });
});

const reference = JSON.parse(readFileSync(sharedPath('reference/tflm-cmsisnn-qemu-m4.json'), 'utf8')) as {
  models: Record<string, { model: string }>;
};

describe('in-place plans of the shared models', () => {
  for (const [id, ref] of Object.entries(reference.models)) {
    it(`${id}: valid tensor by tensor, never larger than without in-place layers`, async () => {
      const prepared = prepareGraph(await importTfliteFile(sharedPath(ref.model)));
      for (const target of [M4, M3]) {
        const base = planModelMemory(prepared, target);
        const plan = planModelMemory(prepared, target, { inPlace: true });
        checkPlan(plan);
        checkTensorPlacement(prepared.graph, plan);
        checkTensorPlacement(prepared.graph, base);
        expect(plan.arenaBytes, target.core).toBeLessThanOrEqual(base.arenaBytes);
        // Depthwise layers, and on the DSP kernel pointwise layers no wider out than in.
        for (const k of plan.inPlace) expect(['DEPTHWISE_CONV_2D', ...(target === M4 ? ['CONV_2D'] : [])]).toContain(prepared.graph.ops[k].type);
        // On M4, KWS's depthwise and pointwise layers (64 channels in and out) all run in place;
        // elsewhere (and on M3) pointwise layers that widen their input, or plain ones, set the peak.
        if (id.startsWith('kws') && target === M4) expect(plan.arenaBytes, `${id} ${target.core}`).toBeLessThan(base.arenaBytes);
      }
    });
  }
});
