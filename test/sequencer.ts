/**
 * The order vitest starts test files in: the longest first, so that the two workers finish
 * together instead of one running a long file alone at the end. Vitest orders by the durations
 * of its previous run when it has them (node_modules/.vite/vitest/results.json); a fresh clone
 * has none, and vitest then starts the largest files first, which put the longest file of the
 * suite 174th of 205. The files below lead, longest first (the order of the last measured run of
 * the whole suite; only the order matters, and a file missing from the list only starts later);
 * every other file keeps vitest's own order after them. When vitest has durations of every file,
 * its order stands.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const LONGEST_FILES = [
  'test/deploy/boards-golden.test.ts',
  'test/onnx/ort-fixtures-accuracy.test.ts',
  'test/subbyte/models.test.ts',
  'test/subbyte/dsp-kernels.test.ts',
  'test/onnx/ort-fixtures-qemu.test.ts',
  'test/optimized/golden-models.test.ts',
  'test/quantize/fashion-cluster.test.ts',
  'test/export/arduino.test.ts',
  'test/quantize/deploy-quantized.test.ts',
  'test/deploy/ops-d-qemu.test.ts',
  'test/api/pack.test.ts',
  'test/deploy/keras-qemu.test.ts',
  'test/cli/optimize.test.ts',
  'test/deploy/boards-golden-float.test.ts',
  'test/cli/deploy.test.ts',
  'test/codegen/lut-layers.test.ts',
  'test/optimized/depthwise-conv2d.test.ts',
  'test/optimized/fully-connected.test.ts',
  'test/eval/fashion-board-eval.test.ts',
  'test/eval/board-eval.test.ts',
  'test/train/finetune-compressed.test.ts',
  'test/optimized/conv2d.test.ts',
  'test/deploy/arena-ram.test.ts',
  'test/quantize/fashion-accuracy.test.ts',
  'test/quantize/budget.test.ts',
  'test/train/qat-board-eval.test.ts',
  'test/deploy/ops-c-qemu.test.ts',
  'test/deploy/ops-a-qemu.test.ts',
  'test/tradeoff/tradeoff.test.ts',
  'test/optimized/depthwise-plane.test.ts',
  'test/eval/fashion-mnist-float.test.ts',
  'test/faults/qemu-link.test.ts',
  'test/cli/json-schemas.test.ts',
  'test/quantize/deploy-clustered.test.ts',
  'test/runners/qemu-failures.test.ts',
  'test/api/api.test.ts',
  'test/nano33/firmware.test.ts',
  'test/deploy/in-place-qemu.test.ts',
  'test/eval/fashion-mnist-int8.test.ts',
  'test/profile/profile.test.ts',
];

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const path = (f: TestSpecification): string => relative(this.ctx.config.root, f.moduleId).split('\\').join('/');
    // Durations of every file from vitest's previous run order them better than this list.
    if (files.every((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${path(f)}`))) return base;
    const rank = (f: TestSpecification): number => {
      const k = LONGEST_FILES.indexOf(path(f));
      return k < 0 ? LONGEST_FILES.length : k;
    };
    // Array.prototype.sort is stable: files of equal rank keep vitest's order.
    return base.sort((a, b) => rank(a) - rank(b));
  }
}
