/**
 * A compile cache for the Arm toolchain during one test run. Hundreds of tests build firmware
 * projects whose kernels, runtime and board files are the same bytes compiled with the same
 * flags (the DSP kernels alone take seconds each); compiling them once per run instead of once
 * per project is most of what the suite can save without testing less.
 *
 * installGccCache() writes a toolchain prefix: `arm-none-eabi-gcc` there is a shell script in
 * front of the real gcc, every other tool of the real toolchain is a symbolic link to it (for
 * the host's gcc, the script alone: the sanitizer builds of the DSP kernels take seconds each). The
 * script caches only what it can reproduce exactly: a plain `-c -o OBJ FILE.c` compile whose
 * real run succeeded with nothing on stderr (so no warning or note is ever lost). Its key is
 * the real compiler's path, every argument but the object's path, and the preprocessed source
 * (gcc -E, so every header the file includes is in it). A hit copies the object the real gcc
 * made for the same key and writes make's dependency file as the compile would have; anything
 * else (linking, several sources, errors, preprocessing that says anything) runs the real gcc
 * unchanged. Objects differ from a fresh compile only in their debug info's compilation
 * directory, which nothing reads.
 */
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Env, whichSync } from '../../src/build/toolchain.js';

/** Arguments after which a compile is not cached: outputs besides the object, or reading stdin. */
const UNCACHED = ['-E', '-S', '-M', '-MM', '-MD', '-MF', '-MT', '-MQ', '-x', '-', '-###', '-v', '-save-temps*', '-fdump-*', '-fstack-usage', '-fcallgraph-info*', '-aux-info', '-Wa,*', '-Wp,*', '-flto*', '--help*'];

/** The shell and utilities the script runs, by absolute path: a test may run it with any PATH. */
const UTILITIES = ['bash', 'mktemp', 'sha256sum', 'cat', 'cp', 'mv', 'mkdir', 'rm'] as const;
type Utilities = Record<(typeof UTILITIES)[number], string>;

function wrapperScript(realGcc: string, cacheDir: string, u: Utilities): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!${u.bash}
# Written by test/helpers/gcc-cache.ts for one test run: see that file. Not for use elsewhere.
real=${q(realGcc)}
cache=${q(cacheDir)}
mktemp=${q(u.mktemp)} sha256sum=${q(u.sha256sum)} cat=${q(u.cat)} cp=${q(u.cp)} mv=${q(u.mv)} mkdir=${q(u.mkdir)} rm=${q(u.rm)}
obj='' src='' compile=0 plain=1 mmd=0
args=()
argv=("$@")
n=\${#argv[@]}
i=0
while (( i < n )); do
  a=\${argv[i]}
  case "$a" in
    -c) compile=1; i=$((i + 1)); continue ;;
    -o) obj=\${argv[i + 1]:-}; i=$((i + 2)); continue ;;
    -I|-D|-U|-include|-imacros|-isystem|-iquote|-idirafter) args+=("$a" "\${argv[i + 1]:-}"); i=$((i + 2)); continue ;;
    -MMD) mmd=1 ;;
    ${UNCACHED.map((p) => p.replace(/([()|;&<>])/g, '\\$1')).join('|')}) plain=0 ;;
    -*) ;;
    *.c) [[ -n $src ]] && plain=0; src=$a ;;
    *) plain=0 ;;
  esac
  args+=("$a")
  i=$((i + 1))
done
if (( compile == 0 || plain == 0 )) || [[ -z $obj || -z $src ]]; then exec "$real" "$@"; fi
tmp=$("$mktemp" "$cache/tmp.XXXXXXXX") || exec "$real" "$@"
trap '"$rm" -f "$tmp" "$tmp".*' EXIT
deps=()
(( mmd )) && deps=(-MF "\${obj%.*}.d" -MT "$obj")
[[ $obj == */* ]] && "$mkdir" -p "\${obj%/*}"
# The dependency file comes from this run, as the compile would write it.
if ! "$real" "\${args[@]}" "\${deps[@]}" -E -fno-working-directory -o "$tmp.i" 2>"$tmp.err" || [[ -s $tmp.err ]]; then
  "$rm" -f "$tmp" "$tmp".*
  exec "$real" "$@"
fi
key=$({ printf '%s\\0' "$real" "\${args[@]}"; "$cat" "$tmp.i"; } | "$sha256sum")
key=\${key%% *}
if [[ -f $cache/$key.o ]] && "$cp" "$cache/$key.o" "$obj"; then
  echo hit >>"$cache/stats"
  exit 0
fi
"$real" "$@" 2>"$tmp.err"
rc=$?
"$cat" "$tmp.err" >&2
if (( rc == 0 )) && [[ ! -s $tmp.err ]] && "$cp" "$obj" "$tmp.o"; then
  "$mv" -f "$tmp.o" "$cache/$key.o"
  echo miss >>"$cache/stats"
fi
exit $rc
`;
}

/**
 * Writes the caching prefix into `dir` for the toolchain whose gcc is `realGcc` (an absolute
 * path ending in 'gcc') and returns its prefix (`${prefix}gcc` is the script; for a cross gcc, the
 * prefix to give TINYML_GCC_PREFIX); undefined (nothing
 * written) when a utility the script needs is not on PATH.
 */
export function installGccCache(dir: string, realGcc: string, env: Env = process.env): string | undefined {
  if (!realGcc.endsWith('gcc')) throw new Error(`installGccCache: ${realGcc} is not a gcc`);
  const u: Partial<Utilities> = {};
  for (const name of UTILITIES) {
    const p = whichSync(name, env);
    if (!p) return undefined;
    u[name] = p;
  }
  const realPrefix = realGcc.slice(0, -'gcc'.length);
  const bin = join(dir, 'bin');
  const objects = join(dir, 'objects');
  mkdirSync(bin, { recursive: true });
  mkdirSync(objects, { recursive: true });
  // Every tool of a cross toolchain (size, nm, objcopy, ...) under the same prefix; a host
  // gcc (no prefix) gets no company.
  const toolDir = dirname(realGcc);
  const stem = realPrefix.endsWith('/') ? '' : basename(realPrefix);
  for (const name of stem === '' ? [] : readdirSync(toolDir)) {
    if (name.startsWith(stem) && name !== `${stem}gcc` && !existsSync(join(bin, name))) symlinkSync(join(toolDir, name), join(bin, name));
  }
  writeFileSync(join(bin, `${stem}gcc`), wrapperScript(realGcc, objects, u as Utilities), { mode: 0o755 });
  return `${bin}/${stem}`;
}

/** Hits and misses so far of the cache installed in `dir`. */
export function gccCacheStats(dir: string): { hits: number; misses: number } {
  const file = join(dir, 'objects', 'stats');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  return { hits: lines.filter((l) => l === 'hit').length, misses: lines.filter((l) => l === 'miss').length };
}
