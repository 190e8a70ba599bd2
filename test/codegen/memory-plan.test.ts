import { describe, expect, it } from 'vitest';
import { importTfliteFile } from '../../src/tflite/import.js';
import { checkPlan, planMemory } from '../../src/plan/memory-plan.js';
import { readFileSync } from 'node:fs';
import { modelScratchBytes, planModelMemory } from '../../src/codegen/plan-model.js';
import { prepareGraph } from '../../src/interp/interpreter.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { sharedPath } from '../helpers/shared.js';
import { goldenModels } from '../helpers/golden.js';

const M4: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };
const M3: TargetInfo = { core: 'cortex-m3', dsp: false, mve: false };

const reference = JSON.parse(readFileSync(sharedPath('reference/tflm-cmsisnn-qemu-m4.json'), 'utf8')) as {
  models: Record<string, { model: string; cmsisnn: { arenaUsedBytes: number } }>;
};

describe('static memory plan', () => {
  for (const [id, ref] of Object.entries(reference.models)) {
    it(`${id}: valid, at least the lower bound, and with every kernel's scratch no larger than TFLite Micro's arena`, async () => {
      const g = await importTfliteFile(sharedPath(ref.model));
      const prepared = prepareGraph(g);
      for (const target of [M4, M3]) {
        const plan = planModelMemory(prepared, target);
        checkPlan(plan);
        expect(plan.arenaBytes).toBeGreaterThanOrEqual(plan.lowerBound);
        expect(plan.arenaBytes, `${target.core}`).toBeLessThanOrEqual(ref.cmsisnn.arenaUsedBytes);
        // Every activation has an offset; constants have none.
        for (const t of g.tensors) expect(plan.offsets.has(t.id), t.name).toBe(t.data === undefined && g.ops.some((o) => o.inputs.includes(t.id) || o.outputs.includes(t.id)));
        // Every layer that needs scratch has it, in the arena, for its own op alone.
        const scratch = modelScratchBytes(prepared, target);
        scratch.forEach((bytes, k) => {
          const b = plan.buffers.find((x) => x.scratchOf === k);
          if (bytes === 0) return expect(b).toBeUndefined();
          expect(b).toMatchObject({ size: bytes, firstUse: k, lastUse: k, tensors: [] });
          expect(plan.scratchOffsets.get(k)).toBe(b!.offset);
        });
        if (target === M4) expect(Math.max(...scratch), 'the DSP kernels use scratch').toBeGreaterThan(0);
      }
    });
  }

  it('aliases RESHAPE outputs onto their inputs', async () => {
    const g = await importTfliteFile(goldenModels().find((m) => m.id === 'kws_ref_model')!.modelPath);
    const plan = planMemory(g);
    const reshape = g.ops.find((o) => o.type === 'RESHAPE')!;
    expect(plan.offsets.get(reshape.outputs[0])).toBe(plan.offsets.get(reshape.inputs[0]));
  });
});

describe('planner reaches the lower bound on chains', () => {
  for (const id of ['vww_96_int8', 'kws_ref_model', 'ad01_int8']) {
    it(`${id}: arena equals the largest live set, kernel scratch included (rounded to the alignment)`, async () => {
      const prepared = prepareGraph(await importTfliteFile(sharedPath(reference.models[id].model)));
      for (const plan of [planMemory(prepared.graph), planModelMemory(prepared, M4)]) {
        checkPlan(plan);
        expect(plan.arenaBytes).toBe(Math.ceil(plan.lowerBound / plan.alignment) * plan.alignment);
      }
    });
  }
});

/** A chain in -> op0 -> a -> op1 -> b -> op2 -> out of int8 tensors with the given sizes. */
function chain(sizes: number[]): Graph {
  const tensors: Tensor[] = sizes.map((n, id) => ({ id, name: `t${id}`, shape: [1, n], dtype: 'int8' }));
  const ops = sizes.slice(1).map((_, k) => ({ index: k, type: 'RELU' as const, inputs: [k], outputs: [k + 1], attrs: {} }));
  return { name: 'chain', tensors, ops, inputs: [0], outputs: [sizes.length - 1] };
}

const overlaps = (a: { offset: number; size: number }, b: { offset: number; size: number }) =>
  a.offset < b.offset + b.size && b.offset < a.offset + a.size;

describe('kernel scratch in the memory plan', () => {
  const g = chain([96, 200, 48, 16]);
  const scratch = [64, 304, 0];

  it('gives each layer that needs scratch a buffer alive during that op only, apart from its operands', () => {
    const plan = planMemory(g, { scratch });
    checkPlan(plan);
    expect([...plan.scratchOffsets.keys()].sort()).toEqual([0, 1]);
    for (const k of [0, 1]) {
      const s = plan.buffers.find((b) => b.scratchOf === k)!;
      expect(s).toMatchObject({ firstUse: k, lastUse: k, size: scratch[k], tensors: [] });
      expect(s.offset % plan.alignment).toBe(0);
      for (const t of [...g.ops[k].inputs, ...g.ops[k].outputs]) {
        const tb = plan.buffers.find((b) => b.tensors.includes(t))!;
        expect(overlaps(s, tb), `scratch of op ${k} vs tensor ${t}`).toBe(false);
      }
    }
  });

  it('counts scratch in the lower bound at its own op, and reuses dead bytes rather than adding the largest scratch', () => {
    const plan = planMemory(g, { scratch });
    // op0: 96 + 200 + 64 = 360; op1: 200 + 48 + 304 = 552; op2: 48 + 16 = 64.
    expect(plan.lowerBound).toBe(552);
    expect(plan.arenaBytes).toBe(560);
    const without = planMemory(g);
    expect(without.lowerBound).toBe(296);
    // A static buffer for the largest scratch would make it 296 + 304 = 600 bytes of RAM.
    expect(plan.arenaBytes).toBeLessThan(without.arenaBytes + Math.max(...scratch));
  });

  it('lets the scratch of different layers share bytes (each is dead outside its layer)', () => {
    const g2 = chain([32, 32, 32, 32, 32]);
    const plan = planMemory(g2, { scratch: [512, 512, 512, 512] });
    checkPlan(plan);
    const offs = [...plan.scratchOffsets.values()];
    expect(offs).toHaveLength(4);
    expect(plan.arenaBytes).toBe(576); // 32 + 32 + 512: one scratch's worth, not four
  });

  it('plans no scratch buffer for layers that need none, and refuses scratch for ops the graph lacks', () => {
    expect(planMemory(g, { scratch: [0, 0, 0] }).scratchOffsets.size).toBe(0);
    expect(planMemory(g, { scratch: [0, 0, 0] }).arenaBytes).toBe(planMemory(g).arenaBytes);
    expect(() => planMemory(g, { scratch: [0, 0, 0, 8] })).toThrow(/scratch given for op 3, the graph has 3 ops/);
  });

  it('checkPlan names a scratch buffer that overlaps its own op\'s operand', () => {
    const plan = planMemory(g, { scratch });
    const s = plan.buffers.find((b) => b.scratchOf === 1)!;
    s.offset = plan.buffers.find((b) => b.tensors.includes(2))!.offset;
    expect(() => checkPlan(plan)).toThrow(/scratch of op 1/);
  });
});
