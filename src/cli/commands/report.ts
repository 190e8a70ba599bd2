/**
 * `tinyml report MODEL --board B|host --html FILE [--calib DATA [--calib-key K] [--calib-limit N]
 *   [--scale S] [--mean M] [--std S]] [--out DIR] [--force] [--port P] [--flash-port P] [--no-flash] [--seed N]`
 *
 * One self-contained HTML page about a model on a board: per-layer latency (the profiling
 * firmware run on the target, as `tinyml profile` does it), the memory plan as a timeline of the
 * arena, per-layer weight histograms, per-layer SQNR and the flash/RAM breakdown. A float model
 * with --calib is quantized first (as `tinyml quantize` does it, per-channel min-max) and the
 * report is about the int8 model, with the float weights beside the int8 ones and the
 * quantizer's SQNR. `--board host` reports what needs no board: no latency, no section sizes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadBoard } from '../../build/board.js';
import { packageVersion } from '../../codegen/templates.js';
import { buildModelFirmware } from '../../deploy/firmware.js';
import { compileModel } from '../../deploy/compile-model.js';
import { checkDeviceModel, openTargetSession, sessionOptionsFromCli, targetDescription, type BoardLinkFlags } from '../../deploy/target-session.js';
import { parsePreprocessOptions } from '../../data/preprocess.js';
import { InputError } from '../../errors.js';
import { checkOutputFiles, writeOutputFile } from '../../io/output-file.js';
import type { Graph } from '../../ir/types.js';
import { loadModel } from '../../model-file/load-model.js';
import { profileOnTarget, type ProfileReport } from '../../profile/profile.js';
import { quantizeGraph, type QuantizationReport } from '../../quantize/index.js';
import { mapSectionBytes, renderReportHtml, weightHistograms, type MemorySizes, type ReportData } from '../../report/index.js';
import type { CliIO } from '../io.js';
import { positiveInt, readCalibrationSamples } from './quantize.js';

export interface ReportCommandOptions extends BoardLinkFlags {
  /** A board name, or 'host' for what can be had without one. */
  board: string;
  /** The page to write. */
  html: string;
  /** Calibration samples for a float model (see `tinyml quantize`). */
  calib?: string;
  calibKey?: string;
  calibLimit?: string | number;
  scale?: string;
  mean?: string;
  std?: string;
  /** Firmware project directory (default tinyml-out/<model>-<board>-report). */
  out?: string;
  /** Overwrite an existing --html (and a project directory with files tinyml did not write). */
  force?: boolean;
  /** Seed of the profiled input (default 1). */
  seed?: string | number;
  /** Print a JSON summary (schemas/report.json) on stdout instead of the text line. */
  json?: boolean;
}

export interface ReportCommandResult {
  html: string;
  data: ReportData;
}


const isFloatModel = (g: Graph): boolean => g.inputs.some((i) => g.tensors[i].dtype === 'float32');

