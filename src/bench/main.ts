/**
 * `npm run bench`: builds every shared int8 model for the benchmark boards, checks it against
 * the golden outputs, measures instructions per inference, arena and flash, and prints them next
 * to TensorFlow Lite Micro + CMSIS-NN's figures from ../shared/reference/. On qemu-m4 it also
 * runs the float golden models (VWW, AD01) as float32 and as hybrid (`quantize --dynamic`'s
 * weights-only int8) next to their int8 versions. Rows that ../shared/reference/ does not cover
 * (float32 on qemu-m4, int8 on qemu-m55) stand beside TFLM's figures measured the same way in
 * bench/reference/, which a second table lists in full (int4 included). A benchmark, not a test: it asserts nothing
 * about speed; it fails only if an output is wrong (float: beyond 1e-4 of the golden output's
 * range; hybrid, which has no golden data: beyond 1e-4 of the host interpreter's). Also on qemu-m4:
 * KWS, VWW and AD01 with sub-byte weights (int4, int2, ternary, binary; the int8 weights rounded
 * to each width by quantize/sub-byte-rounding.ts until the calibrated quantizer makes them),
 * checked byte for byte against the host interpreter, with the flash split into weights, biases
 * and scales, other model data and code; and the same models with clustered weights (lut16: the
 * int8 weights of each layer clustered to 16 levels in one table by quantize/cluster-int8.ts,
 * 4-bit indices decoded in the kernels), checked the same way. Every row also gives the smallest
 * arena the memory planner reaches (`--ram-budget min`) and that firmware's instructions, its
 * golden cases checked too; `--ram-budget BYTES|min` builds every row under that budget.
 */
import { mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../codegen/templates.js';
import { InputError, TinymlError } from '../errors.js';
import { tensorDataFromBytes } from '../ir/types.js';
import { num, renderTable } from '../text/table.js';
import { buildModelFirmware, type BuiltFirmware } from '../deploy/firmware.js';
import { planUnderBudget, type RamBudget } from '../codegen/ram-budget.js';
import { parseRamBudget } from '../codegen/ram-budget.js';
import { openTargetSession } from '../deploy/target-session.js';
import { FLOAT_CHECK_TOLERANCE, floatOutputError, inferOnDevice, measureLatency } from '../deploy/verify.js';
import { prepareGraph, runGraph } from '../interp/interpreter.js';
import type { Graph } from '../ir/types.js';
import { loadModel } from '../model-file/load-model.js';
import { dynamicQuantizeGraph } from '../quantize/dynamic.js';
import { summarizeModel } from '../analysis/summary.js';
import { findTflmFigure, loadTflmFigures, type TflmFigureSet } from './tflm-figures.js';
import { roundWeightsToSubByte } from '../quantize/sub-byte-rounding.js';
import { clusterInt8Weights } from '../quantize/cluster-int8.js';
import { modelFlashBreakdown, type ModelFlashBreakdown } from '../report/link-map.js';
import type { SubByteKind } from '../ir/weight-encoding.js';

interface ReferenceFile {
  models: Record<string, { model: string; macs: number; cmsisnn: { instructions: number; arenaUsedBytes: number; flashBytes: number } }>;
}

/**
 * int8 golden models; float32 golden models as they are; their hybrid (weights-only int8) form;
 * int8 models with their weights rounded to a sub-byte width.
 */
type BenchKind = 'int8' | 'float32' | 'hybrid' | SubByteKind | ClusterKind;

const SUB_BYTE_KINDS: SubByteKind[] = ['int4', 'int2', 'ternary', 'binary'];

/** Clustered weights: lut<K>, the int8 weights of each layer clustered to K levels (one table). */
type ClusterKind = 'lut16';
const CLUSTER_KINDS: Record<ClusterKind, number> = { lut16: 16 };

/** The int8 models benchmarked with sub-byte weights (on qemu-m4). */
const SUB_BYTE_MODELS = ['kws_ref_model', 'vww_96_int8', 'ad01_int8'];

/** The float golden models benchmarked as float32 and hybrid, with their int8 counterparts. */
const FLOAT_MODELS: Record<string, string> = { ad01_fp32: 'ad01_int8', vww_96_float: 'vww_96_int8' };

interface BenchRow {
  model: string;
  kind: BenchKind;
  board: string;
  macs: number;
  instructions: number;
  instructionsPerMac: number;
  arenaBytes: number;
  /** Largest live set of the plain plan in the model's own op order (codegen/ram-budget.ts). */
  arenaLowerBound: number;
  /** The smallest arena the planner reaches (`--ram-budget min`) and that firmware's instructions. */
  minArenaBytes: number;
  minArenaInstructions: number;
  flashBytes: number;
  ramBytes: number;
  /** Golden cases checked (both firmwares when the smallest arena is another build) and matched. */
  goldenCases: number;
  goldenMatched: number;
  /** TFLM's figure for the same model on the same board; `label` names its kernel set. */
  reference?: { label: string; instructions: number; arenaBytes: number; flashBytes: number };
  ratios?: { instructions: number; arena: number; flash: number };
  /** Flash of the model's constants by role, and the firmware's code (.text). */
  flash: ModelFlashBreakdown & { code: number };
  /** Sub-byte and clustered rows: instructions and flash over the same model's int8 row on the same board. */
  vsInt8?: { instructions: number; flash: number };
}

/** What `npm run bench -- --help` prints. */
export const BENCH_USAGE = `Usage: npm run bench -- [--boards B,...] [--models M,...] [--kinds K,...] [--ram-budget BYTES|min] [--out DIR]

Builds the shared models for each board, checks every golden case on QEMU and prints instructions,
instructions per MAC, arena and flash next to TensorFlow Lite Micro's figures; the table is also
written as JSON under DIR (default results/).

  --boards      boards to run (default qemu-m4,qemu-m7,qemu-m55)
  --models      model ids from ../shared/reference (default: all); an int8 model also selects its
                float, hybrid and sub-byte rows
  --kinds       row kinds (default: all): int8, hybrid, float32, int4, int2, ternary, binary, lut16
  --ram-budget  build every row under this arena budget (default: the planner's own choice)
  --out         directory for the JSON results
  --help        this text`;

const BENCH_FLAGS = ['--boards', '--models', '--kinds', '--out', '--ram-budget'];

function parseArgs(argv: string[]): { boards: string[]; models?: string[]; kinds: BenchKind[]; out: string; ramBudget?: RamBudget } {
  // Every flag takes a value: anything else would run the whole (long) bench unasked.
  for (let i = 0; i < argv.length; i += 2) {
    if (!BENCH_FLAGS.includes(argv[i])) throw new InputError(`unknown bench option '${argv[i]}'\n\n${BENCH_USAGE}`);
    if (argv[i + 1] === undefined) throw new InputError(`bench option ${argv[i]} needs a value\n\n${BENCH_USAGE}`);
  }
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    boards: (get('--boards') ?? 'qemu-m4,qemu-m7,qemu-m55').split(','),
    ...(get('--models') ? { models: get('--models')!.split(',') } : {}),
    // --kinds int4,int2: only those rows (default: every kind).
    kinds: (get('--kinds') ?? ['int8', 'hybrid', 'float32', ...SUB_BYTE_KINDS, ...Object.keys(CLUSTER_KINDS)].join(',')).split(',') as BenchKind[],
    out: resolve(get('--out') ?? join(PROJECT_ROOT, 'results')),
    // --ram-budget BYTES|min: every row built under that budget (default: the planner's own choice).
    ...(get('--ram-budget') !== undefined ? { ramBudget: parseRamBudget(get('--ram-budget'))! } : {}),
  };
}

