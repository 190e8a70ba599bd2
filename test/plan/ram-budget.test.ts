/**
 * The RAM budget planner: without a budget it takes the techniques within 10% extra instructions
 * and reports what each saved against the plain plan and its op-order lower bound; a budget is
 * met with as few techniques as it needs; 'min' takes them all; a budget below what they reach is
 * a RamBudgetError saying by how many bytes; the CLI flag parses or says what it wants.
 */
import { describe, expect, it } from 'vitest';
import { planUnderBudget } from '../../src/codegen/ram-budget.js';
import { planModelMemory } from '../../src/codegen/plan-model.js';
import { checkTensorPlacement } from '../../src/plan/memory-plan.js';
import { prepareGraph } from '../../src/interp/interpreter.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { RamBudgetError } from '../../src/errors.js';
import { parseRamBudget, ramSummary } from '../../src/cli/ram-budget.js';
import { sharedPath } from '../helpers/shared.js';
import { twoBranchGraph } from '../helpers/two-branches.js';

const M4 = { core: 'cortex-m4', dsp: true, mve: false };
const M3 = { core: 'cortex-m3', dsp: false, mve: false };
const kws = await importTfliteFile(sharedPath('models/mlperf-tiny/kws_ref_model.tflite'));
const plainKws = planModelMemory(prepareGraph(kws), M4);

