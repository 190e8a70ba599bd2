/**
 * Once per `vitest run`, before any test file: the Arm toolchain goes behind a compile cache
 * (test/helpers/gcc-cache.ts) so that the firmware files every board test compiles are compiled
 * once per run. The cache lives in a temporary directory removed at the end, so every run starts
 * cold. TINYML_TEST_GCC_CACHE=off runs the suite on the bare toolchain. Without a toolchain
 * nothing is installed: the tests that need one fail as they must.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findArmToolchain } from '../src/build/toolchain.js';
import { gccCacheStats, installGccCache } from './helpers/gcc-cache.js';

export default function setup(): (() => void) | undefined {
  if (process.env.TINYML_TEST_GCC_CACHE === 'off') return undefined;
  let gcc: string;
  try {
    gcc = findArmToolchain(process.env).gcc;
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-gcc-cache-'));
  const prefix = installGccCache(dir, gcc);
  if (prefix === undefined) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  // Test workers are started after this and inherit both; so do the CLI processes tests spawn.
  process.env.TINYML_TEST_UNCACHED_GCC = gcc;
  process.env.TINYML_GCC_PREFIX = prefix;
  return () => {
    const { hits, misses } = gccCacheStats(dir);
    if (hits + misses > 0) process.stderr.write(`arm-none-eabi-gcc compile cache: ${hits} hits, ${misses} compiles kept\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
