/** `tinyml build MODEL --board B [--out DIR] [--optimize speed|size] [--os] [--force]`: a firmware project, built. */
import type { BuildResult } from '../../build/compile.js';
import type { FirmwareProtocol } from '../../build/project.js';
import type { OptimizeGoal } from '../../ops/op-def.js';
import { build, type BuildOptions } from '../../api/build.js';
import { InputError } from '../../errors.js';
import type { CliIO } from '../io.js';
import { num, renderTable } from '../../text/table.js';
import { parseRamBudget, ramSummary } from '../ram-budget.js';

export interface BuildCommandOptions {
  board: string;
  out?: string;
  optimize?: string;
  os?: boolean;
  force?: boolean;
  profile?: boolean;
  json?: boolean;
  protocol?: string;
  ramBudget?: string;
}

/** --protocol value, checked. */
export function parseProtocol(value: string | undefined): FirmwareProtocol | undefined {
  if (value === undefined) return undefined;
  if (value !== 'tinyml' && value !== 'eembc') throw new InputError(`--protocol must be tinyml or eembc, not '${value}'`);
  return value;
}

/**
 * --optimize (speed or size) and --os, checked: --os is --optimize size (-Os and the smallest
 * kernel layouts), so it cannot go with --optimize speed. Default speed.
 */
export function parseOptimize(value: string | undefined, os: boolean | undefined): OptimizeGoal {
  if (value !== undefined && value !== 'speed' && value !== 'size') {
    throw new InputError(`--optimize must be speed or size, not '${value}'`);
  }
  if (os && value === 'speed') throw new InputError('--os means --optimize size; it cannot be combined with --optimize speed');
  return os ? 'size' : (value ?? 'speed');
}

/** The API's build options from --board, --out, --force, --optimize / --os and --protocol, checked in that order of flags. */
export function buildOptionsFromCli(opts: Pick<BuildCommandOptions, 'board' | 'out' | 'force' | 'optimize' | 'os' | 'protocol' | 'ramBudget'>): BuildOptions {
  const protocol = parseProtocol(opts.protocol);
  const ramBudget = parseRamBudget(opts.ramBudget);
  return {
    board: opts.board,
    ...(opts.out ? { out: opts.out } : {}),
    force: opts.force ?? false,
    optimize: parseOptimize(opts.optimize, opts.os),
    ...(protocol ? { protocol } : {}),
    ...(ramBudget !== undefined ? { ramBudget } : {}),
  };
}

export function sizeRows(build: BuildResult, arenaBytes: number): string[][] {
  const pct = (used: number, size: number): string => `${((100 * used) / size).toFixed(1)}%`;
  return [
    ['.text', num(build.sections.text), 'flash'],
    ['.rodata', num(build.sections.rodata), 'flash'],
    ['.data', num(build.sections.data), 'flash + RAM'],
    ['.bss', num(build.sections.bss), 'RAM'],
    ['arena (in .bss)', num(arenaBytes), 'RAM'],
    ['stack reserve', num(build.sections.stack), 'RAM'],
    ['flash used', num(build.flashBytes), `${pct(build.flashBytes, build.flashSize)} of ${num(build.flashSize)}`],
    ['RAM used', num(build.ramBytes), `${pct(build.ramBytes, build.ramSize)} of ${num(build.ramSize)}`],
  ];
}

export async function buildCommand(modelPath: string, opts: BuildCommandOptions, io: CliIO): Promise<void> {
  const out = await build(modelPath, { ...buildOptionsFromCli(opts), profile: opts.profile ?? false });
  const { build: b, compiled, project } = out.firmware;
  if (opts.json) {
    // The API's summary of the build, with the model by name (a build that did not fit has thrown).
    const { model: _model, firmware: _firmware, ...summary } = out;
    io.out(JSON.stringify({ model: compiled.graph.name, ...summary, fits: true }, null, 2));
    return;
  }
  io.out(`built ${compiled.graph.name} for ${out.board} (optimized for ${compiled.optimize}, ${b.opt}) in ${project.dir}`);
  io.out(`firmware: ${b.elf}`);
  if (out.client) io.out(`typed client: ${out.client}`);
  io.out('');
  io.out(renderTable([{ header: 'section' }, { header: 'bytes', align: 'right' }, { header: 'where' }], sizeRows(b, compiled.plan.arenaBytes)));
  io.out(ramSummary(out.ram));
  io.out('');
  io.out(`fits ${out.board}: yes. Rebuild without tinyml: make -C ${project.dir} [OPT=-Os]`);
}
