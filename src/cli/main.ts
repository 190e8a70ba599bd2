/**
 * The `tinyml` command line. Typed errors become one clear line on stderr and an exit code; with
 * --json also `{"error": {"code", "message"}}` on stdout, so that a script always gets JSON.
 */
import { Command, CommanderError } from 'commander';
import { TinymlError } from '../errors.js';
import { buildCommand } from './commands/build.js';
import { deployCommand } from './commands/deploy.js';
import { RAM_BUDGET_HELP } from './ram-budget.js';
import type { EvalOptions } from './commands/eval.js';
import { evalCommand } from './commands/eval.js';
import type { ExportOptions } from './commands/export.js';
import { exportCommand } from './commands/export.js';
import type { ProfileCommandOptions } from './commands/profile.js';
import { profileCommand } from './commands/profile.js';
import type { QuantizeCommandOptions } from './commands/quantize.js';
import { quantizeCommand } from './commands/quantize.js';
import { finetuneCommand, type FinetuneCommandOptions } from './commands/finetune.js';
import type { ReportCommandOptions } from './commands/report.js';
import { reportCommand } from './commands/report.js';
import { tradeoffCommand, type TradeoffCommandOptions } from './commands/tradeoff.js';
import { DEFAULT_TRADEOFF_CONFIGS } from '../tradeoff/configs.js';
import { inspectCommand } from './commands/inspect.js';
import type { BuildCommandOptions } from './commands/build.js';
import type { DeployOptions } from './commands/deploy.js';
import type { RunOptions } from './commands/run.js';
import { runCommand } from './commands/run.js';
import { listBoards } from '../build/board.js';
import { packageVersion } from '../codegen/templates.js';
import type { CliIO } from './io.js';
import { processIO } from './io.js';
import { FEED_RULE_HELP } from '../data/feed-rule.js';

const boardNames = (): string => listBoards().join(', ');

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];


/** --port, --flash-port and --no-flash: how a command reaches a physical board (`BoardLinkFlags`). */
function withBoardLink(command: Command): Command {
  return command
    .option('--port <path>', "serial port of a physical board's link (its UART)")
    .option('--flash-port <path>', "a physical board's USB port for flashing (default: found by USB ID)")
    .option('--no-flash', 'the board already runs this firmware: do not flash it');
}

/** --optimize and --os, as `parseOptimize` reads them. */
function withOptimize(command: Command): Command {
  return command
    .option('--optimize <goal>', 'speed (default): weights pre-expanded where that saves instructions; size: the smallest flash (-Os, compact weights, no lookup tables)')
    .option('--os', 'same as --optimize size');
}

