/**
 * Every failure tinyml reports to a user is one of these typed errors. Each carries a message a
 * user can act on (what went wrong, where, and what to do); the CLI prints `message` without a
 * stack trace and exits with `exitCode`.
 */
export class TinymlError extends Error {
  /** Stable machine-readable code, e.g. "MODEL_FORMAT". */
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

/** A model file that is not a well-formed model of the format it claims (truncated, bad offsets...). */
export class ModelFormatError extends TinymlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_FORMAT', message, options);
  }
}

/** An op, or an op with a data type combination, that tinyml does not implement. */
export class UnsupportedOpError extends TinymlError {
  constructor(message: string) {
    super('UNSUPPORTED_OP', message);
  }
}

/** A graph that is structurally wrong: bad tensor indices, shapes that do not agree, etc. */
export class GraphError extends TinymlError {
  constructor(message: string) {
    super('GRAPH', message);
  }
}

/** Bad user input on the command line or in a data file (wrong size, unknown extension...). */
export class InputError extends TinymlError {
  constructor(message: string) {
    super('INPUT', message, { exitCode: 2 });
  }
}

/** A required external tool (compiler, emulator, flasher) is not installed. */
export class ToolMissingError extends TinymlError {
  readonly tool: string;
  constructor(tool: string, message: string) {
    super('TOOL_MISSING', message);
    this.tool = tool;
  }
}

/** An external tool ran and failed (compiler error, emulator crash...). */
export class ToolFailedError extends TinymlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOOL_FAILED', message, options);
  }
}

/** The generated firmware does not fit the board's flash or RAM. */
export class DoesNotFitError extends TinymlError {
  constructor(message: string) {
    super('DOES_NOT_FIT', message);
  }
}

/** The device did not answer, answered garbage, or reported an error over the serial link. */
export class DeviceError extends TinymlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEVICE', message, options);
  }
}

/** Refusing to overwrite something the user owns without --force. */
export class WouldOverwriteError extends TinymlError {
  constructor(message: string) {
    super('WOULD_OVERWRITE', message);
  }
}

/** Results differ from the reference (bit-exactness check failed). */
export class MismatchError extends TinymlError {
  constructor(message: string) {
    super('MISMATCH', message);
  }
}

/** A RAM budget (`--ram-budget`) the memory planner cannot reach, or a malformed one. */
export class RamBudgetError extends TinymlError {
  constructor(message: string) {
    super('RAM_BUDGET', message, { exitCode: 2 });
  }
}

/**
 * A training checkpoint that cannot be resumed by this run: written by a run of another model,
 * data or options (the message names each difference), or not a checkpoint at all.
 */
export class CheckpointMismatchError extends TinymlError {
  constructor(message: string) {
    super('CHECKPOINT_MISMATCH', message, { exitCode: 2 });
  }
}
