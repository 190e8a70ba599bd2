/**
 * Issue #12, item 5: kernels keep no RAM of their own. The generated model.c declares exactly one
 * RAM object, the planned arena, for every shared model on the host and on a DSP core (where the
 * optimized kernels use scratch); a layer's scratch is its planned place in the arena; and a
 * TRANSPOSE_CONV model, whose kernel accumulates in scratch, computes from the arena exactly what
 * the reference interpreter computes.
 */
import { describe, expect, it } from 'vitest';
import { generateModelC } from '../../src/codegen/generate-model.js';
import { modelScratchBytes, planModelMemory } from '../../src/codegen/plan-model.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { elementCount } from '../../src/ir/types.js';
import type { Graph } from '../../src/ir/types.js';
import type { TargetInfo } from '../../src/ops/op-def.js';
import { planMemory } from '../../src/plan/memory-plan.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import { goldenModels } from '../helpers/golden.js';
import { runGeneratedModelOnHost } from '../helpers/host-model.js';
import { randomInt32, randomInt8, rng, singleOpContext } from '../helpers/op-graph.js';

const M4: TargetInfo = { core: 'cortex-m4', dsp: true, mve: false };
const HOST: TargetInfo = { core: 'host', dsp: false, mve: false };

/** Every `static` declaration of model.c that is not `static const` (RAM, not flash), comments aside. */
const ramDecls = (c: string): string[] =>
  c
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((l) => /\bstatic\b/.test(l) && !/\bstatic\s+const\b/.test(l));

describe('generated model.c: the arena is the only RAM', () => {
  for (const m of goldenModels().filter((g) => g.integer)) {
    it(`${m.id}`, async () => {
      const prepared = prepareGraph(await importTfliteFile(m.modelPath));
      for (const target of [M4, HOST]) {
        const plan = planModelMemory(prepared, target);
        const c = generateModelC(prepared, plan, { hash: '0'.repeat(64), target }).files['model/model.c'];
        expect(ramDecls(c), target.core).toEqual([`static uint8_t tinyml_arena[${Math.max(16, plan.arenaBytes)}] __attribute__((aligned(16)));`]);
        if (target === M4) expect(plan.scratchOffsets.size, 'layers with scratch on a DSP core').toBeGreaterThan(0);
        // Each layer with scratch passes its planned place in the arena to its kernel.
        for (const [k, off] of plan.scratchOffsets) expect(c, `layer ${k}`).toContain(`(void *)((tinyml_arena + ${off}))`);
      }
    });
  }

  it('refuses a plan that lacks the scratch its kernels need', async () => {
    const kws = goldenModels().find((g) => g.id === 'kws_ref_model')!;
    const prepared = prepareGraph(await importTfliteFile(kws.modelPath));
    // The first layer's kernel (the stem kernel on a DSP core) says how much scratch it needs.
    const needed = modelScratchBytes(prepared, M4)[0];
    expect(needed).toBeGreaterThan(0);
    expect(() => generateModelC(prepared, planMemory(prepared.graph), { hash: '0'.repeat(64), target: M4 })).toThrow(
      new RegExp(`layer 0 needs ${needed} bytes of kernel scratch but the memory plan has none: plan with planModelMemory\\(\\) for the same target`),
    );
  });
});

/** One int8 TRANSPOSE_CONV layer, 1x5x6x3 -> 1x11x13x4, stride 2, with bias. */
function transposeConvGraph(): Graph {
  const rand = rng(77);
  const outShape = [1, 11, 13, 4];
  const fShape = [4, 3, 3, 3];
  const ctx = singleOpContext(
    'TRANSPOSE_CONV',
    { padding: 'VALID', strideH: 2, strideW: 2, activation: 'NONE' },
    [
      { shape: [4], dtype: 'int32', data: Int32Array.from(outShape) },
      { shape: fShape, dtype: 'int8', quant: { scale: [0.02, 0.01, 0.03, 0.015], zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 }, data: randomInt8(elementCount(fShape), rand, -127, 127) },
      { shape: [1, 5, 6, 3], dtype: 'int8', quant: { scale: 0.05, zeroPoint: 3 } },
      { shape: [4], dtype: 'int32', data: randomInt32(4, rand, -3000, 3000) },
    ],
    [{ shape: outShape, dtype: 'int8', quant: { scale: 0.4, zeroPoint: -5 } }],
  );
  return ctx.graph;
}

describe('TRANSPOSE_CONV accumulators in the arena', () => {
  it('are planned with the layer (int32 per output element) and give the interpreter\'s outputs', () => {
    const prepared = prepareGraph(transposeConvGraph());
    expect(modelScratchBytes(prepared, HOST)).toEqual([4 * 11 * 13 * 4]);
    const plan = planModelMemory(prepared, HOST);
    expect(plan.lowerBound).toBe(5 * 6 * 3 + 11 * 13 * 4 + 4 * 11 * 13 * 4);
    const c = generateModelC(prepared, plan, { hash: '0'.repeat(64), target: HOST }).files['model/model.c'];
    expect(ramDecls(c)).toHaveLength(1);
    expect(c).toContain(`((int32_t *)(void *)((tinyml_arena + ${plan.scratchOffsets.get(0)})))`);
    const rand = rng(5);
    const inputs = Array.from({ length: 4 }, () => randomInt8(90, rand));
    const got = runGeneratedModelOnHost(prepared, inputs.map((x) => [new Uint8Array(x.buffer)]));
    inputs.forEach((x, i) => {
      const want = Array.from(runGraph(prepared, [x])[0] as Int8Array);
      expect(new Set(want).size, 'outputs not saturated').toBeGreaterThan(20);
      expect(Array.from(new Int8Array(got[i][0].buffer, got[i][0].byteOffset, got[i][0].length)), `input ${i}`).toEqual(want);
    });
  });
});