function buildProgram(io: CliIO): Command {
  const program = new Command('tinyml')
    .description('Deploy quantized neural networks to Cortex-M microcontrollers')
    .version(packageVersion(), '-V, --version', 'print the tinyml version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  program
    .command('inspect')
    .description('per-layer table of a model: shapes, dtypes, quantization, MACs, parameter bytes')
    .argument('<model>', 'model file (.tflite)')
    .option('--json', 'machine-readable output')
    .action((model: string, opts: { json?: boolean }) => inspectCommand(model, opts, io));

  const runCmd = program
    .command('run')
    .description('run one inference with the reference interpreter on the host, or on a board (with its latency)')
    .argument('<model>', 'model file (.tflite)')
    .requiredOption('--input <file>', 'input tensor: .bin (the raw bytes) or .npy (see "Data types"); once per model input', collect)
    .option('--output <file>', 'write output tensor to .bin or .npy (default: print); once per output', collect)
    .option('--board <name>', 'run the generated firmware on this board instead of the host (e.g. qemu-m4)')
    .option('--out <dir>', 'firmware project directory when --board is given');
  withBoardLink(runCmd)
    .option('--force', 'overwrite existing --output files (never an input file) and a non-tinyml --out directory')
    .option('--json', 'machine-readable output: inputs and outputs (name, shape, dtype, values), latency on a board')
    .addHelpText('after', FEED_RULE_HELP)
    .action((model: string, opts: RunOptions) => runCommand(model, opts, io));

  const buildCmd = program
    .command('build')
    .description('generate a firmware project for a board and build it; report sections, arena and fit')
    .argument('<model>', 'model file (.tflite)')
    .requiredOption('--board <name>', `board: ${boardNames()}`)
    .option('--out <dir>', 'project directory (default tinyml-out/<model>-<board>)');
  withOptimize(buildCmd)
    .option('--profile', 'build with per-layer timing hooks')
    .option('--ram-budget <bytes>', RAM_BUDGET_HELP)
    .option('--protocol <name>', 'serial protocol of the firmware: tinyml (default) or eembc (MLPerf Tiny / EnergyRunner DUT)')
    .option('--force', 'overwrite a directory that holds files tinyml did not write')
    .option('--json', 'machine-readable output')
    .action((model: string, opts: BuildCommandOptions) => buildCommand(model, opts, io));

  const deployCmd = program
    .command('deploy')
    .description('build, boot (QEMU) or connect, check against the reference, measure latency, flash and RAM')
    .argument('<model>', 'model file (.tflite)')
    .requiredOption('--board <name>', `board: ${boardNames()}`)
    .option('--out <dir>', 'project directory (default tinyml-out/<model>-<board>)');
  withOptimize(deployCmd)
    .option('--ram-budget <bytes>', RAM_BUDGET_HELP)
    .option('--check <n>', 'random inputs compared with the reference interpreter (0: no check, said so in the report)', '3')
    .option('--protocol <name>', 'serial protocol of the firmware: tinyml (default) or eembc (MLPerf Tiny / EnergyRunner DUT)');
  withBoardLink(deployCmd)
    .option('--force', 'overwrite a directory that holds files tinyml did not write')
    .option('--json', 'machine-readable output')
    .action((model: string, opts: DeployOptions) => deployCommand(model, opts, io));

  program
    .command('export')
    .description('export a model for other toolchains: --arduino writes an Arduino library with an example sketch')
    .argument('<model>', 'model file (.tflite or .onnx)')
    .option('--arduino', 'an Arduino library (library.properties, src/, examples/<model>/<model>.ino)')
    .option('--out <dir>', 'output folder (default tinyml-out/<model>-arduino)')
    .option('--name <lib>', 'library name, also the header <lib>.h (default tinyml_<model>)')
    .option('--optimize <goal>', 'speed (default): weights pre-expanded where that saves instructions; size: compact weights, no lookup tables')
    .option('--force', 'overwrite a folder that holds files tinyml did not write')
    .option('--json', 'machine-readable output')
    .action((model: string, opts: ExportOptions) => exportCommand(model, opts, io));

  const evalCmd = program
    .command('eval')
    .description('accuracy, confusion matrix and latency over a labelled dataset, on the host or a board')
    .argument('<model>', 'model file (.tflite or .onnx)')
    .option('--board <name>', 'where to run: host (reference interpreter) or a board', 'host')
    .requiredOption('--data <file>', 'samples: IDX (gz or not), .npy or .npz (see "Data types")')
    .option('--labels <file>', 'labels: IDX or .npy (optional for .npz and MNIST-named IDX files)')
    .option('--data-key <name>', 'samples array inside an .npz')
    .option('--labels-key <name>', 'labels array inside an .npz')
    .option('--scale <x>', 'multiply raw values, e.g. 1/255')
    .option('--mean <list>', 'subtract: scalar or per-channel comma list')
    .option('--std <list>', 'divide: scalar or per-channel comma list')
    .option('--limit <n>', 'first N samples only')
    .option('--jobs <n>', 'parallel runners (host worker threads, or QEMU instances)')
    .option('--save-outputs <file>', 'write output 0 of every sample to a .npy, in sample order')
    .option('--out <dir>', 'firmware project directory for a board (default tinyml-out/<model>-<board>)')
    .option('--os', 'optimize the firmware for size (-Os, compact weights, no lookup tables)')
    .option('--force', 'overwrite an existing --save-outputs file (never the data or labels) and a directory that holds files tinyml did not write');
  withBoardLink(evalCmd)
    .option('--json', 'machine-readable output')
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', FEED_RULE_HELP)
    .action(async (model: string, opts: EvalOptions) => {
      await evalCommand(model, opts, io);
    });

  const profileCmd = program
    .command('profile')
    .description('per-layer time on the target: share, MACs, instructions (or cycles) per MAC, bar chart')
    .argument('<model>', 'model file (.tflite or .onnx)')
    .requiredOption('--board <name>', `board: ${boardNames()}`)
    .option('--out <dir>', 'project directory (default tinyml-out/<model>-<board>-profile)');
  withOptimize(profileCmd)
    .option('--force', 'overwrite a directory that holds files tinyml did not write');
  withBoardLink(profileCmd)
    .option('--seed <n>', 'seed of the random input', '1')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: ProfileCommandOptions) => {
      await profileCommand(model, opts, io);
    });

  program
    .command('quantize')
    .description('post-training quantization of a float model (.onnx, float32 .tflite) to an int8 .tflite, or with --dynamic to a hybrid one')
    .argument('<model>', 'float model (.onnx or float32 .tflite)')
    .option('--calib <file>', 'calibration samples: IDX (gz or not), .npy or .npz (see "Data types"); labels not needed; required unless --dynamic')
    .option('--dynamic', 'dynamic-range (hybrid) quantization: int8 weights, float activations; no calibration data')
    .option('--weights <type>', 'the weights\' type: int8 (default), or with --calib int4 | int2 | ternary | binary (activations stay int8)')
    .option('--keep-int8 <layers>', 'with sub-byte --weights, --clusters or --flash-budget: layers that keep int8 weights (comma-separated op indices, output tensor names, first, last)')
    .option('--group-size <n>', 'with sub-byte --weights: a scale per group of N weights along the input dimension (conv and dense layers), not only per channel')
    .option('--rounding <method>', 'with sub-byte --weights or --flash-budget: gptq (error-compensating, default) | adaround (learned rounding) | nearest (MSE-optimal clipping only)')
    .option('--calib-key <name>', 'array name inside an .npz')
    .option('--out <file>', 'output .tflite (default: <model stem>.int8.tflite next to the model)')
    .option('--per-tensor', 'one weight scale per tensor instead of per output channel')
    .option('--calibration <method>', 'minmax | percentile | mse | entropy (default minmax)')
    .option('--percentile <p>', 'for --calibration percentile (default 99.99)')
    .option('--symmetric', 'symmetric int8 activations (zero point 0)')
    .option('--int16 [layers]', '16x8: whole model, or comma-separated op indices / output tensor names')
    .option('--bias-correction', 'correct biases for the mean error of weight quantization')
    .option('--smooth <alpha>', 'move this share (0..1) of each activation channel\'s range into the next layer\'s weights, exact in float (with --dynamic default 0.75; \'off\' turns it off)')
    .option('--equalize', 'cross-layer equalization before quantizing: rescale each conv/dense layer\'s output channels and the next layer\'s input channels so their weight ranges match (exact in float; helps per-tensor scales)')
    .option('--calib-limit <n>', 'calibrate on the first N samples (default 300)')
    .option('--clusters <k>', 'cluster conv/depthwise/dense weights into K int8 levels (2..256; indices of ceil(log2 K) bits)')
    .option('--cluster-scope <scope>', 'with --clusters: one table per output channel (channel) or per layer (tensor, the default)')
    .option('--tflm-form <form>', "with --clusters or --flash-budget: TensorFlow Lite Micro's compression form of clustered weights, metadata (COMPRESSION_METADATA, the default) or decode (TFLM_DECODE ops, at most 128 clusters)")
    .option('--flash-budget <bytes>', "choose each weight layer's width (int8, int4, int2, ternary, binary, 2..16 clusters) by measured sensitivity so that weights, biases, scales and tables fit BYTES, or e.g. 0.40x the int8 model's")
    .option('--scale <s>', 'multiply raw values, e.g. 1/255')
    .option('--mean <m>', 'subtract: scalar or per channel')
    .option('--std <s>', 'divide: scalar or per channel')
    .option('--json', 'print the report as JSON')
    .option('--force', 'overwrite --out if it exists')
    .addHelpText('after', FEED_RULE_HELP)
    .action(async (model: string, opts: QuantizeCommandOptions) => {
      await quantizeCommand(model, opts, io);
    });

  program
    .command('finetune')
    .description('quantization-aware training of a float model (.onnx, float32 .tflite): learned step sizes, then an int8 .tflite')
    .argument('<model>', 'float model (.onnx or float32 .tflite)')
    .requiredOption('--data <file>', 'training samples: IDX (gz or not), .npy or .npz (see "Data types")')
    .option('--labels <file>', 'training labels (IDX or .npy; default: the MNIST-named sibling of --data)')
    .option('--scale <s>', 'multiply raw values, e.g. 1/255')
    .option('--mean <m>', 'subtract: scalar or per channel')
    .option('--std <s>', 'divide: scalar or per channel')
    .option('--weights <kind>', 'int8 | int4 | int2 | ternary | binary (default int8)')
    .option('--calibration <method>', 'activation ranges of the post-training starting point: minmax | percentile | mse | entropy (default minmax)')
    .option('--keep-int8 <layers>', 'weight layers that stay int8: op indices, output tensor names, first, last')
    .option('--clusters <k>', 'train clustered weights: K levels (2..256), one table per layer, written as quantize --clusters writes them')
    .option('--flash-budget <bytes>', "each layer's storage chosen as quantize --flash-budget chooses it (bytes, or a fraction of the int8 model's: 0.40x), then trained")
    .option('--epochs <n>', 'passes over the training data (default 1)')
    .option('--distill', 'train on the float model\'s soft targets too (knowledge distillation)')
    .option('--lr <x>', 'Adam learning rate (default 1e-4 for int8, 5e-4 below 8 bits)')
    .option('--batch <n>', 'batch size (default 128)')
    .option('--limit <n>', 'train on the first N samples')
    .option('--holdout <n>', 'hold the last N training samples out to keep the best of the start and each epoch (default 5000, or a tenth of a smaller set; 0: none)')
    .option('--eval-data <file>', 'held-out samples for the reported accuracy (default: the training data)')
    .option('--eval-labels <file>', 'their labels')
    .option('--eval-limit <n>', 'evaluate on the first N samples')
    .option('--seed <n>', 'shuffling seed (default 1)')
    .option('--threads <n>', 'threads sharing each batch (default 2)')
    .option('--dampen [lambda]', 'oscillation dampening: pull sub-byte weights towards their codes, weight ramped from 0 to LAMBDA (default 1) over the run')
    .option('--checkpoint <file>', 'training state written after every epoch (default: <out>.ckpt; deleted once the model is written)')
    .option('--resume', 'continue the run saved in --checkpoint (same model, data and options)')
    .option('--stop-after <n>', 'stop once N epochs have completed, keeping the checkpoint (continue later with --resume)')
    .option('--out <file>', 'output .tflite (default: <model stem>.qat-<kind>.tflite next to the model)')
    .option('--force', 'overwrite --out (and --checkpoint) if it exists')
    .option('--no-progress', 'no progress bar')
    .action(async (model: string, opts: FinetuneCommandOptions) => {
      await finetuneCommand(model, opts, io);
    });

  program
    .command('tradeoff')
    .description('accuracy vs parameter bytes (vs latency on a board) over quantization configurations, with the Pareto front; --html for plots')
    .argument('<model>', 'float model (.onnx or float32 .tflite)')
    .option('--calib <file>', 'calibration samples for the quantized configurations (see "Data types")')
    .option('--calib-limit <n>', 'calibrate on the first N samples (default 300)')
    .requiredOption('--data <file>', 'labelled samples to measure top-1 on: IDX (gz or not), .npy or .npz')
    .option('--labels <file>', 'labels (IDX or .npy; default: the MNIST-named sibling of --data)')
    .option('--limit <n>', 'measure top-1 on the first N samples (default 2000)')
    .option('--configs <list>', `comma-separated, from: ${DEFAULT_TRADEOFF_CONFIGS.join(', ')} (default: all)`)
    .option('--board <name>', `also measure latency, flash and arena on this board: ${boardNames()}`)
    .option('--html <file>', 'write a self-contained page with the plots (.html)')
    .option('--scale <s>', 'multiply raw values, e.g. 1/255')
    .option('--mean <m>', 'subtract: scalar or per channel')
    .option('--std <s>', 'divide: scalar or per channel')
    .option('--json', 'print the measurements as JSON')
    .option('--force', 'overwrite --html if it exists')
    .addHelpText('after', FEED_RULE_HELP)
    .action(async (model: string, opts: TradeoffCommandOptions) => {
      await tradeoffCommand(model, opts, io);
    });

  const reportCmd = program
    .command('report')
    .description('one self-contained HTML page: per-layer latency, arena timeline, weight histograms, SQNR, flash/RAM breakdown')
    .argument('<model>', 'model file (.tflite or .onnx)')
    .requiredOption('--board <name>', `board: ${boardNames()}, or host (no latency, no section sizes)`)
    .requiredOption('--html <file>', 'the page to write (.html)')
    .option('--calib <file>', 'float model: quantize it on these samples first and report SQNR (see "Data types")')
    .option('--calib-key <name>', 'array name inside an .npz')
    .option('--calib-limit <n>', 'calibrate on the first N samples (default 300)')
    .option('--scale <s>', 'multiply raw values, e.g. 1/255')
    .option('--mean <m>', 'subtract: scalar or per channel')
    .option('--std <s>', 'divide: scalar or per channel')
    .option('--out <dir>', 'firmware project directory (default tinyml-out/<model>-<board>-report)')
    .option('--force', 'overwrite --html if it exists (and a project directory with files tinyml did not write)');
  withBoardLink(reportCmd)
    .option('--seed <n>', 'seed of the profiled random input', '1')
    .option('--json', 'print a JSON summary (page path, arena, flash, RAM, latency, SQNR) instead of the text line')
    .addHelpText('after', FEED_RULE_HELP)
    .action(async (model: string, opts: ReportCommandOptions) => {
      await reportCommand(model, opts, io);
    });

  return program;
}

