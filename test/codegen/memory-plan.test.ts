import { describe, expect, it } from 'vitest';
import { importTfliteFile } from '../../src/tflite/import.js';
import { checkPlan, planMemory } from '../../src/plan/memory-plan.js';
import { readFileSync } from 'node:fs';
import { sharedPath } from '../helpers/shared.js';
import { goldenModels } from '../helpers/golden.js';

const reference = JSON.parse(readFileSync(sharedPath('reference/tflm-cmsisnn-qemu-m4.json'), 'utf8')) as {
  models: Record<string, { model: string; cmsisnn: { arenaUsedBytes: number } }>;
};

describe('static memory plan', () => {
  for (const [id, ref] of Object.entries(reference.models)) {
    it(`${id}: valid, at least the lower bound, and no larger than TFLite Micro's arena`, async () => {
      const g = await importTfliteFile(sharedPath(ref.model));
      const plan = planMemory(g);
      checkPlan(plan);
      expect(plan.arenaBytes).toBeGreaterThanOrEqual(plan.lowerBound);
      expect(plan.arenaBytes).toBeLessThanOrEqual(ref.cmsisnn.arenaUsedBytes);
      // Every activation has an offset; constants have none.
      for (const t of g.tensors) expect(plan.offsets.has(t.id), t.name).toBe(t.data === undefined && g.ops.some((o) => o.inputs.includes(t.id) || o.outputs.includes(t.id)));
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
    it(`${id}: arena equals the largest live set (rounded to the alignment)`, async () => {
      const g = await importTfliteFile(sharedPath(reference.models[id].model));
      const plan = planMemory(g);
      checkPlan(plan);
      expect(plan.arenaBytes).toBe(Math.ceil(plan.lowerBound / plan.alignment) * plan.alignment);
    });
  }
});