export async function reportCommand(modelPath: string, opts: ReportCommandOptions, io: CliIO): Promise<ReportCommandResult> {
  const force = opts.force ?? false;
  const html = resolve(opts.html);
  if (extname(html).toLowerCase() !== '.html' && extname(html).toLowerCase() !== '.htm') {
    throw new InputError(`--html ${opts.html}: the report is an HTML page; give a path ending in .html`);
  }
  if (opts.calib === undefined && (opts.scale !== undefined || opts.mean !== undefined || opts.std !== undefined || opts.calibKey !== undefined || opts.calibLimit !== undefined)) {
    throw new InputError('--scale, --mean, --std, --calib-key and --calib-limit apply to the --calib data; give --calib too');
  }
  const limit = positiveInt(opts.calibLimit, '--calib-limit', 300);
  const pre = parsePreprocessOptions(opts);
  if (opts.board !== 'host') loadBoard(opts.board); // an unknown board fails now, listing the known ones
  // Before the build and the run, not after: a page with nowhere to go is an input error.
  if (!existsSync(dirname(html))) throw new InputError(`cannot write --html ${opts.html}: its folder ${dirname(html)} does not exist`);
  await checkOutputFiles([{ path: html, option: '--html' }], [modelPath, ...(opts.calib ? [opts.calib] : [])], force);

  const graph = await loadModel(modelPath);
  let quantized: Graph | undefined;
  let quantization: QuantizationReport | undefined;
  if (opts.calib !== undefined) {
    if (!isFloatModel(graph)) {
      throw new InputError(`${modelPath} is already quantized (input '${graph.tensors[graph.inputs[0]].name}' is ${graph.tensors[graph.inputs[0]].dtype}); --calib quantizes a float model: drop --calib`);
    }
    const samples = await readCalibrationSamples(graph, { calib: opts.calib, ...(opts.calibKey ? { calibKey: opts.calibKey } : {}) }, limit, pre);
    ({ graph: quantized, report: quantization } = quantizeGraph(graph, samples, { onProgress: (m) => io.err(m) }));
  }
  const runs = quantized ?? graph;
  const notes: ReportData['notes'] = {};
  if (quantization && quantization.insertedQuantizeOps > 0) {
    notes.weights = `Layer numbers here and under SQNR are the float model's ops; the quantized model adds ${quantization.insertedQuantizeOps} QUANTIZE op(s) at precision boundaries, so its numbers (latency, memory plan) differ after the first of them.`;
  }
  const weights = weightHistograms(graph, quantized);
  if (!quantization) {
    notes.sqnr = isFloatModel(graph)
      ? 'No SQNR: give --calib (calibration samples) to quantize this float model and compare each layer with its float form.'
      : 'No SQNR: this model is already int8, so there is no float model to compare it with.';
  }

  let profile: ProfileReport | undefined;
  let sizes: MemorySizes;
  let plan;
  let prepared: Graph;
  if (opts.board === 'host') {
    const compiled = await compileModel(modelPath, { graph: runs });
    plan = compiled.plan;
    prepared = compiled.prepared.graph;
    sizes = { constantBytes: compiled.generated.constantBytes, arenaBytes: compiled.plan.arenaBytes };
  } else {
    const seed = opts.seed === undefined ? 1 : Number(opts.seed);
    const built = await buildModelFirmware(modelPath, {
      board: opts.board,
      outDir: opts.out ?? resolve('tinyml-out', `${basename(modelPath, extname(modelPath))}-${opts.board}-report`),
      force,
      profile: true,
      graph: runs,
    });
    const { build, compiled, board } = built;
    io.err(`built ${build.elf} with per-layer timing; starting ${targetDescription(board, opts.port)}`);
    const session = await openTargetSession(board, build.elf, sessionOptionsFromCli(opts, (l) => io.err(l)));
    try {
      checkDeviceModel(session.info, compiled.hash);
      profile = await profileOnTarget(session.client, session.info, board, compiled, { seed: Number.isFinite(seed) ? seed : 1 });
    } finally {
      await session.close();
    }
    plan = compiled.plan;
    prepared = compiled.prepared.graph;
    // The model's constants as linked (DSP kernels pre-expand weights and add tables), from the map.
    const mapFile = join(dirname(build.elf), 'firmware.map');
    const linked = existsSync(mapFile) ? mapSectionBytes(readFileSync(mapFile, 'utf8'), '.rodata', 'model/model.o') : undefined;
    sizes = {
      sections: build.sections,
      flashSize: build.flashSize,
      ramSize: build.ramSize,
      constantBytes: linked ?? compiled.generated.constantBytes,
      arenaBytes: compiled.plan.arenaBytes,
    };
    notes.sizes =
      `Sections of the profiling build (${build.opt}): its per-layer timer hooks add a little code to .text.` +
      (linked === undefined ? ` No linker map at ${mapFile}: the weights are the graph's constant bytes, before any kernel-specific layout.` : ' Weights and constants: the model\'s .rodata in the linker map (kernel layouts such as pre-expanded int16 weights included).');
  }

  const data: ReportData = {
    model: graph.name,
    board: opts.board,
    version: packageVersion(),
    ...(profile ? { profile } : {}),
    graph: prepared,
    plan,
    weights,
    ...(quantization ? { quantization } : {}),
    sizes,
    notes,
  };
  await writeOutputFile({ path: html, option: '--html' }, new TextEncoder().encode(renderReportHtml(data)), force);
  if (opts.json) io.out(JSON.stringify(reportSummary(html, data), null, 2));
  else io.out(`wrote ${html} (open it in a browser: it needs no network)`);
  return { html, data };
}

/** What `report --json` prints: where the page is and the headline figures it shows. */
export function reportSummary(html: string, d: ReportData): Record<string, unknown> {
  const p = d.profile;
  const sec = d.sizes.sections;
  return {
    model: d.model,
    board: d.board,
    html,
    layers: d.graph.ops.length,
    arenaBytes: d.sizes.arenaBytes,
    constantBytes: d.sizes.constantBytes,
    ...(sec ? { flashBytes: sec.text + sec.rodata + sec.data, ramBytes: sec.data + sec.bss + sec.stack } : {}),
    ...(p ? { latency: { unit: p.unit, perInference: p.invokeUnits, ms: (p.invokeUnits / p.clockHz) * 1000 } } : {}),
    quantized: d.quantization !== undefined,
    ...(d.quantization ? { sqnrDb: d.quantization.layers.map((l) => l.sqnrDb ?? null) } : {}),
  };
}
