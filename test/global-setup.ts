/**
 * Once per `vitest run`, before any test file: the Arm toolchain and the host's gcc go behind
 * ccache each (test/helpers/gcc-cache.ts) so that the firmware files every board test compiles,
 * and the kernels the host tests build with sanitizers, are compiled once per run. The caches
 * live in a temporary directory removed at the end, so every run starts cold.
 * TINYML_TEST_GCC_CACHE=off runs the suite on the bare compilers, as it runs without ccache
 * (slower, same tests). Without a compiler nothing is installed for it: the tests that need one
 * fail as they must.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findArmToolchain, whichSync } from '../src/build/toolchain.js';
import { gccCacheStats, installGccCache } from './helpers/gcc-cache.js';

export default function setup(): (() => void) | undefined {
  if (process.env.TINYML_TEST_GCC_CACHE === 'off') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-gcc-cache-'));
  let arm: string | undefined;
  try {
    arm = findArmToolchain(process.env).gcc;
  } catch {
    // No Arm toolchain: nothing to put a cache in front of.
  }
  const armPrefix = arm === undefined ? undefined : installGccCache(join(dir, 'arm'), arm);
  const host = whichSync('gcc', process.env);
  const hostPrefix = host === undefined ? undefined : installGccCache(join(dir, 'host'), host);
  if ((arm !== undefined && armPrefix === undefined) || (host !== undefined && hostPrefix === undefined)) {
    process.stderr.write('ccache not found: the suite runs without a compile cache, which makes it several minutes slower. Install it: sudo apt-get install ccache\n');
  }
  // Test workers are started after this and inherit these; so do the CLI processes tests spawn.
  if (arm !== undefined && armPrefix !== undefined) {
    process.env.TINYML_TEST_UNCACHED_GCC = arm;
    process.env.TINYML_GCC_PREFIX = armPrefix;
  }
  if (hostPrefix !== undefined) process.env.TINYML_TEST_HOST_GCC = `${hostPrefix}gcc`;
  return () => {
    for (const which of ['arm', 'host']) {
      const { hits, misses } = gccCacheStats(join(dir, which));
      if (hits + misses > 0) process.stderr.write(`${which} gcc compile cache: ${hits} hits, ${misses} compiles kept\n`);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
