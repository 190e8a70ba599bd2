/**
 * Finding the external tools tinyml drives: the Arm GNU toolchain (gcc, size), make and
 * qemu-system-arm. Each can be overridden with an environment variable:
 *
 *   TINYML_GCC_PREFIX  toolchain prefix, e.g. /opt/arm-gnu/bin/arm-none-eabi-  (gcc = prefix + "gcc")
 *   TINYML_MAKE        path or name of make
 *   TINYML_QEMU        path or name of qemu-system-arm
 *
 * A missing tool is a ToolMissingError whose message has the command that installs it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { ToolMissingError } from '../errors.js';

export type Env = Record<string, string | undefined>;

export interface ArmToolchain {
  /** Prefix to pass as make's PREFIX (absolute when found on PATH), e.g. '/usr/bin/arm-none-eabi-'. */
  prefix: string;
  gcc: string;
  size: string;
}

const DEFAULT_PREFIX = 'arm-none-eabi-';

/** "sudo " unless we are root (root does not need it, and containers often lack sudo). */
function sudo(): string {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
}

export const INSTALL_HINTS = {
  gcc: () => `${sudo()}apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi`,
  newlib: () => `${sudo()}apt-get install libnewlib-arm-none-eabi`,
  make: () => `${sudo()}apt-get install make`,
  qemu: () => `${sudo()}apt-get install qemu-system-arm`,
};

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a command name the way a shell would (a name with a '/' is taken as a path). */
export function whichSync(name: string, env: Env = process.env): string | undefined {
  if (name.includes('/')) {
    const p = isAbsolute(name) ? name : resolve(name);
    return isExecutableFile(p) ? p : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/** Finds arm-none-eabi-gcc and arm-none-eabi-size. */
export function findArmToolchain(env: Env = process.env): ArmToolchain {
  const override = env.TINYML_GCC_PREFIX;
  const prefix = override && override.length > 0 ? override : DEFAULT_PREFIX;
  const gcc = whichSync(`${prefix}gcc`, env);
  if (!gcc) {
    throw new ToolMissingError(
      'arm-none-eabi-gcc',
      override
        ? `the Arm GCC toolchain was not found: TINYML_GCC_PREFIX is '${override}' but '${override}gcc' is not an executable; ` +
            `fix TINYML_GCC_PREFIX, or unset it and install the toolchain with: ${INSTALL_HINTS.gcc()}`
        : `the Arm GCC toolchain (arm-none-eabi-gcc) was not found on PATH; install it with: ${INSTALL_HINTS.gcc()} ` +
            `(or point TINYML_GCC_PREFIX at another toolchain, e.g. /opt/arm-gnu/bin/arm-none-eabi-)`,
    );
  }
  const size = whichSync(`${prefix}size`, env);
  if (!size) {
    throw new ToolMissingError(
      'arm-none-eabi-size',
      `found ${gcc} but not ${prefix}size next to it; install binutils with: ${INSTALL_HINTS.gcc()}`,
    );
  }
  // Make gets the prefix of the gcc actually found, so it uses the same toolchain.
  const absPrefix = gcc.slice(0, gcc.length - 'gcc'.length);
  return { prefix: absPrefix, gcc, size };
}

/**
 * A tool that an environment variable may name instead of its usual command (make, QEMU): found as
 * `env[variable]` when that is set, else as `command` on PATH.
 */
function findOverridableTool(env: Env, variable: 'TINYML_MAKE' | 'TINYML_QEMU', command: string, what: string, install: string, orElse = ''): string {
  const override = env[variable];
  const p = whichSync(override && override.length > 0 ? override : command, env);
  if (!p) {
    throw new ToolMissingError(
      command,
      override
        ? `${variable} is '${override}', which is not an executable; fix it, or unset it and install ${what} with: ${install}`
        : `${command} was not found on PATH; install it with: ${install}${orElse}`,
    );
  }
  return p;
}

export function findMake(env: Env = process.env): string {
  return findOverridableTool(env, 'TINYML_MAKE', 'make', 'make', INSTALL_HINTS.make());
}

export function findQemu(env: Env = process.env): string {
  return findOverridableTool(env, 'TINYML_QEMU', 'qemu-system-arm', 'QEMU', INSTALL_HINTS.qemu(), ' (or set TINYML_QEMU to its path)');
}