describe('planUnderBudget', () => {
  it('without a budget: in-place depthwise on the M4 at no modelled cost, reported against the plain plan', () => {
    const r = planUnderBudget(kws, M4);
    expect(r.plan.arenaBytes).toBeLessThan(plainKws.arenaBytes);
    expect(r.ram.arenaBytes).toBe(r.plan.arenaBytes);
    expect(r.ram.plainArenaBytes).toBe(plainKws.arenaBytes);
    expect(r.ram.lowerBound).toBe(plainKws.lowerBound);
    const inPlace = r.ram.techniques.find((t) => t.technique === 'in-place')!;
    expect(inPlace).toMatchObject({ applied: true, savedBytes: plainKws.arenaBytes - r.plan.arenaBytes, extraInstructions: 0 });
    expect(r.plan.inPlace.size).toBe(8); // four depthwise and four pointwise layers
    expect(r.ram.budget).toBeUndefined();
    expect(ramSummary(r.ram)).toMatch(/arena [\d,]+ B \(op-order lower bound [\d,]+ B, plain plan [\d,]+ B; in-place saved [\d,]+ B, reorder not used/);
  });

  it('on the M3 (portable kernels, less scratch) in place saves nothing, so the plain plan stays', () => {
    const plain = planModelMemory(prepareGraph(kws), M3);
    const r = planUnderBudget(kws, M3, { ramBudget: 'min' });
    expect(r.plan.arenaBytes).toBe(plain.arenaBytes);
    expect(r.plan.inPlace.size).toBe(0);
    expect(r.ram.techniques.every((t) => !t.applied && t.savedBytes === 0)).toBe(true);
  });

  it('a budget the plain plan meets takes no technique; a tighter one takes in-place', () => {
    const loose = planUnderBudget(kws, M4, { ramBudget: plainKws.arenaBytes });
    expect(loose.plan.arenaBytes).toBe(plainKws.arenaBytes);
    expect(loose.ram.techniques.every((t) => !t.applied)).toBe(true);
    expect(loose.ram.budget).toBe(plainKws.arenaBytes);
    const tight = planUnderBudget(kws, M4, { ramBudget: plainKws.arenaBytes - 1 });
    expect(tight.plan.arenaBytes).toBeLessThanOrEqual(plainKws.arenaBytes - 1);
    expect(tight.plan.inPlace.size).toBeGreaterThan(0);
  });

  it('a budget below the smallest arena is a RamBudgetError saying by how many bytes', () => {
    const min = planUnderBudget(kws, M4, { ramBudget: 'min' });
    const budget = min.plan.arenaBytes - 100;
    let err: unknown;
    try {
      planUnderBudget(kws, M4, { ramBudget: budget });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RamBudgetError);
    expect((err as RamBudgetError).code).toBe('RAM_BUDGET');
    expect((err as Error).message).toContain(`needs ${min.plan.arenaBytes} bytes, 100 more than the RAM budget of ${budget} bytes`);
    expect((err as Error).message).toMatch(/in-place saved \d+ B/);
    expect(() => planUnderBudget(kws, M4, { ramBudget: 0 })).toThrow(RamBudgetError);
    expect(() => planUnderBudget(kws, M4, { ramBudget: 1.5 })).toThrow(/positive whole number/);
  });

  it("'min' and the default also reorder a branchy graph (same ops), and forced-off techniques stay off", () => {
    const branchy = twoBranchGraph();
    const plain = planModelMemory(prepareGraph(branchy), M4);
    for (const ramBudget of [undefined, 'min'] as const) {
      const r = planUnderBudget(branchy, M4, ramBudget ? { ramBudget } : {});
      const reorder = r.ram.techniques.find((t) => t.technique === 'reorder')!;
      expect(reorder.applied).toBe(true);
      expect(reorder.savedBytes).toBe(plain.arenaBytes - r.plan.arenaBytes);
      expect(r.plan.arenaBytes).toBeLessThan(plain.arenaBytes);
      expect(r.graph.ops.map((o) => o.index)).toEqual([0, 2, 1, 3, 4]);
    }
    const off = planUnderBudget(branchy, M4, { ramBudget: 'min', reorder: false });
    expect(off.plan.arenaBytes).toBe(plain.arenaBytes);
    expect(off.graph).toBe(branchy);
  });
});

/** The technique's report entry, checked applied and saving the whole difference to the plain plan. */
function appliedAlone(r: ReturnType<typeof planUnderBudget>, name: string) {
  const t = r.ram.techniques.find((x) => x.technique === name)!;
  expect(t.applied).toBe(true);
  expect(t.savedBytes).toBe(r.ram.plainArenaBytes - r.ram.arenaBytes);
  expect(r.ram.extraInstructionShare).toBeGreaterThan(0);
  expect(r.ram.extraInstructionShare).toBeLessThan(0.1);
  expect(ramSummary(r.ram)).toMatch(new RegExp(`${name} saved [\\d,]+ B`));
  checkTensorPlacement(r.graph, r.plan);
  return t;
}

describe('row-window convolutions (ResNet-8 on the M4)', () => {
  const resnet = importTfliteFile(sharedPath('models/mlperf-tiny/pretrainedResnet_quant.tflite'));

  it('by default each block\'s second conv runs in place through a row window and its ADD over the skip: arena <= 0.75x the op-order lower bound', async () => {
    const g = await resnet;
    const r = planUnderBudget(g, M4);
    appliedAlone(r, 'row-window');
    expect(r.ram.arenaBytes).toBeLessThanOrEqual(0.75 * r.ram.lowerBound);
    // The first block's second conv (op 2) and its ADD (op 3).
    expect([...r.plan.inPlace]).toEqual(expect.arrayContaining([2, 3]));
  });

  it('forced off, or on the M3 (no row-window kernel), the arena stays at the plain plan', async () => {
    const g = await resnet;
    const off = planUnderBudget(g, M4, { rowWindow: false });
    expect(off.plan.arenaBytes).toBe(off.ram.plainArenaBytes);
    expect(off.ram.techniques.find((t) => t.technique === 'row-window')).toMatchObject({ applied: false, savedBytes: 0 });
    const m3 = planUnderBudget(g, M3, { ramBudget: 'min' });
    expect(m3.plan.arenaBytes).toBe(m3.ram.plainArenaBytes);
  });
});

describe('pointwise -> depthwise pairs row by row (VWW on the M4)', () => {
  const vww = importTfliteFile(sharedPath('models/mlperf-tiny/vww_96_int8.tflite'));

  it('by default the 48x48x16 pointwise output is never stored whole, the widening pointwise layer and the stem run in place, the stem with no scratch: the arena is the input alone, <= 0.5x the lower bound', async () => {
    const g = await vww;
    const r = planUnderBudget(g, M4);
    checkTensorPlacement(r.graph, r.plan);
    expect(r.plan.streamed).toEqual([{ producer: 2, consumer: 3 }]); // only the pair at the peak
    expect(r.plan.offsets.has(g.ops[2].outputs[0])).toBe(false);
    // The stem (no scratch: its row and columns on input bytes already read), the first
    // depthwise layer, and the 24x24x16 -> 24x24x32 pointwise layer (runs from the last pixel down).
    expect([...r.plan.inPlace]).toEqual(expect.arrayContaining([0, 1, 4]));
    expect([...(r.plan.tightInPlace ?? [])]).toEqual([0]);
    expect(r.plan.scratchOffsets.has(0)).toBe(false);
    const input = 96 * 96 * 3;
    expect(r.ram.arenaBytes).toBe(input);
    expect(r.ram.arenaBytes).toBeLessThanOrEqual(0.5 * r.ram.lowerBound);
    expect(r.ram.lowerBound).toBe(55_360);
    const tight = r.ram.techniques.find((t) => t.technique === 'tight-in-place')!;
    expect(tight).toMatchObject({ applied: true, savedBytes: 560 });
    expect(tight.extraInstructions).toBeGreaterThan(0);
    expect(r.ram.techniques.find((t) => t.technique === 'row-stream')!.applied).toBe(true);
    expect(r.ram.extraInstructionShare).toBeLessThan(0.1);
    expect(ramSummary(r.ram)).toMatch(/tight-in-place saved 560 B/);
    // Forced off, the stem keeps its 384-byte row stage and 166 bytes of columns beside the input.
    const noTight = planUnderBudget(g, M4, { tightInPlace: false });
    expect(noTight.ram.arenaBytes).toBe(Math.ceil((input + 384 + 166) / 16) * 16);
    expect(noTight.plan.tightInPlace).toBeUndefined();
    const off = planUnderBudget(g, M4, { rowStream: false });
    expect(off.plan.streamed).toEqual([]);
    expect(off.plan.arenaBytes).toBeGreaterThan(r.plan.arenaBytes);
  });
});

describe('--ram-budget', () => {
  it('takes bytes or min, and refuses anything else with what it wants', () => {
    expect(parseRamBudget(undefined)).toBeUndefined();
    expect(parseRamBudget('16384')).toBe(16384);
    expect(parseRamBudget('16,384')).toBe(16384);
    expect(parseRamBudget('min')).toBe('min');
    for (const bad of ['0', '-5', '16k', '1.5', '']) expect(() => parseRamBudget(bad), bad).toThrow(/--ram-budget must be a positive number of bytes/);
  });
});
