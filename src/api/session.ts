/**
 * `deploy(model, { board })`: build, start the target (QEMU for emulated boards; for a physical
 * board, flash it and open `port`), check that it runs this very model, and hand back a session:
 * `invoke` on typed arrays, `run` on raw bytes (the link a generated client connects to),
 * `check` against the reference interpreter, `latency`, `profile`, `close`.
 */
import type { Board } from '../build/board.js';
import { ticksToUnits, unitsToMs } from '../build/board.js';
import { checkDeviceModel, openTargetSession, sessionOptionsFromCli, targetDescription, type TargetSession } from '../deploy/target-session.js';
import { checkAgainstReference, inferOnce, measureLatency, type CheckResult, type LatencyResult } from '../deploy/verify.js';
import { InputError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import { DTYPE_BYTES, tensorDataBytes, tensorDataFromBytes } from '../ir/types.js';
import { profileOnTarget, type ProfileOptions, type ProfileReport } from '../profile/profile.js';
import type { DeviceInfo } from '../serial/protocol.js';
import { build, type BuildOptions, type BuildOutput } from './build.js';
import type { ModelLike, TensorSpec } from './model.js';

export interface ConnectOptions {
  /** Serial port of a physical board (required for one; QEMU boards need none). */
  port?: string;
  /** Port to flash through when it differs from `port` (e.g. the bootloader's). */
  flashPort?: string;
  /** false: do not flash, talk to the firmware already on the board. */
  flash?: boolean;
  /** Per-request timeout of the serial protocol, ms. */
  timeoutMs?: number;
  /** Progress lines (QEMU start, flashing). */
  log?: (line: string) => void;
}

export type DeployOptions = BuildOptions & ConnectOptions;

export interface Latency {
  /** The board's unit: 'instructions' under QEMU, 'cycles' on hardware. */
  unit: string;
  /** This inference, in `unit` (the name deploy's median uses too). */
  perInference: number;
  /** At the board's clock. */
  ms: number;
}

export interface Inference {
  /** One typed array per output, in model order, of the output's dtype. */
  outputs: TensorData[];
  /** The INVOKE's own timer reading. */
  latency: Latency;
}

export interface Session {
  readonly build: BuildOutput;
  readonly board: Board;
  /** What the firmware reported at connect time. */
  readonly info: DeviceInfo;
  /** pty path (QEMU) or serial port. */
  readonly port: string;
  /** One inference: one typed array per input (or the single input's), of the input's dtype and size. */
  invoke(inputs: TensorData | readonly TensorData[]): Promise<Inference>;
  /** One inference on raw little-endian bytes: the `Link` a generated client's `connect()` takes. */
  run(inputs: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /** Seeded random inputs compared with the reference interpreter (bit-exact for integer outputs). */
  check(cases?: number, seed?: number): Promise<CheckResult>;
  /** Median of `runs` INVOKEs after one warm-up. */
  latency(runs?: number): Promise<LatencyResult>;
  /** Per-layer time; the firmware must be built with `profile: true`. */
  profile(options?: ProfileOptions): Promise<ProfileReport>;
  close(): Promise<void>;
}

/** Builds `model` for `options.board` and starts a session on it. */
export async function deploy(model: ModelLike, options: DeployOptions): Promise<Session> {
  const built = await build(model, options);
  options.log?.(`built ${built.elf}; starting ${targetDescription(built.firmware.board, options.port)}`);
  return startSession(built, options);
}

/** Starts (QEMU) or flashes and connects to (a board) an already built firmware. */
export async function startSession(built: BuildOutput, options: ConnectOptions = {}): Promise<Session> {
  const board = built.firmware.board;
  const target = await openTargetSession(board, built.elf, {
    ...sessionOptionsFromCli(options, options.log),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  try {
    checkDeviceModel(target.info, built.firmware.compiled.hash);
  } catch (e) {
    await target.close();
    throw e;
  }
  return sessionOn(built, target);
}

function checkCount(specs: readonly TensorSpec[], n: number, model: string): void {
  if (n !== specs.length) throw new InputError(`${model} takes ${specs.length} input(s) (${specs.map((s) => `'${s.name}'`).join(', ')}), got ${n}`);
}

/** Raw bytes per input, each exactly its tensor's size. */
function checkBytes(specs: readonly TensorSpec[], inputs: readonly Uint8Array[], model: string): Uint8Array[] {
  checkCount(specs, inputs.length, model);
  return inputs.map((b, k) => {
    const s = specs[k];
    const want = s.length * DTYPE_BYTES[s.dtype];
    if (!(b instanceof Uint8Array) || b.byteLength !== want) {
      throw new InputError(`input ${k} '${s.name}' of ${model} must be ${want} bytes (${s.length} ${s.dtype} elements [${s.shape.join('x')}]), got ${b instanceof Uint8Array ? b.byteLength : typeof b}`);
    }
    return b;
  });
}

/** Typed arrays per input, each of its tensor's element count. */
function checkTyped(specs: readonly TensorSpec[], inputs: readonly TensorData[], model: string): Uint8Array[] {
  checkCount(specs, inputs.length, model);
  return inputs.map((data, k) => {
    const s = specs[k];
    if (!ArrayBuffer.isView(data) || data.length !== s.length || data.byteLength !== s.length * DTYPE_BYTES[s.dtype]) {
      const got = ArrayBuffer.isView(data) ? `${data.constructor.name}(${data.length})` : typeof data;
      throw new InputError(`input ${k} '${s.name}' of ${model} must be ${s.length} ${s.dtype} elements [${s.shape.join('x')}], got ${got}`);
    }
    return tensorDataBytes(data);
  });
}

function sessionOn(built: BuildOutput, target: TargetSession): Session {
  const { model, firmware } = built;
  const board = target.board;
  let closed = false;
  const live = (what: string): void => {
    if (closed) throw new InputError(`${what} on a closed session (${model.name} on ${board.name})`);
  };
  const run = async (bytes: readonly Uint8Array[]): Promise<Uint8Array[]> => {
    live('run');
    return (await inferOnce(target.client, checkBytes(model.inputs, bytes, model.name))).outputs;
  };
  return {
    build: built,
    board,
    info: target.info,
    port: target.port,
    async invoke(inputs) {
      live('invoke');
      const list = ArrayBuffer.isView(inputs) ? [inputs as TensorData] : [...(inputs as readonly TensorData[])];
      const r = await inferOnce(target.client, checkTyped(model.inputs, list, model.name));
      const value = Math.round(ticksToUnits(board, r.ticks));
      return {
        outputs: r.outputs.map((b, k) => tensorDataFromBytes(model.outputs[k].dtype, b)),
        latency: { unit: board.timer.latencyUnit, perInference: value, ms: unitsToMs(board, value) },
      };
    },
    run,
    async check(cases = 3, seed = 1) {
      live('check');
      return checkAgainstReference(target.client, firmware.compiled.prepared, cases, seed);
    },
    async latency(runs = 3) {
      live('latency');
      return measureLatency(target.client, board, runs);
    },
    async profile(options = {}) {
      live('profile');
      return profileOnTarget(target.client, target.info, board, firmware.compiled, options);
    },
    async close() {
      if (closed) return;
      closed = true;
      await target.close();
    },
  };
}
