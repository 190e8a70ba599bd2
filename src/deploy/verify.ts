/**
 * What `deploy` measures on a running target: outputs on seeded random inputs compared byte for
 * byte with the reference interpreter (float32 outputs within a tolerance), and latency per
 * inference in the board's unit.
 */
import type { Board } from '../build/board.js';
import { ticksToUnits, unitsToMs } from '../build/board.js';
import type { PreparedGraph } from '../interp/interpreter.js';
import { runGraph } from '../interp/interpreter.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount, tensorDataBytes } from '../ir/types.js';
import { DeviceError } from '../errors.js';
import { mulberry32 } from '../random.js';
import type { DeviceClient } from '../serial/client.js';
import { DeviceErrorReply } from '../serial/client.js';
import { requiredInputValues } from '../ops/transpose-conv.js';

export interface CheckResult {
  cases: number;
  matched: number;
  /**
   * First mismatching cases: index, output, first differing byte (integer outputs), or for a
   * float32 output the first element out of tolerance (its byte offset, `element`, and values).
   */
  mismatches: { case: number; output: number; byte: number; expected: number; got: number; element?: number }[];
  /**
   * Set when some output is float32: those are compared within this error relative to the
   * output's range (float sums depend on their order, which the firmware's kernels block
   * differently from the interpreter), and `floatError` is the largest such error seen.
   */
  floatTolerance?: number;
  floatError?: number;
}

/**
 * How far a float32 output of the firmware may be from the reference interpreter's, relative to
 * the output's range (its largest magnitude or spread, whichever is larger): the bar issue #18
 * sets for the float golden cases.
 */
export const FLOAT_CHECK_TOLERANCE = 1e-4;

/** The largest |got - want| relative to want's range, and the first element beyond `tolerance`. */
export function floatOutputError(want: Float32Array, got: Float32Array, tolerance: number): { error: number; firstBad: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let mag = 0;
  for (const v of want) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    mag = Math.max(mag, Math.abs(v));
  }
  const range = Math.max(hi - lo, mag, 1e-30);
  let error = 0;
  let firstBad = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Object.is(got[i], want[i]) ? 0 : Math.abs(got[i] - want[i]) / range;
    // NaN where the reference has a number (or the reverse) is never within tolerance.
    const bad = !(e <= tolerance);
    if (bad && firstBad < 0) firstBad = i;
    error = Math.max(error, Number.isNaN(e) ? Infinity : e);
  }
  return { error, firstBad };
}

export interface LatencyResult {
  unit: string;
  /** Median over the timed runs, in `unit`. */
  perInference: number;
  ms: number;
  runs: number[];
}

/** Deterministic inputs spanning each tensor's whole integer range (mulberry32 stream). */
export function randomInputs(tensors: Tensor[], seed: number): TensorData[] {
  const next = mulberry32(seed);
  return tensors.map((t) => {
    const data = allocTensorData(t.dtype, elementCount(t.shape));
    const bytes = tensorDataBytes(data);
    if (t.dtype === 'float32') {
      const f = data as Float32Array;
      for (let i = 0; i < f.length; i++) f[i] = next() * 2 - 1;
    } else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
    return data;
  });
}

export interface DeviceInference {
  /** Raw bytes of every output, in model order. */
  outputs: Uint8Array[];
  /** Raw timer ticks of the inference (INVOKE reply). */
  ticks: number;
  /** How many times the whole write-invoke-read sequence ran (1 unless the link lost a reply). */
  attempts: number;
}

/** A transport failure (the request may or may not have reached the device), not a device's answer. */
function isTransportFailure(e: unknown, client: DeviceClient): boolean {
  return e instanceof DeviceError && !(e.cause instanceof DeviceErrorReply) && !client.isClosed;
}

/**
 * One inference on a device: write the inputs, INVOKE once, read the outputs.
 *
 * Safe over a line that loses bytes. SET_INPUT and GET_OUTPUT are idempotent, so the client's
 * own retries cover them. INVOKE is not: when its reply is lost the device may already have run
 * the model, and the generated code reuses the input's arena bytes for later layers, so a
 * blindly repeated INVOKE computes on a clobbered input and returns a wrong output with a valid
 * CRC. So INVOKE goes out without automatic retries, and if it fails in transit the whole
 * sequence starts again from the inputs (at most `attempts` times).
 */
