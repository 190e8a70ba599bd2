/**
 * Model file → built firmware for a board: compile the model to C, lay out the project
 * (model, kernels, runtime, board support, Makefile), build it with make and arm-none-eabi-gcc,
 * and report sizes and fit.
 */
import { basename, extname, join, resolve } from 'node:path';
import type { RamBudget } from '../codegen/ram-budget.js';
import type { Board } from '../build/board.js';
import { loadBoard } from '../build/board.js';
import type { BuildResult, OptLevel } from '../build/compile.js';
import { buildFirmware } from '../build/compile.js';
import type { FirmwareProject, FirmwareProtocol } from '../build/project.js';
import { writeFirmwareProject } from '../build/project.js';
import type { Graph } from '../ir/types.js';
import type { OptimizeGoal } from '../ops/op-def.js';
import { eembcModelVersion } from '../serial/eembc-client.js';
import type { CompiledModel } from './compile-model.js';
import { compileModel, targetForCore } from './compile-model.js';

export interface FirmwareOptions {
  board: string;
  /** Project directory (default: tinyml-out/<model>-<board> under the current directory). */
  outDir?: string;
  force?: boolean;
  /** Compiler optimization level (default: -Os when optimizing for size, else -O2). */
  opt?: OptLevel;
  /**
   * Flash or speed: 'size' also turns off weight pre-expansion and lookup tables in the kernels.
   * Default: 'size' when opt is -Os, else 'speed'.
   */
  optimize?: OptimizeGoal;
  /** Build with per-layer timing (PROFILE command). */
  profile?: boolean;
  /** Extra preprocessor defines for the firmware build. */
  defines?: string[];
  /** Use this graph instead of importing the file again (the file still gives name and hash). */
  graph?: Graph;
  /** Generate portable kernels only, whatever the core (for comparisons). */
  portable?: boolean;
  /** Layers that can overwrite their input do so (in-place depthwise; see planModelMemory); undefined: the RAM budget decides. */
  inPlace?: boolean;
  /** Run the ops in the order with the smallest arena (see plan/op-order.ts); undefined: the RAM budget decides. */
  reorder?: boolean;
  /** Convolutions run in place through a window of input rows (ops/conv-rows-in-place.ts); undefined: the RAM budget decides. */
  rowWindow?: boolean;
  /** Pointwise -> depthwise pairs run row by row (codegen/pw-dw-stream.ts); undefined: the RAM budget decides. */
  rowStream?: boolean;
  /** Bytes the arena must fit in, or 'min' (codegen/ram-budget.ts); default: the smallest arena within 10% extra instructions. */
  ramBudget?: RamBudget;
  /** Serial protocol of the firmware: 'tinyml' (default) or 'eembc' (EEMBC / MLPerf Tiny DUT). */
  protocol?: FirmwareProtocol;
  /** More project files (e.g. 'client/<model>.ts'), project-relative path → contents; never compiled. */
  extraFiles?: Record<string, string | Uint8Array>;
}

export interface BuiltFirmware {
  compiled: CompiledModel;
  board: Board;
  project: FirmwareProject;
  build: BuildResult;
}

export function defaultOutDir(modelPath: string, board: string): string {
  return resolve('tinyml-out', `${basename(modelPath, extname(modelPath))}-${board}`);
}

export async function buildModelFirmware(modelPath: string, options: FirmwareOptions): Promise<BuiltFirmware> {
  const board = loadBoard(options.board);
  const target = options.portable ? { core: board.core, dsp: false, mve: false } : targetForCore(board.core);
  const optimize = options.optimize ?? (options.opt === '-Os' ? 'size' : 'speed');
  const opt = options.opt ?? (optimize === 'size' ? '-Os' : '-O2');
  const compiled = await compileModel(modelPath, { target, optimize, ...(options.inPlace !== undefined ? { inPlace: options.inPlace } : {}), ...(options.reorder !== undefined ? { reorder: options.reorder } : {}), ...(options.rowWindow !== undefined ? { rowWindow: options.rowWindow } : {}), ...(options.rowStream !== undefined ? { rowStream: options.rowStream } : {}), ...(options.ramBudget !== undefined ? { ramBudget: options.ramBudget } : {}), ...(options.graph ? { graph: options.graph } : {}) });
  const project = await writeFirmwareProject({
    outDir: options.outDir ?? defaultOutDir(modelPath, board.name),
    board,
    modelFiles: { ...compiled.generated.files, ...(options.extraFiles ?? {}) },
    kernelFiles: compiled.generated.kernelFiles,
    force: options.force ?? false,
    ...(options.defines || options.protocol === 'eembc' ? { defines: eembcDefines(options, compiled.graph.name) } : {}),
    ...(options.protocol ? { protocol: options.protocol } : {}),
  });
  const build = await buildFirmware(project.dir, { opt, profile: options.profile ?? false });
  return { compiled, board, project, build };
}

/** The EEMBC runtime names MLPerf Tiny's models as their runner expects (profile%: m-model-[kws01]). */
function eembcDefines(options: FirmwareOptions, modelName: string): string[] {
  const defines = [...(options.defines ?? [])];
  const version = eembcModelVersion(modelName);
  if (options.protocol === 'eembc' && version && !defines.some((d) => /^(-D)?TINYML_EEMBC_MODEL(=|$)/.test(d))) defines.push(`TINYML_EEMBC_MODEL=${version}`);
  return defines;
}

export function firmwareElf(built: BuiltFirmware): string {
  return built.build.elf ?? join(built.project.dir, 'build', 'firmware.elf');
}
