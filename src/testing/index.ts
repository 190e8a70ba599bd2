/**
 * `tinyml/testing`: hardware-in-the-loop tests in vitest. `useTarget(model)` deploys the model once
 * per test file (in `beforeAll`) and closes the target in `afterAll`: QEMU by default, a physical
 * board when the environment names one (TINYML_BOARD=nano33 TINYML_PORT=/dev/ttyACM0).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadBoard } from '../build/board.js';
import { deploy, type DeployOptions, type Session } from '../api/session.js';
import type { ModelLike } from '../api/model.js';
import { InputError } from '../errors.js';

export interface TargetOptions extends Partial<DeployOptions> {
  /** beforeAll's timeout, ms (default 300000: building and booting take a while on a busy machine). */
  setupTimeoutMs?: number;
}

export interface Target {
  /** The running session; available inside tests (after beforeAll). */
  readonly session: Session;
}

/** The emulated board tests use when the environment names none. */
export const DEFAULT_TEST_BOARD = 'qemu-m4';

/**
 * Board and port: explicit options first, then TINYML_BOARD / TINYML_PORT, then qemu-m4. A port
 * only makes sense with a physical board, so TINYML_PORT alone (or with a QEMU board) is an error
 * rather than a silent QEMU run.
 */
export function targetFromEnv(options: { board?: string; port?: string }, env: NodeJS.ProcessEnv = process.env): { board: string; port?: string } {
  const port = options.port ?? (env.TINYML_PORT || undefined);
  const board = options.board ?? (env.TINYML_BOARD || undefined) ?? (port ? undefined : DEFAULT_TEST_BOARD);
  if (!board) throw new InputError(`TINYML_PORT=${port} names a serial port; also name its board, e.g. TINYML_BOARD=nano33`);
  if (port && loadBoard(board).qemu) throw new InputError(`board ${board} is emulated by QEMU and takes no port; unset TINYML_PORT or set TINYML_BOARD to a physical board`);
  return { board, ...(port ? { port } : {}) };
}

/** Deploys `model` before the file's tests and closes it after them. */
export function useTarget(model: ModelLike, options: TargetOptions = {}): Target {
  let session: Session | undefined;
  let tempDir: string | undefined;
  beforeAll(async () => {
    const { setupTimeoutMs: _t, ...rest } = options;
    const where = targetFromEnv(options);
    if (!rest.out) tempDir = await mkdtemp(join(tmpdir(), 'tinyml-hil-'));
    session = await deploy(model, { ...rest, ...where, out: rest.out ?? join(tempDir!, 'firmware') });
  }, options.setupTimeoutMs ?? 300_000);
  afterAll(async () => {
    await session?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });
  return {
    get session(): Session {
      if (!session) throw new Error('useTarget: the target is not running; use `target.session` inside a test, not at the top of the file');
      return session;
    },
  };
}

/** Index of the largest score (the first on ties), as a classifier's top class. */
export function topClass(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}
