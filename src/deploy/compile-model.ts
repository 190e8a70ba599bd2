/**
 * Model → C: import, validate and prepare, plan memory, generate model.c/model.h for a target.
 * Shared by `build`, `deploy`, `run --board`, `profile`, `export` and the benchmark.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError, UnsupportedOpError } from '../errors.js';
import type { GeneratedModel } from '../codegen/generate-model.js';
import { generateModelC } from '../codegen/generate-model.js';
import type { PreparedGraph } from '../interp/interpreter.js';
import type { Graph } from '../ir/types.js';
import { floatIslandError } from '../passes/qdq-affine.js';
import type { OptimizeGoal, TargetInfo } from '../ops/op-def.js';
import { HOST_TARGET } from '../ops/op-def.js';
import type { MemoryPlan } from '../plan/memory-plan.js';
import { planUnderBudget, type RamBudget, type RamReport } from '../codegen/ram-budget.js';
import { loadModel } from '../model-file/load-model.js';

export interface CompiledModel {
  modelPath: string;
  /** Hex SHA-256 of the model file. */
  hash: string;
  graph: Graph;
  prepared: PreparedGraph;
  plan: MemoryPlan;
  /** Arena, op-order lower bound and what each RAM technique saved (codegen/ram-budget.ts). */
  ram: RamReport;
  generated: GeneratedModel;
  target: TargetInfo;
  optimize: OptimizeGoal;
}

/** Cores with the DSP extension (SMLAD, SXTB16, SSAT...). */
const DSP_CORES = new Set(['cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m35p', 'cortex-m55', 'cortex-m85']);
const MVE_CORES = new Set(['cortex-m55', 'cortex-m85']);

export function targetForCore(core: string): TargetInfo {
  return { core, dsp: DSP_CORES.has(core), mve: MVE_CORES.has(core) };
}

export async function compileModel(modelPath: string, options: { target?: TargetInfo; graph?: Graph; optimize?: OptimizeGoal; inPlace?: boolean; reorder?: boolean; rowWindow?: boolean; rowStream?: boolean; ramBudget?: RamBudget } = {}): Promise<CompiledModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch {
    throw new InputError(`model file not found: ${modelPath}`);
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  const loaded = options.graph ?? (await loadModel(modelPath));
  const target = options.target ?? HOST_TARGET;
  const optimize = options.optimize ?? 'speed';
  // Activations and every kernel's scratch, for the kernels chosen for this target and goal, with
  // the RAM techniques the budget (or, without one, their instruction cost) calls for.
  const { graph, prepared, plan, ram } = planUnderBudget(loaded, target, {
    optimize,
    ...(options.ramBudget !== undefined ? { ramBudget: options.ramBudget } : {}),
    ...(options.inPlace !== undefined ? { inPlace: options.inPlace } : {}),
    ...(options.reorder !== undefined ? { reorder: options.reorder } : {}),
    ...(options.rowWindow !== undefined ? { rowWindow: options.rowWindow } : {}),
    ...(options.rowStream !== undefined ? { rowStream: options.rowStream } : {}),
  });
  let generated: GeneratedModel;
  try {
    generated = generateModelC(prepared, plan, { hash, target, optimize });
  } catch (e) {
    // A float op between quantized tensors has no C kernel: name all of them, and the fix, at once.
    const islands = e instanceof UnsupportedOpError ? floatIslandError(graph) : undefined;
    if (islands) throw new UnsupportedOpError(islands);
    throw e;
  }
  return { modelPath, hash, graph, prepared, plan, ram, generated, target, optimize };
}
