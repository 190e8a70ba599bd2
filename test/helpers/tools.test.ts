/**
 * A test whose tool is missing must fail, naming the tool and its install line, never skip.
 * Pinned twice: the require helpers with PATH pointing to an empty directory, and a real
 * tool-dependent suite run by vitest in a child process with such a PATH (it must report a
 * failure with the message, not a green run).
 */
import { spawn } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { whichSync } from '../../src/build/toolchain.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { projectRoot } from './shared.js';
import { TestToolMissingError, requireArmToolchain, requireFashionMnist, requireHostCompiler, requireQemu } from './tools.js';

const ARM_INSTALL = 'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi';
const QEMU_INSTALL = 'apt-get install qemu-system-arm';

const empty = makeTempDir('tinyml-nopath-');
afterAll(() => empty.cleanup());
const noTools = { PATH: empty.dir };

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** Runs vitest on one file with the given PATH; resolves with its exit code and output. */
function vitestWithPath(file: string, testName: string, path: string): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // A clean environment: no overrides that would find the tools anyway, no outer vitest state.
    if (v !== undefined && !k.startsWith('TINYML_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  env.PATH = path;
  env.NO_COLOR = '1';
  const vitest = join(projectRoot(), 'node_modules', 'vitest', 'vitest.mjs');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [vitest, 'run', file, '-t', testName, '--reporter', 'verbose'], { cwd: projectRoot(), env });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    // eslint-disable-next-line no-control-regex
    child.on('close', (code) => resolvePromise({ code, output: output.replace(/\x1b\[[0-9;]*m/g, '') }));
  });
}

describe('test tool helpers', () => {
  it('find the installed tools and return their paths', () => {
    expect(requireArmToolchain().gcc).toMatch(/arm-none-eabi-gcc$/);
    expect(requireQemu()).toMatch(/qemu-system-arm$/);
    expect(requireHostCompiler('gcc')).toMatch(/\/gcc$/);
  });

  it('fail with the tool and its install line when PATH holds nothing', () => {
    const arm = thrown(() => requireArmToolchain(noTools));
    expect(arm).toBeInstanceOf(TestToolMissingError);
    expect(arm.message).toMatch(/^this test needs arm-none-eabi-gcc, which is missing: /);
    expect(arm.message).toContain(ARM_INSTALL);
    const qemu = thrown(() => requireQemu(noTools));
    expect(qemu).toBeInstanceOf(TestToolMissingError);
    expect(qemu.message).toMatch(/^this test needs qemu-system-arm, which is missing: /);
    expect(qemu.message).toContain(QEMU_INSTALL);
    const gcc = thrown(() => requireHostCompiler('g++', noTools));
    expect(gcc.message).toMatch(/^this test needs g\+\+, which is missing: .*apt-get install g\+\+$/);
    const data = thrown(() => requireFashionMnist([join(empty.dir, 'no-such-images.gz')]));
    expect(data.message).toMatch(/no-such-images\.gz not found; install it with: (sudo )?apt-get install dataset-fashion-mnist$/);
  });

  it('make a real tool-dependent test fail (not skip) without the Arm toolchain, and without QEMU', { timeout: 120_000 }, async () => {
    const file = 'test/optimized/fully-connected.test.ts';
    const arm = await vitestWithPath(file, 'compiles for Cortex-M4 without warnings', empty.dir);
    expect(arm.code, arm.output).not.toBe(0);
    expect(arm.output).toMatch(/Tests +1 failed/);
    expect(arm.output).toContain('this test needs arm-none-eabi-gcc, which is missing');
    expect(arm.output).toContain(ARM_INSTALL);

    // The Arm toolchain present, QEMU not: the emulated run fails naming QEMU.
    const armOnly = makeTempDir('tinyml-armonly-');
    try {
      for (const tool of ['arm-none-eabi-gcc', 'arm-none-eabi-size']) symlinkSync(whichSync(tool)!, join(armOnly.dir, tool));
      const qemu = await vitestWithPath(file, 'random cases on an emulated Cortex-M4', armOnly.dir);
      expect(qemu.code, qemu.output).not.toBe(0);
      expect(qemu.output).toMatch(/Tests +1 failed/);
      expect(qemu.output).toContain('this test needs qemu-system-arm, which is missing');
      expect(qemu.output).toContain(QEMU_INSTALL);
    } finally {
      armOnly.cleanup();
    }
  });
});
