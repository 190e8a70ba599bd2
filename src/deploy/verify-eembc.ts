/**
 * What `deploy --protocol eembc` measures on a target running EEMBC-protocol firmware: outputs
 * on seeded random inputs compared with the reference interpreter (the EnergyRunner's accuracy
 * mode), and latency from the DUT's own timestamps (performance mode).
 */
import type { PreparedGraph } from '../interp/interpreter.js';
import { runGraph } from '../interp/interpreter.js';
import type { TensorData } from '../ir/types.js';
import type { EembcClient } from '../serial/eembc-client.js';
import { inputBytes, resultsToOutputs } from '../serial/eembc-client.js';
import { randomInputs } from './verify.js';

export interface EembcCheckResult {
  cases: number;
  matched: number;
  mismatches: { case: number; output: number; index: number; expected: number; got: number }[];
}

/**
 * Accuracy mode against the reference interpreter: for each input set, `db load` it, `infer 1 0`,
 * and compare the m-results (recovered to quantized values) with the interpreter's outputs.
 */
export async function eembcCheckAgainstReference(client: EembcClient, prepared: PreparedGraph, inputSets: TensorData[][]): Promise<EembcCheckResult> {
  const { graph } = prepared;
  const outputs = graph.outputs.map((i) => graph.tensors[i]);
  const result: EembcCheckResult = { cases: inputSets.length, matched: 0, mismatches: [] };
  for (let c = 0; c < inputSets.length; c++) {
    const want = runGraph(prepared, inputSets[c]);
    await client.load(inputBytes(inputSets[c]));
    const got = resultsToOutputs((await client.infer(1, 0)).results, outputs);
    let ok = true;
    want.forEach((w, k) => {
      const tol = outputs[k].dtype === 'float32' ? 1e-6 : 0;
      for (let i = 0; i < w.length; i++) {
        const a = Number(w[i]);
        const b = Number(got[k][i]);
        if (Math.abs(a - b) > tol * Math.max(1, Math.abs(a))) {
          ok = false;
          if (result.mismatches.length < 5) result.mismatches.push({ case: c, output: k, index: i, expected: a, got: b });
          break;
        }
      }
    });
    if (ok) result.matched++;
  }
  return result;
}

export interface EembcReport {
  /** m-name content, e.g. "dut-[tinyml]". */
  name: string;
  profile: { firmware: string; model: string };
  /** Accuracy mode on seeded random inputs against the reference interpreter. */
  check: EembcCheckResult;
  /** Performance mode: `infer runs warmups`, timed by the DUT's m-lap-us stamps. */
  latency: { runs: number; warmups: number; perInferenceUs: number; ms: number; lapUs: [number, number] };
}

/**
 * What `deploy --protocol eembc` reports: name and profile, `cases` random inputs checked against
 * the reference interpreter (accuracy mode), and one performance-mode run of `runs` inferences
 * after `warmups` warm-ups on the first of them.
 */
export async function eembcReport(client: EembcClient, prepared: PreparedGraph, options: { cases?: number; seed?: number; runs?: number; warmups?: number } = {}): Promise<EembcReport> {
  const { graph } = prepared;
  const inputTensors = graph.inputs.map((i) => graph.tensors[i]);
  const seed = options.seed ?? 1;
  const sets = Array.from({ length: Math.max(1, options.cases ?? 3) }, (_, c) => randomInputs(inputTensors, seed + c));
  const name = await client.name();
  const profile = await client.profile();
  const check = await eembcCheckAgainstReference(client, prepared, options.cases === 0 ? [] : sets);
  await client.load(inputBytes(sets[0]));
  const runs = options.runs ?? 5;
  const warmups = options.warmups ?? 1;
  const r = await client.infer(runs, warmups);
  return { name, profile, check, latency: { runs, warmups, perInferenceUs: r.perInferenceUs, ms: r.perInferenceUs / 1000, lapUs: r.lapUs } };
}
