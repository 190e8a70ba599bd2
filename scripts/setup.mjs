#!/usr/bin/env node
// Installs what tinyml's commands and tests need and are missing: npm packages, the compiled
// CLI, and (through apt when running as root) the Arm toolchain, QEMU, the Fashion-MNIST
// dataset, chromium and ccache (for the tests). Without root it prints the exact install line instead.
// Plain Node, no dependencies, because it runs before `npm install` has.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const purpose = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'test';

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`setup: '${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// System packages: [probe, Debian package].
const newlibProbe = () => existsSync('/usr/lib/arm-none-eabi/newlib') || existsSync('/usr/lib/arm-none-eabi/lib/libc.a');
const wanted = [
  ['arm-none-eabi-gcc', () => has('arm-none-eabi-gcc'), 'gcc-arm-none-eabi'],
  ['newlib', newlibProbe, 'libnewlib-arm-none-eabi'],
  ['qemu-system-arm', () => has('qemu-system-arm'), 'qemu-system-arm'],
  ['make', () => has('make'), 'make'],
  ['gcc', () => has('gcc'), 'gcc'],
  ['g++', () => has('g++'), 'g++'],
];
if (purpose === 'test') {
  wanted.push(['Fashion-MNIST', () => existsSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'), 'dataset-fashion-mnist']);
  // The headless browser that opens `tinyml report`'s page in test/report.
  wanted.push(['chromium', () => has('chromium'), 'chromium']);
  // The test run's compile cache (test/helpers/gcc-cache.ts): the suite compiles the same kernels for hundreds of firmware builds.
  wanted.push(['ccache', () => has('ccache'), 'ccache']);
}
const missing = wanted.filter(([, probe]) => !probe()).map(([, , pkg]) => pkg);
if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && has('apt-get')) {
    console.log(`setup: installing ${missing.join(' ')} with apt-get`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    console.error(`setup: missing system packages. Install them with:\n  sudo apt-get install ${missing.join(' ')}`);
    process.exit(1);
  }
}

// npm packages: installed when node_modules is missing or lacks a package that package.json names
// (a checkout that predates a newly added dependency).
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
const npmMissing = declared.filter((name) => !existsSync(join(root, 'node_modules', name, 'package.json')));
if (!existsSync(join(root, 'node_modules', '.package-lock.json')) || npmMissing.length > 0) {
  console.log('setup: installing npm packages');
  run('npm', [existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund']);
} else {
  // Keep dist/ in step with src/ (npm install does this through `prepare`).
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
}

if (!existsSync(join(root, '..', 'shared', 'models'))) {
  console.error(`setup: ../shared (models and golden data) not found beside the project at ${join(root, '..', 'shared')}.\nThe tests and the example need it; see README.md.`);
  process.exit(1);
}
try {
  execFileSync('arm-none-eabi-gcc', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('setup: arm-none-eabi-gcc does not run');
  process.exit(1);
}
