/**
 * The external tools and data the tests need, found the way tinyml finds them (so TINYML_GCC_PREFIX
 * and TINYML_QEMU are honoured). A test that needs one calls the require function first and uses
 * the path it returns: when the tool is missing the test FAILS with the tool's name and the line
 * that installs it. Nothing here returns a boolean to skip on: a green run must mean the test ran.
 */
import { existsSync } from 'node:fs';
import { type ArmToolchain, type Env, findArmToolchain, findQemu, whichSync } from '../../src/build/toolchain.js';
import { ToolMissingError } from '../../src/errors.js';

/** A test's tool or data set is not installed. */
export class TestToolMissingError extends Error {
  readonly tool: string;
  constructor(tool: string, message: string) {
    super(`this test needs ${tool}, which is missing: ${message}`);
    this.name = 'TestToolMissingError';
    this.tool = tool;
  }
}

function rethrow(e: unknown): never {
  if (e instanceof ToolMissingError) throw new TestToolMissingError(e.tool, e.message);
  throw e;
}

/** arm-none-eabi-gcc and -size (cross-compiling the firmware and kernels). */
export function requireArmToolchain(env: Env = process.env): ArmToolchain {
  try {
    return findArmToolchain(env);
  } catch (e) {
    return rethrow(e);
  }
}

/** qemu-system-arm (running the firmware on emulated boards). */
export function requireQemu(env: Env = process.env): string {
  try {
    return findQemu(env);
  } catch (e) {
    return rethrow(e);
  }
}

const HOST_PACKAGES = { gcc: 'gcc', 'g++': 'g++' } as const;

/** Where the host compiler is: the test run's gcc behind its compile cache (test/global-setup.ts) when there is one, else PATH's. */
export function hostCompilerPath(name: keyof typeof HOST_PACKAGES, env: Env = process.env): string | undefined {
  return (name === 'gcc' ? env.TINYML_TEST_HOST_GCC : undefined) ?? whichSync(name, env);
}

/** The host C or C++ compiler (kernels and generated models compiled for the host). */
export function requireHostCompiler(name: keyof typeof HOST_PACKAGES, env: Env = process.env): string {
  const p = hostCompilerPath(name, env);
  if (!p) {
    const sudo = typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
    throw new TestToolMissingError(name, `${name} was not found on PATH; install it with: ${sudo}apt-get install ${HOST_PACKAGES[name]}`);
  }
  return p;
}

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_TRAIN = `${FASHION_DIR}/train-images-idx3-ubyte.gz`;
export const FASHION_TEST = `${FASHION_DIR}/t10k-images-idx3-ubyte.gz`;

/** The Fashion-MNIST IDX files of Debian's dataset-fashion-mnist package. */
export function requireFashionMnist(files: string[] = [FASHION_TRAIN, FASHION_TEST]): void {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    const sudo = typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
    throw new TestToolMissingError('the Fashion-MNIST data set', `${missing.join(', ')} not found; install it with: ${sudo}apt-get install dataset-fashion-mnist`);
  }
}


/** Debian's chromium (the headless browser that opens `tinyml report`'s page); TINYML_CHROMIUM overrides it. */
export function requireChromium(env: Env = process.env): string {
  const p = whichSync(env.TINYML_CHROMIUM ?? 'chromium', env);
  if (!p) {
    const sudo = typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
    throw new TestToolMissingError('chromium', `chromium was not found on PATH; install it with: ${sudo}apt-get install chromium`);
  }
  return p;
}
