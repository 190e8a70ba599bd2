/**
 * The test run's compile cache (gcc-cache.ts, ccache) gives make exactly what the real compile
 * gives: the same object and dependency file for the same source and flags, a fresh compile when
 * a header changes, and every diagnostic (warnings replayed on a hit; a failed compile is never
 * cached).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { gccCacheStats, installGccCache } from './gcc-cache.js';
import { requireArmToolchain } from './tools.js';

const temp = makeTempDir('tinyml-gcc-cache-test-');
afterAll(() => temp.cleanup());

// The toolchain under the run's own cache (test/global-setup.ts), or the one tinyml finds.
const realGcc = process.env.TINYML_TEST_UNCACHED_GCC ?? requireArmToolchain().gcc;
const cacheDir = join(temp.dir, 'cache');
const prefix = installGccCache(cacheDir, realGcc);
if (prefix === undefined) throw new Error('ccache is not installed: sudo apt-get install ccache (or node scripts/setup.mjs --for test as root)');
const gcc = `${prefix}gcc`;
const FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-O2', '-g', '-Wall', '-Wextra', '-MMD', '-MP', '-Iinc'];

function compile(out: string, src = 'k.c', flags = FLAGS): { status: number | null; stderr: string } {
  mkdirSync(join(temp.dir, dirname(out)), { recursive: true });
  const r = spawnSync(gcc, [...flags, '-c', '-o', out, src], { cwd: temp.dir, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}
const read = (p: string): Buffer => readFileSync(join(temp.dir, p));

describe('the test run compile cache', () => {
  mkdirSync(join(temp.dir, 'inc'));
  writeFileSync(join(temp.dir, 'inc', 'k.h'), '#define K 3\n');
  writeFileSync(join(temp.dir, 'k.c'), '#include "k.h"\nint k(int x) { return x * K; }\n');

  it('compiles once for the same source and flags and gives the same object and dependency file', () => {
    expect(compile('a/k.o')).toEqual({ status: 0, stderr: '' });
    expect(gccCacheStats(cacheDir)).toEqual({ hits: 0, misses: 1 });
    expect(compile('b/k.o')).toEqual({ status: 0, stderr: '' });
    expect(gccCacheStats(cacheDir)).toEqual({ hits: 1, misses: 1 });
    expect(read('b/k.o').equals(read('a/k.o'))).toBe(true);
    expect(read('b/k.d').toString()).toBe(read('a/k.d').toString().replace('a/k.o', 'b/k.o'));
    expect(read('b/k.d').toString()).toBe('b/k.o: k.c inc/k.h\ninc/k.h:\n');
    // Other flags are another key.
    expect(compile('c/k.o', 'k.c', [...FLAGS, '-Os'])).toEqual({ status: 0, stderr: '' });
    expect(gccCacheStats(cacheDir)).toEqual({ hits: 1, misses: 2 });
  });

  it('compiles again when an included header changes', () => {
    writeFileSync(join(temp.dir, 'inc', 'k.h'), '#define K 5\n');
    compile('d/k.o');
    expect(gccCacheStats(cacheDir)).toEqual({ hits: 1, misses: 3 });
    expect(read('d/k.o').equals(read('a/k.o'))).toBe(false);
    // The object is the real compiler's for the new header.
    mkdirSync(join(temp.dir, 'e'), { recursive: true });
    execFileSync(realGcc, [...FLAGS, '-c', '-o', 'e/k.o', 'k.c'], { cwd: temp.dir });
    expect(read('d/k.o').equals(read('e/k.o'))).toBe(true);
  });

  it('prints every diagnostic: a warning on the hit too, a failed compile every time', () => {
    writeFileSync(join(temp.dir, 'w.c'), 'int w(int x) { int unused; return x; }\n');
    for (const out of ['f/w.o', 'g/w.o']) {
      const r = compile(out, 'w.c');
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/warning: unused variable 'unused'/);
    }
    writeFileSync(join(temp.dir, 'e.c'), 'int e(void) { return missing; }\n');
    for (const out of ['h/e.o', 'i/e.o']) {
      const r = compile(out, 'e.c');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/error: 'missing' undeclared/);
    }
    // The warning's compile was kept and its hit replayed the warning; the failed ones were not kept.
    expect(gccCacheStats(cacheDir)).toEqual({ hits: 2, misses: 4 });
  });
});