export async function inferOnce(client: DeviceClient, inputs: Uint8Array[], options: { attempts?: number } = {}): Promise<DeviceInference> {
  const attempts = options.attempts ?? 3;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    for (let k = 0; k < inputs.length; k++) await client.setInput(k, inputs[k]);
    let ticks: number;
    try {
      [ticks] = await client.invoke(1, { retries: 0 });
    } catch (e) {
      if (!isTransportFailure(e, client)) throw e;
      last = e;
      continue;
    }
    const info = await client.info();
    const outputs: Uint8Array[] = [];
    for (let k = 0; k < info.outputs.length; k++) outputs.push(await client.getOutput(k));
    return { outputs, ticks, attempts: attempt };
  }
  throw new DeviceError(`inference on ${client.portName} failed ${attempts} times in transit: ${(last as Error).message}`, { cause: last });
}

/** Runs one inference on the device (write inputs, invoke, read outputs) with inferOnce's safety. */
export async function inferOnDevice(client: DeviceClient, inputs: TensorData[]): Promise<Uint8Array[]> {
  return (await inferOnce(client, inputs.map((d) => tensorDataBytes(d)))).outputs;
}

export async function checkAgainstReference(client: DeviceClient, prepared: PreparedGraph, cases: number, seed = 1): Promise<CheckResult> {
  const { graph } = prepared;
  const inputTensors = graph.inputs.map((i) => graph.tensors[i]);
  const outputTensors = graph.outputs.map((i) => graph.tensors[i]);
  const anyFloat = outputTensors.some((t) => t.dtype === 'float32');
  const result: CheckResult = { cases, matched: 0, mismatches: [], ...(anyFloat ? { floatTolerance: FLOAT_CHECK_TOLERANCE, floatError: 0 } : {}) };
  const required = requiredInputValues(graph);
  for (let c = 0; c < cases; c++) {
    const inputs = randomInputs(inputTensors, seed + c);
    // Inputs whose value the model fixes (a TRANSPOSE_CONV output_shape) get that value.
    graph.inputs.forEach((id, k) => {
      const v = required.get(id);
      if (v) inputs[k] = Int32Array.from(v);
    });
    const wantData = runGraph(prepared, inputs);
    const want = wantData.map((d) => tensorDataBytes(d));
    const got = await inferOnDevice(client, inputs);
    let ok = true;
    want.forEach((w, k) => {
      const g = got[k];
      if (outputTensors[k].dtype === 'float32' && g.length === w.length) {
        const wf = wantData[k] as Float32Array;
        const gf = new Float32Array(g.buffer.slice(g.byteOffset, g.byteOffset + g.byteLength));
        const { error, firstBad } = floatOutputError(wf, gf, FLOAT_CHECK_TOLERANCE);
        result.floatError = Math.max(result.floatError ?? 0, error);
        if (firstBad >= 0) {
          ok = false;
          if (result.mismatches.length < 5) result.mismatches.push({ case: c, output: k, byte: firstBad * 4, element: firstBad, expected: wf[firstBad], got: gf[firstBad] });
        }
        return;
      }
      const byte = w.findIndex((v, i) => g[i] !== v);
      if (byte >= 0 || g.length !== w.length) {
        ok = false;
        if (result.mismatches.length < 5) result.mismatches.push({ case: c, output: k, byte: Math.max(byte, 0), expected: w[Math.max(byte, 0)], got: g[Math.max(byte, 0)] });
      }
    });
    if (ok) result.matched++;
  }
  return result;
}

/** Times `runs` inferences after one warm-up (as the TFLite Micro reference figures were taken). */
export async function measureLatency(client: DeviceClient, board: Board, runs = 3): Promise<LatencyResult> {
  await client.invoke(1);
  const ticks = await client.invoke(runs);
  const units = ticks.map((t) => Math.round(ticksToUnits(board, t)));
  const sorted = [...units].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { unit: board.timer.latencyUnit, perInference: median, ms: unitsToMs(board, median), runs: units };
}
