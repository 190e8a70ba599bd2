/**
 * The suite's file order (sequencer.ts): the listed long files first, longest first, the others
 * after them in vitest's order; vitest's own order when it knows every file's duration.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { projectRoot } from './helpers/shared.js';
import LongestFirstSequencer, { LONGEST_FILES } from './sequencer.js';

const root = '/repo';
function spec(path: string): TestSpecification {
  return { moduleId: join(root, path), project: { name: '' } } as unknown as TestSpecification;
}
function sequencer(sizes: Record<string, number>, durations: Record<string, number> = {}): LongestFirstSequencer {
  const ctx = {
    config: { root },
    cache: {
      getFileTestResults: (key: string) => (key.slice(1) in durations ? { duration: durations[key.slice(1)], failed: false } : undefined),
      getFileStats: (key: string) => ({ size: sizes[key.slice(1)] }),
    },
  };
  return new LongestFirstSequencer(ctx as unknown as Vitest);
}

describe('the longest-first sequencer', () => {
  it('lists files that exist, each once', () => {
    expect(LONGEST_FILES.filter((f) => !existsSync(join(projectRoot(), f)))).toEqual([]);
    expect(new Set(LONGEST_FILES).size).toBe(LONGEST_FILES.length);
  });

  it('starts the listed files first, in the list order, then the rest in vitest order (largest first)', async () => {
    const [first, second] = LONGEST_FILES;
    const sizes = { 'test/a.test.ts': 10, 'test/b.test.ts': 500, [first]: 1, [second]: 2 };
    const sorted = await sequencer(sizes).sort(Object.keys(sizes).map(spec));
    expect(sorted.map((s) => s.moduleId.slice(root.length + 1))).toEqual([first, second, 'test/b.test.ts', 'test/a.test.ts']);
  });

  it("keeps vitest's order by measured durations when it has every file's", async () => {
    const [first] = LONGEST_FILES;
    const durations = { 'test/a.test.ts': 9000, [first]: 10 };
    const sorted = await sequencer({ 'test/a.test.ts': 1, [first]: 1 }, durations).sort([spec(first), spec('test/a.test.ts')]);
    expect(sorted.map((s) => s.moduleId.slice(root.length + 1))).toEqual(['test/a.test.ts', first]);
  });
});
