/** The `tinyml` command line. Typed errors become one clear line on stderr and an exit code. */
import { Command, CommanderError } from 'commander';
import { TinymlError } from '../errors.js';
import { inspectCommand } from './commands/inspect.js';
import { runCommand } from './commands/run.js';
import type { CliIO } from './io.js';
import { processIO } from './io.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function buildProgram(io: CliIO): Command {
  const program = new Command('tinyml')
    .description('Deploy quantized neural networks to Cortex-M microcontrollers')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  program
    .command('inspect')
    .description('per-layer table of a model: shapes, dtypes, quantization, MACs, parameter bytes')
    .argument('<model>', 'model file (.tflite)')
    .option('--json', 'machine-readable output')
    .action((model: string, opts: { json?: boolean }) => inspectCommand(model, opts, io));

  program
    .command('run')
    .description('run one inference with the reference interpreter on the host')
    .argument('<model>', 'model file (.tflite)')
    .requiredOption('--input <file>', 'input tensor: .bin (raw bytes) or .npy; once per model input', collect)
    .option('--output <file>', 'write output tensor to .bin or .npy (default: print); once per output', collect)
    .action((model: string, opts: { input: string[]; output?: string[] }) => runCommand(model, opts, io));

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting (tests call this directly). */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof TinymlError) {
      io.err(`error: ${e.message}`);
      return e.exitCode;
    }
    const err = e as Error;
    io.err(`internal error: ${err?.message ?? String(e)}\nThis is a bug in tinyml; please report it with the command you ran.${process.env.TINYML_DEBUG ? `\n${err?.stack}` : ''}`);
    return 70;
  }
}
