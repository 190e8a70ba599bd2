/**
 * `npm run bench`: builds every shared int8 model for the benchmark boards, checks it against
 * the golden outputs, measures instructions per inference, arena and flash, and prints them next
 * to TensorFlow Lite Micro + CMSIS-NN's figures from ../shared/reference/. A benchmark, not a
 * test: it asserts nothing about speed; it fails only if an output is wrong.
 */
import { mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../codegen/templates.js';
import { TinymlError } from '../errors.js';
import { tensorDataFromBytes } from '../ir/types.js';
import { num, renderTable } from '../text/table.js';
import { buildModelFirmware } from '../deploy/firmware.js';
import { openTargetSession } from '../deploy/target-session.js';
import { inferOnDevice, measureLatency } from '../deploy/verify.js';
import { summarizeModel } from '../analysis/summary.js';

interface ReferenceFile {
  models: Record<string, { model: string; macs: number; cmsisnn: { instructions: number; arenaUsedBytes: number; flashBytes: number } }>;
}

interface BenchRow {
  model: string;
  board: string;
  macs: number;
  instructions: number;
  instructionsPerMac: number;
  arenaBytes: number;
  arenaLowerBound: number;
  flashBytes: number;
  ramBytes: number;
  goldenCases: number;
  goldenMatched: number;
  reference?: { instructions: number; arenaBytes: number; flashBytes: number };
  ratios?: { instructions: number; arena: number; flash: number };
}

function parseArgs(argv: string[]): { boards: string[]; models?: string[]; out: string } {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    boards: (get('--boards') ?? 'qemu-m4,qemu-m7,qemu-m55').split(','),
    ...(get('--models') ? { models: get('--models')!.split(',') } : {}),
    out: resolve(get('--out') ?? join(PROJECT_ROOT, 'results')),
  };
}

async function benchOne(id: string, modelPath: string, board: string, goldenDir: string, work: string): Promise<BenchRow> {
  const built = await buildModelFirmware(modelPath, { board, outDir: join(work, `${id}-${board}`), force: true });
  const manifest = JSON.parse(readFileSync(join(goldenDir, 'manifest.json'), 'utf8')) as { cases: { inputs: string[]; outputs: string[] }[] };
  const g = built.compiled.graph;
  const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 30_000 });
  try {
    let matched = 0;
    for (const c of manifest.cases) {
      const inputs = c.inputs.map((f, k) => tensorDataFromBytes(g.tensors[g.inputs[k]].dtype, new Uint8Array(readFileSync(join(goldenDir, f)))));
      const outs = await inferOnDevice(session.client, inputs);
      if (outs.every((o, k) => Buffer.from(o).equals(readFileSync(join(goldenDir, c.outputs[k]))))) matched++;
    }
    const latency = await measureLatency(session.client, built.board);
    const macs = summarizeModel(g).totals.macs;
    return {
      model: id,
      board,
      macs,
      instructions: latency.perInference,
      instructionsPerMac: latency.perInference / macs,
      arenaBytes: built.compiled.plan.arenaBytes,
      arenaLowerBound: built.compiled.plan.lowerBound,
      flashBytes: built.build.flashBytes,
      ramBytes: built.build.ramBytes,
      goldenCases: manifest.cases.length,
      goldenMatched: matched,
    };
  } finally {
    await session.close();
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const shared = resolve(PROJECT_ROOT, '..', 'shared');
  if (!existsSync(join(shared, 'reference'))) throw new TinymlError('SHARED_MISSING', `../shared/reference not found at ${shared}`);
  const reference = JSON.parse(readFileSync(join(shared, 'reference', 'tflm-cmsisnn-qemu-m4.json'), 'utf8')) as ReferenceFile;
  const golden = join(shared, 'golden');
  const ids = readdirSync(golden).filter((d) => reference.models[d] && (!args.models || args.models.includes(d)));
  const work = join(tmpdir(), `tinyml-bench-${process.pid}`);
  const rows: BenchRow[] = [];
  const jobs: (() => Promise<void>)[] = [];
  for (const board of args.boards) {
    for (const id of ids) {
      jobs.push(async () => {
        const row = await benchOne(id, join(shared, reference.models[id].model), board, join(golden, id), work);
        // The reference was measured on the emulated Cortex-M4 only.
        if (board === 'qemu-m4') {
          const r = reference.models[id].cmsisnn;
          row.reference = { instructions: r.instructions, arenaBytes: r.arenaUsedBytes, flashBytes: r.flashBytes };
          row.ratios = { instructions: row.instructions / r.instructions, arena: row.arenaBytes / r.arenaUsedBytes, flash: row.flashBytes / r.flashBytes };
        }
        rows.push(row);
        process.stderr.write(`  ${board} ${id}: ${num(row.instructions)} instructions, golden ${row.goldenMatched}/${row.goldenCases}\n`);
      });
    }
  }
  // Two at a time: each QEMU keeps one core busy.
  const queue = [...jobs];
  await Promise.all([0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
  rows.sort((a, b) => args.boards.indexOf(a.board) - args.boards.indexOf(b.board) || a.macs - b.macs);

  const ratio = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);
  const table = renderTable(
    [
      { header: 'board' },
      { header: 'model' },
      { header: 'MACs', align: 'right' },
      { header: 'instructions', align: 'right' },
      { header: 'instr/MAC', align: 'right' },
      { header: 'vs TFLM+CMSIS-NN', align: 'right' },
      { header: 'arena', align: 'right' },
      { header: 'lower bound', align: 'right' },
      { header: 'vs TFLM', align: 'right' },
      { header: 'flash', align: 'right' },
      { header: 'vs TFLM', align: 'right' },
      { header: 'golden', align: 'right' },
    ],
    rows.map((r) => [
      r.board,
      r.model,
      num(r.macs),
      num(r.instructions),
      r.instructionsPerMac.toFixed(2),
      ratio(r.ratios?.instructions),
      num(r.arenaBytes),
      num(r.arenaLowerBound),
      ratio(r.ratios?.arena),
      num(r.flashBytes),
      ratio(r.ratios?.flash),
      `${r.goldenMatched}/${r.goldenCases}`,
    ]),
  );
  process.stdout.write(
    `${table}\n\nInstructions per inference under QEMU -icount (exact); arena and flash in bytes. The arena holds activations and every kernel's scratch ` +
      `(all the RAM the model needs besides the stack); the lower bound is the largest set of them alive at one layer. ` +
      `TFLM figures from ../shared/reference (qemu-m4 only; its arena counts its scratch too).\n`,
  );
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
    process.exitCode = 1;
  },
);