/** Whether float32 outputs are within FLOAT_CHECK_TOLERANCE of the expected ones. */
function floatClose(got: Uint8Array, want: Uint8Array): boolean {
  const w = tensorDataFromBytes('float32', want) as Float32Array;
  const g = tensorDataFromBytes('float32', got) as Float32Array;
  return g.length === w.length && floatOutputError(w, g, FLOAT_CHECK_TOLERANCE).error <= FLOAT_CHECK_TOLERANCE;
}

/** The model's constants by role, from the link map beside the ELF (zeros if there is none). */
function flashOfModel(elf: string): ModelFlashBreakdown {
  const map = join(dirname(elf), 'firmware.map');
  return existsSync(map) ? modelFlashBreakdown(readFileSync(map, 'utf8')) : { weights: 0, biasesAndScales: 0, other: 0 };
}

/** Golden cases whose outputs the firmware reproduces, and its instructions per inference. */
async function measureFirmware(built: BuiltFirmware, goldenDir: string, kind: BenchKind): Promise<{ matched: number; cases: number; instructions: number }> {
  const manifest = JSON.parse(readFileSync(join(goldenDir, 'manifest.json'), 'utf8')) as { cases: { inputs: string[]; outputs: string[] }[] };
  const g = built.compiled.graph;
  // A hybrid model has no golden outputs of its own: the host interpreter's are the reference.
  const host = kind === 'int8' || kind === 'float32' ? undefined : prepareGraph(g);
  const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 60_000 });
  try {
    let matched = 0;
    for (const c of manifest.cases) {
      const inputs = c.inputs.map((f, k) => tensorDataFromBytes(g.tensors[g.inputs[k]].dtype, new Uint8Array(readFileSync(join(goldenDir, f)))));
      const outs = await inferOnDevice(session.client, inputs);
      const want = host ? runGraph(host, inputs).map((t) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength)) : c.outputs.map((f) => new Uint8Array(readFileSync(join(goldenDir, f))));
      const same = (o: Uint8Array, k: number): boolean => (kind === 'float32' || kind === 'hybrid' ? floatClose(o, want[k]) : Buffer.from(o).equals(want[k]));
      if (outs.every(same)) matched++;
    }
    return { matched, cases: manifest.cases.length, instructions: (await measureLatency(session.client, built.board)).perInference };
  } finally {
    await session.close();
  }
}

async function benchOne(id: string, modelPath: string, board: string, goldenDir: string, work: string, kind: BenchKind = 'int8', graph?: Graph, ramBudget?: RamBudget): Promise<BenchRow> {
  const dir = join(work, `${id}-${kind}-${board}`);
  const built = await buildModelFirmware(modelPath, { board, outDir: dir, force: true, ...(graph ? { graph } : {}), ...(ramBudget !== undefined ? { ramBudget } : {}) });
  const g = built.compiled.graph;
  const run = await measureFirmware(built, goldenDir, kind);
  // The smallest arena the planner reaches (--ram-budget min), and what it costs: the same
  // firmware when that is the arena built, else a second firmware built, checked and timed.
  let min = { arenaBytes: built.compiled.plan.arenaBytes, ...run };
  const target = built.compiled.target;
  const minArena = planUnderBudget(built.compiled.graph, target, { optimize: built.compiled.optimize, ramBudget: 'min' }).plan.arenaBytes;
  if (minArena < min.arenaBytes) {
    const smallest = await buildModelFirmware(modelPath, { board, outDir: `${dir}-min`, force: true, ...(graph ? { graph } : {}), ramBudget: 'min' });
    min = { arenaBytes: smallest.compiled.plan.arenaBytes, ...(await measureFirmware(smallest, goldenDir, kind)) };
  }
  const macs = summarizeModel(g).totals.macs;
  return {
    model: id,
    kind,
    board,
    macs,
    instructions: run.instructions,
    instructionsPerMac: run.instructions / macs,
    arenaBytes: built.compiled.plan.arenaBytes,
    arenaLowerBound: built.compiled.ram.lowerBound,
    minArenaBytes: min.arenaBytes,
    minArenaInstructions: min.instructions,
    flashBytes: built.build.flashBytes,
    ramBytes: built.build.ramBytes,
    flash: { ...flashOfModel(built.build.elf), code: built.build.sections.text },
    goldenCases: run.cases + (min.arenaBytes < built.compiled.plan.arenaBytes ? min.cases : 0),
    goldenMatched: run.matched + (min.arenaBytes < built.compiled.plan.arenaBytes ? min.matched : 0),
  };
}