/** Whether --json was given (before a `--` that ends the options). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** The error as a script reads it: `{"error": {"code": ..., "message": ...}}`. */
export function errorJson(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } }, null, 2);
}

/** Runs the CLI; returns the exit code instead of exiting (tests call this directly). */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  const json = wantsJson(argv);
  // With --json, stdout holds one JSON document: a command that already printed its report
  // (deploy puts a failed check inside it) gets no second one for the error.
  let printed = false;
  const tracked: CliIO = {
    out: (t) => {
      printed = true;
      io.out(t);
    },
    err: (t) => io.err(t),
  };
  const program = buildProgram(tracked);
  const jsonError = (code: string, message: string): void => {
    if (json && !printed) io.out(errorJson(code, message));
  };
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed the usage error (or the help / version, exit code 0).
      if (e.exitCode !== 0) jsonError('USAGE', e.message.replace(/^error: /, ''));
      return e.exitCode;
    }
    if (e instanceof TinymlError) {
      io.err(`error: ${e.message}`);
      jsonError(e.code, e.message);
      return e.exitCode;
    }
    const err = e as Error;
    const message = err?.message ?? String(e);
    io.err(`internal error: ${message}\nThis is a bug in tinyml; please report it with the command you ran.${process.env.TINYML_DEBUG ? `\n${err?.stack}` : ''}`);
    jsonError('INTERNAL', message);
    return 70;
  }
}
