/**
 * A compile cache for the Arm toolchain and the host's gcc during one test run: ccache (Debian
 * package `ccache`, which `node scripts/setup.mjs --for test` installs). Hundreds of tests build
 * firmware projects whose kernels, runtime and board files are the same bytes compiled with the
 * same flags (the DSP kernels alone take seconds each, more under the sanitizers); compiling them
 * once per run instead of once per project is most of what the suite can save without testing
 * less.
 *
 * installGccCache() writes a toolchain prefix: `gcc` there (or `arm-none-eabi-gcc`) is a two-line
 * script that runs the real compiler through ccache with the run's own cache directory; every
 * other tool of a cross toolchain is a symbolic link to the real one. ccache gives make what the
 * compile gives (object, dependency file, and every warning, replayed on a hit); it runs the real
 * compiler for anything it cannot cache (linking, several sources, preprocessing). The working
 * directory is left out of the key (CCACHE_NOHASHDIR), so the same file compiled in two firmware
 * projects is one compile; the objects then differ from a fresh compile only in their debug
 * info's compilation directory, which nothing reads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Env, whichSync } from '../../src/build/toolchain.js';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The environment ccache runs with for the cache in `dir`. */
function cacheEnv(dir: string): Record<string, string> {
  return { CCACHE_DIR: join(dir, 'ccache'), CCACHE_NOHASHDIR: 'true', CCACHE_MAXSIZE: '0' };
}

/**
 * Writes the caching prefix into `dir` for the toolchain whose gcc is `realGcc` (an absolute
 * path ending in 'gcc') and returns its prefix (`${prefix}gcc` is the script; for a cross gcc, the
 * prefix to give TINYML_GCC_PREFIX); undefined (nothing written) when ccache is not installed.
 */
export function installGccCache(dir: string, realGcc: string, env: Env = process.env): string | undefined {
  if (!realGcc.endsWith('gcc')) throw new Error(`installGccCache: ${realGcc} is not a gcc`);
  const ccache = whichSync('ccache', env);
  if (ccache === undefined) return undefined;
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  mkdirSync(cacheEnv(dir).CCACHE_DIR, { recursive: true });
  // Every tool of a cross toolchain (size, nm, objcopy, ...) under the same prefix; a host gcc
  // (no prefix) gets no company.
  const realPrefix = realGcc.slice(0, -'gcc'.length);
  const stem = realPrefix.endsWith('/') ? '' : basename(realPrefix);
  const toolDir = dirname(realGcc);
  for (const name of stem === '' ? [] : readdirSync(toolDir)) {
    if (name.startsWith(stem) && name !== `${stem}gcc` && !existsSync(join(bin, name))) symlinkSync(join(toolDir, name), join(bin, name));
  }
  // The settings are in the script, not the environment: tests run the CLI with environments of their own.
  const settings = Object.entries(cacheEnv(dir)).map(([k, v]) => `${k}=${quote(v)} `).join('');
  const script = `#!/bin/sh\n# Written by test/helpers/gcc-cache.ts for one test run: see that file.\n${settings}exec ${quote(ccache)} ${quote(realGcc)} "$@"\n`;
  writeFileSync(join(bin, `${stem}gcc`), script, { mode: 0o755 });
  return `${bin}/${stem}`;
}

/** Cache hits and cached compiles so far of the cache installed in `dir` (ccache's own counters). */
export function gccCacheStats(dir: string, env: Env = process.env): { hits: number; misses: number } {
  const ccache = whichSync('ccache', env);
  if (ccache === undefined || !existsSync(cacheEnv(dir).CCACHE_DIR)) return { hits: 0, misses: 0 };
  const out = execFileSync(ccache, ['--print-stats'], { env: { ...process.env, ...cacheEnv(dir) }, encoding: 'utf8' });
  const stat = (key: string): number => Number(new RegExp(`^${key}\\t(\\d+)$`, 'm').exec(out)?.[1] ?? 0);
  return { hits: stat('direct_cache_hit') + stat('preprocessed_cache_hit'), misses: stat('cache_miss') };
}