/** Gives a row TFLM's figure from bench/reference/ when ../shared/reference has none for it. */
function attachTflm(row: BenchRow, sets: TflmFigureSet[]): void {
  if (!row.reference) {
    const found = findTflmFigure(sets, row.board, row.model, row.kind);
    if (found) {
      const f = found.figures;
      row.reference = { label: found.set.label, instructions: f.instructions, arenaBytes: f.arenaUsedBytes, flashBytes: f.flashBytes };
    }
  }
  const r = row.reference;
  if (r) row.ratios = { instructions: row.instructions / r.instructions, arena: row.arenaBytes / r.arenaBytes, flash: row.flashBytes / r.flashBytes };
}

/** Every TFLM figure of bench/reference/, int4 included (the int4 VWW row stands beside TFLM on the same tinyml-written file). */
function tflmTable(sets: TflmFigureSet[]): string {
  const rows = sets.flatMap((set) =>
    Object.entries(set.models).map(([id, f]) => [set.board, id, set.kind, set.label, num(f.instructions), num(f.arenaUsedBytes), num(f.flashBytes), num(f.ramBytes), `${f.matched}/${f.cases}`]),
  );
  return (
    `TensorFlow Lite Micro measured on the same emulated boards (bench/reference/, method in its README):\n` +
    renderTable(
      [
        { header: 'board' },
        { header: 'model' },
        { header: 'kind' },
        { header: 'TFLM' },
        { header: 'instructions', align: 'right' },
        { header: 'arena', align: 'right' },
        { header: 'flash', align: 'right' },
        { header: 'RAM', align: 'right' },
        { header: 'checked', align: 'right' },
      ],
      rows,
    )
  );
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const args = parseArgs(argv);
  const shared = resolve(PROJECT_ROOT, '..', 'shared');
  if (!existsSync(join(shared, 'reference'))) throw new TinymlError('SHARED_MISSING', `../shared/reference not found at ${shared}`);
  const reference = JSON.parse(readFileSync(join(shared, 'reference', 'tflm-cmsisnn-qemu-m4.json'), 'utf8')) as ReferenceFile;
  const tflm = loadTflmFigures(join(PROJECT_ROOT, 'bench', 'reference'));
  const golden = join(shared, 'golden');
  const ids = readdirSync(golden).filter((d) => reference.models[d] && (!args.models || args.models.includes(d)));
  const work = join(tmpdir(), `tinyml-bench-${process.pid}`);
  const rows: BenchRow[] = [];
  const jobs: (() => Promise<void>)[] = [];
  for (const board of args.boards) {
    for (const id of ids) {
      if (!args.kinds.includes('int8')) continue;
      jobs.push(async () => {
        const row = await benchOne(id, join(shared, reference.models[id].model), board, join(golden, id), work, 'int8', undefined, args.ramBudget);
        // ../shared/reference was measured on the emulated Cortex-M4 only.
        if (board === 'qemu-m4') {
          const r = reference.models[id].cmsisnn;
          row.reference = { label: 'TFLM+CMSIS-NN', instructions: r.instructions, arenaBytes: r.arenaUsedBytes, flashBytes: r.flashBytes };
        }
        rows.push(row);
        process.stderr.write(`  ${board} ${id}: ${num(row.instructions)} instructions, golden ${row.goldenMatched}/${row.goldenCases}\n`);
      });
    }
  }
  // Sub-byte weights on qemu-m4, checked against the host interpreter (rounding changes the outputs).
  for (const id of ids.filter((i) => SUB_BYTE_MODELS.includes(i))) {
    if (!args.boards.includes('qemu-m4')) continue;
    for (const kind of SUB_BYTE_KINDS.filter((k) => args.kinds.includes(k))) {
      jobs.push(async () => {
        const modelPath = join(shared, reference.models[id].model);
        const graph = roundWeightsToSubByte(await loadModel(modelPath), kind).graph;
        const row = await benchOne(id, modelPath, 'qemu-m4', join(golden, id), work, kind, graph, args.ramBudget);
        rows.push(row);
        process.stderr.write(`  qemu-m4 ${id} (${kind}): ${num(row.instructions)} instructions, checked ${row.goldenMatched}/${row.goldenCases}\n`);
      });
    }
  }
  // Clustered weights on qemu-m4, checked against the host interpreter (clustering changes the outputs).
  for (const id of ids.filter((i) => SUB_BYTE_MODELS.includes(i))) {
    if (!args.boards.includes('qemu-m4')) continue;
    for (const kind of (Object.keys(CLUSTER_KINDS) as ClusterKind[]).filter((k) => args.kinds.includes(k))) {
      jobs.push(async () => {
        const modelPath = join(shared, reference.models[id].model);
        const graph = clusterInt8Weights(await loadModel(modelPath), CLUSTER_KINDS[kind]).graph;
        const row = await benchOne(id, modelPath, 'qemu-m4', join(golden, id), work, kind, graph, args.ramBudget);
        rows.push(row);
        process.stderr.write(`  qemu-m4 ${id} (${kind}): ${num(row.instructions)} instructions, checked ${row.goldenMatched}/${row.goldenCases}\n`);
      });
    }
  }
  // The float golden models as float32 and hybrid, on qemu-m4 (where the int8 rows have TFLM's figures).
  for (const [id, int8Id] of Object.entries(FLOAT_MODELS)) {
    if (!args.boards.includes('qemu-m4') || (args.models && !args.models.includes(id) && !args.models.includes(int8Id))) continue;
    const goldenDir = join(golden, id);
    const modelPath = join(shared, (JSON.parse(readFileSync(join(goldenDir, 'manifest.json'), 'utf8')) as { model: string }).model);
    for (const kind of (['float32', 'hybrid'] as const).filter((k) => args.kinds.includes(k))) {
      jobs.push(async () => {
        const graph = kind === 'hybrid' ? dynamicQuantizeGraph(await loadModel(modelPath)).graph : undefined;
        const row = await benchOne(id, modelPath, 'qemu-m4', goldenDir, work, kind, graph, args.ramBudget);
        rows.push(row);
        process.stderr.write(`  qemu-m4 ${id} (${kind}): ${num(row.instructions)} instructions, checked ${row.goldenMatched}/${row.goldenCases}\n`);
      });
    }
  }
  // Two at a time: each QEMU keeps one core busy.
  const queue = [...jobs];
  await Promise.all([0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
  for (const row of rows) attachTflm(row, tflm);
  const kinds: BenchKind[] = ['int8', ...SUB_BYTE_KINDS, ...(Object.keys(CLUSTER_KINDS) as ClusterKind[]), 'hybrid', 'float32'];
  for (const r of rows) {
    const base = rows.find((b) => b.kind === 'int8' && b.model === r.model && b.board === r.board);
    if (base && (SUB_BYTE_KINDS.includes(r.kind as SubByteKind) || r.kind in CLUSTER_KINDS)) r.vsInt8 = { instructions: r.instructions / base.instructions, flash: r.flashBytes / base.flashBytes };
  }
  rows.sort((a, b) => args.boards.indexOf(a.board) - args.boards.indexOf(b.board) || a.macs - b.macs || kinds.indexOf(a.kind) - kinds.indexOf(b.kind));

  const ratio = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);
  const table = renderTable(
    [
      { header: 'board' },
      { header: 'model' },
      { header: 'kind' },
      { header: 'MACs', align: 'right' },
      { header: 'instructions', align: 'right' },
      { header: 'instr/MAC', align: 'right' },
      { header: 'TFLM', align: 'left' },
      { header: 'vs TFLM', align: 'right' },
      { header: 'arena', align: 'right' },
      { header: 'lower bound', align: 'right' },
      { header: 'vs TFLM', align: 'right' },
      { header: 'min arena', align: 'right' },
      { header: 'instr at min', align: 'right' },
      { header: 'flash', align: 'right' },
      { header: 'vs TFLM', align: 'right' },
      { header: 'weights', align: 'right' },
      { header: 'bias+rq', align: 'right' },
      { header: 'code', align: 'right' },
      { header: 'vs int8 (instr, flash)', align: 'right' },
      { header: 'golden', align: 'right' },
    ],
    rows.map((r) => [
      r.board,
      r.model,
      r.kind,
      num(r.macs),
      num(r.instructions),
      r.instructionsPerMac.toFixed(2),
      r.reference?.label ?? '-',
      ratio(r.ratios?.instructions),
      num(r.arenaBytes),
      num(r.arenaLowerBound),
      ratio(r.ratios?.arena),
      num(r.minArenaBytes),
      num(r.minArenaInstructions),
      num(r.flashBytes),
      ratio(r.ratios?.flash),
      num(r.flash.weights),
      num(r.flash.biasesAndScales),
      num(r.flash.code),
      r.vsInt8 ? `${ratio(r.vsInt8.instructions)}, ${ratio(r.vsInt8.flash)}` : '-',
      `${r.goldenMatched}/${r.goldenCases}`,
    ]),
  );
  process.stdout.write(
    `${table}\n\nInstructions per inference under QEMU -icount (exact); arena and flash in bytes. The arena holds activations and every kernel's scratch ` +
      `(all the RAM the model needs besides the stack); the lower bound is the largest set of them alive at one layer ` +
      `in the model's own op order without in-place layers (what no plain plan goes under); "min arena" is the smallest arena the ` +
      `planner reaches (--ram-budget min: in-place layers, op reordering, row-window convolutions and pointwise -> depthwise pairs row by row) and "instr at min" that firmware's instructions ` +
      `(the same firmware's when the default build already has that arena). ` +
      `TFLM figures: int8 on qemu-m4 from ../shared/reference, the others from bench/reference (same method; TFLM's arena counts its scratch too). float32 and hybrid rows: ` +
      `the float golden models as they are and weights-only int8 (quantize --dynamic); "golden" counts their outputs within 1e-4 of the ` +
      `output's range of the golden data (float32) or of the host interpreter (hybrid, which has no golden data). int4/int2/ternary/binary ` +
      `rows: the int8 model's weights rounded to that width (plain rounding, not the calibrated quantizer), checked byte for byte against ` +
      `the host interpreter on the golden inputs; weights and bias+rq are the model's constants as linked (packed), code is .text. ` +
      `lut16 rows: each layer's int8 weights clustered to 16 levels in one table (k-means on the int8 values, 4-bit indices ` +
      `decoded in the kernels), checked the same way.\n`,
  );
  if (tflm.length) process.stdout.write(`\n${tflmTable(tflm)}\n`);
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
  writeFileSync(join(args.out, 'bench-latest.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
  process.stdout.write(`written ${file}\n`);
  const wrong = rows.filter((r) => r.goldenMatched !== r.goldenCases);
  if (wrong.length) {
    process.stderr.write(`error: outputs differ from the golden data for ${wrong.map((r) => `${r.model} on ${r.board}`).join(', ')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = e instanceof TinymlError ? e.exitCode : 1;
  },
);
