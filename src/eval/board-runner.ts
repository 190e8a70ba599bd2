/**
 * Runners on firmware: the generated model running on a board (QEMU or hardware), driven over the
 * serial protocol. Each runner owns one target session (one QEMU instance, or one serial port);
 * `tinyml eval --board B --jobs N` starts N of them on the same ELF and the evaluator spreads
 * the samples over them.
 *
 * Per sample a runner writes the input, runs one INVOKE (its reply carries the raw timer ticks of
 * that inference, converted to the board's unit: instructions under QEMU, cycles on hardware) and
 * reads the outputs. Optionally it also runs the host reference interpreter on the same input and
 * counts bit-identical outputs (`agreement`).
 */
import type { Board } from '../build/board.js';
import { ticksToUnits } from '../build/board.js';
import type { SessionOptions, TargetSession } from '../deploy/target-session.js';
import { openTargetSession } from '../deploy/target-session.js';
import { InputError, MismatchError } from '../errors.js';
import type { PreparedGraph } from '../interp/interpreter.js';
import { runGraph } from '../interp/interpreter.js';
import type { TensorData } from '../ir/types.js';
import { tensorDataBytes, tensorDataFromBytes } from '../ir/types.js';
import type { Runner } from './runner.js';

// One safe inference lives with the deploy pipeline, which shares it.
export { inferOnce } from '../deploy/verify.js';
export type { DeviceInference } from '../deploy/verify.js';
import { inferOnce } from '../deploy/verify.js';

export interface Agreement {
  /** Samples whose outputs were compared with the reference interpreter. */
  compared: number;
  /** Samples whose every output byte equals the reference's. */
  identical: number;
  /** The first few differences (`sample` when the runner was told how to find it). */
  mismatches: { sample?: number; output: number; byte: number; expected: number; got: number }[];
}

export interface BoardRunner extends Runner {
  readonly session: TargetSession;
  /** Comparison with the reference interpreter (when a reference was given). */
  readonly agreement: Agreement | undefined;
  /** Inferences that had to be repeated because the link lost a reply. */
  readonly repeated: number;
}

export interface BoardRunnerOptions {
  /** Run this prepared graph on the host for every sample and count identical outputs. */
  reference?: PreparedGraph;
  /** Write-invoke-read attempts per sample (default 3). */
  attempts?: number;
  /** Names the dataset sample an input came from, for mismatch reports. */
  sampleOf?: (inputs: TensorData[]) => number | undefined;
}

export function createBoardRunner(session: TargetSession, options: BoardRunnerOptions = {}): BoardRunner {
  const { client, info, board } = session;
  const reference = options.reference;
  const agreement: Agreement | undefined = reference ? { compared: 0, identical: 0, mismatches: [] } : undefined;
  let last: number | undefined;
  let repeated = 0;
  return {
    name: `generated firmware on ${board.name}${board.qemu ? ` (QEMU ${board.qemu.machine})` : ` (${session.port})`}`,
    latencyUnit: board.timer.latencyUnit,
    session,
    agreement,
    get repeated() {
      return repeated;
    },
    async run(inputs: TensorData[]): Promise<TensorData[]> {
      const r = await inferOnce(
        client,
        inputs.map((d) => tensorDataBytes(d)),
        options.attempts ? { attempts: options.attempts } : {},
      );
      repeated += r.attempts - 1;
      // Whole units, as deploy reports them. Under QEMU this is exact: the timer advances 3.2
      // ticks per instruction, so a reading is off the true count by less than one tick.
      last = Math.round(ticksToUnits(board, r.ticks));
      if (reference && agreement) {
        const want = runGraph(reference, inputs).map((d) => tensorDataBytes(d));
        let same = want.length === r.outputs.length;
        want.forEach((w, k) => {
          const g = r.outputs[k];
          const byte = w.length === g.length ? w.findIndex((v, i) => g[i] !== v) : 0;
          if (byte >= 0) {
            same = false;
            const sample = options.sampleOf?.(inputs);
            if (agreement.mismatches.length < 5) agreement.mismatches.push({ ...(sample !== undefined ? { sample } : {}), output: k, byte, expected: w[byte], got: g[byte] });
          }
        });
        agreement.compared++;
        if (same) agreement.identical++;
      }
      return r.outputs.map((b, k) => tensorDataFromBytes(info.outputs[k].dtype, b));
    },
    lastLatency: () => last,
    close: () => session.close(),
  };
}

/** Sum of several runners' agreement counts. */
export function mergeAgreement(parts: ReadonlyArray<Agreement | undefined>): Agreement | undefined {
  const present = parts.filter((p): p is Agreement => p !== undefined);
  if (present.length === 0) return undefined;
  return {
    compared: present.reduce((n, p) => n + p.compared, 0),
    identical: present.reduce((n, p) => n + p.identical, 0),
    mismatches: present.flatMap((p) => p.mismatches).slice(0, 5),
  };
}

export interface StartBoardRunnersOptions extends BoardRunnerOptions {
  /** Number of sessions (QEMU instances); a physical board has one serial port, so 1. */
  jobs: number;
  /** The firmware's model hash (first 16 hex digits are checked against INFO). */
  modelHash?: string;
  session?: SessionOptions;
  /** Replaces openTargetSession (tests). */
  open?: (board: Board, elf: string, options: SessionOptions) => Promise<TargetSession>;
}

/**
 * Boots `jobs` sessions of `elf` on `board` in parallel and wraps each in a runner. If any fails
 * to start, the others are closed and the first error is thrown.
 */
export async function startBoardRunners(board: Board, elf: string, options: StartBoardRunnersOptions): Promise<BoardRunner[]> {
  if (!board.qemu && options.jobs > 1) {
    throw new InputError(`board ${board.name} is a physical board with one serial link: --jobs must be 1 (got ${options.jobs})`);
  }
  const open = options.open ?? openTargetSession;
  const started = await Promise.allSettled(Array.from({ length: options.jobs }, () => open(board, elf, options.session ?? {})));
  const sessions = started.filter((s): s is PromiseFulfilledResult<TargetSession> => s.status === 'fulfilled').map((s) => s.value);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  try {
    if (failed) throw failed.reason;
    const hash = options.modelHash?.slice(0, 16);
    for (const s of sessions) {
      if (hash && s.info.model.hash !== hash) {
        throw new MismatchError(`the device on ${s.port} runs model ${s.info.model.name} (${s.info.model.hash}), not the one just built (${hash})`);
      }
    }
  } catch (e) {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    throw e;
  }
  return sessions.map((s) => createBoardRunner(s, options));
}
