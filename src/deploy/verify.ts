/**
 * What `deploy` measures on a running target: outputs on seeded random inputs compared byte for
 * byte with the reference interpreter, and latency per inference in the board's unit.
 */
import type { Board } from '../build/board.js';
import { ticksToUnits, unitsToMs } from '../build/board.js';
import type { PreparedGraph } from '../interp/interpreter.js';
import { runGraph } from '../interp/interpreter.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount, tensorDataBytes } from '../ir/types.js';
import type { DeviceClient } from '../serial/client.js';

export interface CheckResult {
  cases: number;
  matched: number;
  /** First mismatching cases: index, output, first differing byte. */
  mismatches: { case: number; output: number; byte: number; expected: number; got: number }[];
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
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

/** Runs one inference on the device: write inputs, invoke, read outputs. */
export async function inferOnDevice(client: DeviceClient, inputs: TensorData[]): Promise<Uint8Array[]> {
  for (let k = 0; k < inputs.length; k++) await client.setInput(k, tensorDataBytes(inputs[k]));
  await client.invoke(1);
  const info = await client.info();
  const outs: Uint8Array[] = [];
  for (let k = 0; k < info.outputs.length; k++) outs.push(await client.getOutput(k));
  return outs;
}

export async function checkAgainstReference(client: DeviceClient, prepared: PreparedGraph, cases: number, seed = 1): Promise<CheckResult> {
  const { graph } = prepared;
  const inputTensors = graph.inputs.map((i) => graph.tensors[i]);
  const result: CheckResult = { cases, matched: 0, mismatches: [] };
  for (let c = 0; c < cases; c++) {
    const inputs = randomInputs(inputTensors, seed + c);
    const want = runGraph(prepared, inputs).map((d) => tensorDataBytes(d));
    const got = await inferOnDevice(client, inputs);
    let ok = true;
    want.forEach((w, k) => {
      const g = got[k];
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
