/**
 * Execution order for memory: on a branchy graph the order found runs one branch to its small
 * end before starting the next, and the planner's arena follows; the peak model agrees with the
 * memory planner's lower bound on every shared model; and a reordered model computes the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { memoryOrder, orderPeak, withOpOrder } from '../../src/plan/op-order.js';
import { checkTensorPlacement, planMemory } from '../../src/plan/memory-plan.js';
import { modelScratchBytes, planModelMemory } from '../../src/codegen/plan-model.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import { importTfliteFile } from '../../src/tflite/import.js';
import type { Graph, Op, Tensor } from '../../src/ir/types.js';
import { sharedPath } from '../helpers/shared.js';
import { twoBranchGraph } from '../helpers/two-branches.js';
import { compileModel } from '../../src/deploy/compile-model.js';

function graph(sizes: number[], ops: [string, number[], number][], inputs: number[], outputs: number[]): Graph {
  const tensors: Tensor[] = sizes.map((n, id) => ({ id, name: `t${id}`, shape: [1, n], dtype: 'int8' }));
  const list = ops.map(([type, ins, out], index) => ({ index, type, inputs: ins, outputs: [out], attrs: {} }) as unknown as Op);
  return { name: 'g', tensors, ops: list, inputs, outputs };
}

describe('memoryOrder', () => {
  // t0 -> A -> t1 (big) -> B -> t2 (small); t0 -> C -> t3 (big) -> D -> t4 (small); E: t2 + t4.
  // The graph's order A, C, B, D holds both big tensors at C.
  const branchy = graph(
    [16, 1000, 10, 1000, 10, 10],
    [['RELU', [0], 1], ['RELU', [0], 3], ['RELU', [1], 2], ['RELU', [3], 4], ['ADD', [2, 4], 5]],
    [0],
    [5],
  );

  it('finishes one branch before starting the other, and the arena follows', () => {
    expect(orderPeak(branchy, [0, 1, 2, 3, 4])).toBe(2016);
    const order = memoryOrder(branchy)!;
    expect(order).toEqual([0, 2, 1, 3, 4]);
    expect(orderPeak(branchy, order)).toBe(1026);
    const before = planMemory(branchy);
    const re = withOpOrder(branchy, order);
    const after = planMemory(re);
    checkTensorPlacement(re, after);
    expect(before.lowerBound).toBe(2016);
    expect(after.lowerBound).toBe(1026);
    expect(after.arenaBytes).toBeLessThan(before.arenaBytes);
  });

  it('counts scratch at its op, keeps the graph order when nothing is gained, and gives up past the state bound', () => {
    // 5000 bytes of scratch at A set the peak whatever the order: the graph's order stays.
    expect(memoryOrder(branchy, [5000, 0, 0, 0, 0])).toEqual([0, 1, 2, 3, 4]);
    expect(orderPeak(branchy, [0, 1, 2, 3, 4], [5000, 0, 0, 0, 0])).toBe(6016);
    const chain = graph([8, 8, 8], [['RELU', [0], 1], ['RELU', [1], 2]], [0], [2]);
    expect(memoryOrder(chain)).toEqual([0, 1]);
    expect(memoryOrder(branchy, [], 2)).toBeUndefined();
    expect(() => withOpOrder(branchy, [0, 0, 1, 2, 3])).toThrow(/permutation/);
  });
});

const reference = JSON.parse(readFileSync(sharedPath('reference/tflm-cmsisnn-qemu-m4.json'), 'utf8')) as {
  models: Record<string, { model: string }>;
};
const M4 = { core: 'cortex-m4', dsp: true, mve: false };

describe('memory order of the shared models', () => {
  for (const [id, ref] of Object.entries(reference.models)) {
    it(`${id}: the peak model equals the planner's lower bound; the best order is no worse and computes the same bytes`, async () => {
      const prepared = prepareGraph(await importTfliteFile(sharedPath(ref.model)));
      const scratch = modelScratchBytes(prepared, M4);
      const natural = prepared.graph.ops.map((_, k) => k);
      const base = planModelMemory(prepared, M4);
      expect(orderPeak(prepared.graph, natural, scratch)).toBe(base.lowerBound);
      const order = memoryOrder(prepared.graph, scratch)!;
      expect(orderPeak(prepared.graph, order, scratch)).toBeLessThanOrEqual(base.lowerBound);
      const re = prepareGraph(withOpOrder(prepared.graph, order));
      expect(planModelMemory(re, M4).lowerBound).toBe(orderPeak(prepared.graph, order, scratch));
      const inputs = prepared.graph.inputs.map((i, n) => {
        const t = prepared.graph.tensors[i];
        const a = new Int8Array(t.shape.reduce((x, y) => x * y, 1));
        for (let j = 0; j < a.length; j++) a[j] = ((j * 37 + n * 11) % 256) - 128;
        return a;
      });
      expect(runGraph(re, inputs)).toEqual(runGraph(prepared, inputs));
    });
  }
});

describe('compileModel with reorder', () => {
  const twoBranches = twoBranchGraph();

  it('runs the order with the smaller arena, and the model computes the same bytes', async () => {
    const modelPath = sharedPath(reference.models.kws_ref_model.model); // only hashed
    const plain = await compileModel(modelPath, { graph: twoBranches, target: M4, reorder: false });
    const re = await compileModel(modelPath, { graph: twoBranches, target: M4, reorder: true });
    expect(plain.plan.arenaBytes).toBe(3072);
    expect(re.plan.arenaBytes).toBe(2064);
    expect(re.graph.ops.map((o) => o.index)).toEqual([0, 2, 1, 3, 4]);
    checkTensorPlacement(re.graph, re.plan);
    const input = new Int8Array(1024).map((_, j) => ((j * 53) % 256) - 128);
    expect(runGraph(re.prepared, [input])).toEqual(runGraph(plain.prepared, [input]));
    expect(re.generated.files['model/model.c']).toMatch(/MAX_POOL_2D[\s\S]*RELU[\s\S]*MAX_POOL_2D/);
  });
});
