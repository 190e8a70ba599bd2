/**
 * Scratch grown into the arena's free room (plan/memory-plan.ts growScratchIntoRoom, applied by
 * codegen/plan-model.ts to layers whose kernel announces `scratchRoomBytes`): a layer's scratch
 * moves into the largest free run of bytes at its step and grows up to what the kernel can use,
 * with the arena and every other buffer's place unchanged. On VWW with int4 weights the two
 * pointwise layers in place at 24x24x32 and 12x12x64 (ops 6 and 10) get room for decoded rows
 * (conv2d_dsp.c), while the arena stays int8's.
 */
import { describe, expect, it } from 'vitest';
import { planUnderBudget } from '../../src/codegen/ram-budget.js';
import { layerInPlaceScratchBytes, layerScratchRoomBytes } from '../../src/codegen/select-kernel.js';
import { stepConstants } from '../../src/codegen/plan-model.js';
import { checkPlan, checkTensorPlacement, growScratchIntoRoom } from '../../src/plan/memory-plan.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { roundWeightsToSubByte } from '../../src/quantize/sub-byte-rounding.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { sharedPath } from '../helpers/shared.js';

const M4: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };
const vww = () => importTfliteFile(sharedPath('models', 'mlperf-tiny', 'vww_96_int8.tflite'));

describe('scratch grown into the room the arena has at its layer', () => {
  it('VWW int4: ops 6 and 10 in place get room, the arena and every other buffer stay as int8 plans them', async () => {
    const int8 = await vww();
    const base = planUnderBudget(int8, M4);
    const r = planUnderBudget(roundWeightsToSubByte(int8, 'int4').graph, M4);
    checkPlan(r.plan);
    checkTensorPlacement(r.prepared.graph, r.plan);
    expect(r.plan.arenaBytes).toBeLessThanOrEqual(base.plan.arenaBytes);
    const size = (k: number) => r.plan.buffers.find((b) => b.scratchOf === k)!.size;
    for (const k of [6, 10]) {
      expect(r.plan.inPlace.has(k)).toBe(true);
      const step = r.prepared.steps[k];
      const announced = layerInPlaceScratchBytes(step, M4, stepConstants(r.prepared, k))!;
      const most = layerScratchRoomBytes(step, M4, stepConstants(r.prepared, k), 'speed', true)!;
      expect(size(k), `op ${k}`).toBeGreaterThan(announced);
      expect(size(k), `op ${k}`).toBeLessThanOrEqual(most);
    }
    // Nothing else is alive beside a layer in place here: its room is the arena less its buffer.
    expect(size(6)).toBe(r.plan.arenaBytes - 24 * 24 * 32);
    expect(size(10)).toBe(r.plan.arenaBytes - 12 * 12 * 64);
    // int8 asks for no room: its plan's scratch is what its kernels announce.
    for (const k of [6, 10]) expect(layerScratchRoomBytes(base.prepared.steps[k], M4, stepConstants(base.prepared, k), 'speed', true)).toBeUndefined();
  });

  it('moves and grows one scratch only, never past `most` nor below its size', async () => {
    const int8 = await vww();
    const { plan, prepared } = planUnderBudget(int8, M4);
    const k = plan.buffers.find((b) => b.scratchOf !== undefined && b.size > 0)!.scratchOf!;
    const before = plan.buffers.find((b) => b.scratchOf === k)!;
    expect(growScratchIntoRoom(plan, k, before.size)).toBe(plan);
    const grown = growScratchIntoRoom(plan, k, before.size + 4096);
    const after = grown.buffers.find((b) => b.scratchOf === k)!;
    expect(after.size).toBeGreaterThanOrEqual(before.size);
    expect(after.size).toBeLessThanOrEqual(before.size + 4096);
    expect(after.offset % plan.alignment).toBe(0);
    expect(grown.scratchOffsets.get(k)).toBe(after.offset);
    expect(grown.arenaBytes).toBe(plan.arenaBytes);
    grown.buffers.forEach((b, i) => b.scratchOf !== k && expect(b).toBe(plan.buffers[i]));
    checkPlan(grown);
    checkTensorPlacement(prepared.graph, grown);
  });
});
