/**
 * `build(model, { board })`: the firmware project for a board, built with arm-none-eabi-gcc, and
 * next to it `client/<model>.ts`, the model's typed client (client-gen/).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SectionSizes } from '../build/compile.js';
import type { FirmwareProtocol } from '../build/project.js';
import { generateClient } from '../client-gen/generate-client.js';
import type { BuiltFirmware } from '../deploy/firmware.js';
import { buildModelFirmware } from '../deploy/firmware.js';
import { InputError } from '../errors.js';
import type { OptimizeGoal } from '../ops/op-def.js';
import type { RamBudget, RamReport } from '../codegen/ram-budget.js';
import { toModel, type Model, type ModelLike } from './model.js';

export interface BuildOptions {
  /** Board name (`tinyml boards` lists them), e.g. 'qemu-m4'. */
  board: string;
  /** Project directory (default: tinyml-out/<model>-<board> under the current directory). */
  out?: string;
  /** Overwrite a directory holding files tinyml did not write (or the user edited). */
  force?: boolean;
  /** 'speed' (default, -O2) or 'size' (-Os and the smallest kernel layouts). */
  optimize?: OptimizeGoal;
  /** Per-layer timing in the firmware (needed by a session's `profile()`). */
  profile?: boolean;
  /** Serial protocol: 'tinyml' (default) or 'eembc' (MLPerf Tiny DUT). */
  protocol?: FirmwareProtocol;
  /** Write `client/<model>.ts` into the project (default true). */
  client?: boolean;
  /**
   * Let layers that can overwrite their input do so when that makes the arena smaller (in-place
   * depthwise convolutions; `firmware.compiled.plan.inPlace` lists them). true forces it on,
   * false off; default: as `ramBudget` decides.
   */
  inPlace?: boolean;
  /**
   * Run the ops in the topological order with the smallest arena when it beats the model's own
   * order (branchy graphs; results unchanged). true forces it on, false off; default: as
   * `ramBudget` decides.
   */
  reorder?: boolean;
  /**
   * Let convolutions run in place through a window of input rows (a copy and a kernel call per
   * output row) when that makes the arena smaller. true forces it on, false off; default: as
   * `ramBudget` decides.
   */
  rowWindow?: boolean;
  /**
   * Let a pointwise convolution and the depthwise layer reading its output run together row by
   * row, the pointwise output never stored whole, when that makes the arena smaller. true forces
   * it on, false off; default: as `ramBudget` decides.
   */
  rowStream?: boolean;
  /**
   * Bytes the arena (activations and all kernel scratch) must fit in: the planner applies in-place
   * layers, then op reordering, then row-window convolutions, then row-streamed pairs, until it does, and throws RamBudgetError saying by how many bytes
   * it misses otherwise; 'min': all of them. Default: the smallest arena whose techniques cost no
   * more than 10% extra instructions (modelled; `ram` in the output says what each saved).
   */
  ramBudget?: RamBudget;
}

export interface BuildOutput {
  model: Model;
  /** Board name. */
  board: string;
  /** Absolute project directory. */
  dir: string;
  elf: string;
  /** The generated typed client, when written. */
  client?: string;
  optimize: OptimizeGoal;
  opt: string;
  sections: SectionSizes;
  flashBytes: number;
  ramBytes: number;
  arenaBytes: number;
  arenaLowerBound: number;
  /** The arena, the op-order lower bound of the plain plan and what each RAM technique saved. */
  ram: RamReport;
  /** Everything the build made (compiled graph, memory plan, board, project). */
  firmware: BuiltFirmware;
}

export async function build(model: ModelLike, options: BuildOptions): Promise<BuildOutput> {
  if (!options || typeof options.board !== 'string' || options.board === '') throw new InputError("build(model, { board }) needs a board name, e.g. { board: 'qemu-m4' }");
  const m = await toModel(model);
  const optimize = options.optimize ?? 'speed';
  if (optimize !== 'speed' && optimize !== 'size') throw new InputError(`optimize must be 'speed' or 'size', not '${String(optimize)}'`);
  const wantClient = options.client !== false;
  const clientSource = wantClient ? generateClient(m.graph, { hash: await fileHash(m.path) }) : undefined;
  const firmware = await buildModelFirmware(m.path, {
    board: options.board,
    graph: m.graph,
    ...(options.out ? { outDir: options.out } : {}),
    force: options.force ?? false,
    optimize,
    profile: options.profile ?? false,
    ...(options.inPlace !== undefined ? { inPlace: options.inPlace } : {}),
    ...(options.reorder !== undefined ? { reorder: options.reorder } : {}),
    ...(options.rowWindow !== undefined ? { rowWindow: options.rowWindow } : {}),
    ...(options.rowStream !== undefined ? { rowStream: options.rowStream } : {}),
    ...(options.ramBudget !== undefined ? { ramBudget: options.ramBudget } : {}),
    ...(options.protocol ? { protocol: options.protocol } : {}),
    ...(clientSource ? { extraFiles: { [`client/${clientSource.fileName}`]: clientSource.text } } : {}),
  });
  const { build: b, compiled, project } = firmware;
  return {
    model: m,
    board: firmware.board.name,
    dir: project.dir,
    elf: b.elf,
    ...(clientSource ? { client: join(project.dir, 'client', clientSource.fileName) } : {}),
    optimize: compiled.optimize,
    opt: b.opt,
    sections: b.sections,
    flashBytes: b.flashBytes,
    ramBytes: b.ramBytes,
    arenaBytes: compiled.plan.arenaBytes,
    arenaLowerBound: compiled.plan.lowerBound,
    ram: compiled.ram,
    firmware,
  };
}

/** Hex SHA-256 of the model file: the client records which model it was made for. */
async function fileHash(path: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch {
    throw new InputError(`model file not found: ${path}`);
  }
}
