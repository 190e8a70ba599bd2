import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/sequencer.js';

const src = (p: string): string => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // examples/ import tinyml the way a user's project does; in this repository that is src/.
    alias: [
      { find: /^tinyml\/testing$/, replacement: src('testing/index.ts') },
      { find: /^tinyml$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // The Arm toolchain behind a per-run compile cache (see the file).
    globalSetup: ['test/global-setup.ts'],
    // Longest files first (see the file): a fresh clone has no durations for vitest to go by.
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores on CI: one worker per core; QEMU and gcc runs are processes of their own.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
