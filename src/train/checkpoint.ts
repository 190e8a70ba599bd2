/**
 * Training checkpoints (`finetune --checkpoint F`, `--resume`): the complete state of a run after
 * an epoch, so that a run stopped or killed between epochs continues to the same bytes as one that
 * never stopped. The file is JSON (typed arrays as base64 of their little-endian bytes, so every
 * float comes back bit for bit) with the run's identity: the model, the data and every option that
 * changes the result. A checkpoint is only resumed by a run of the same identity, and only
 * overwritten by the run that wrote it.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { CheckpointMismatchError, InputError, WouldOverwriteError } from '../errors.js';
import type { NetworkState } from './step.js';

/** What `finetune` needs to continue after `epoch` completed epochs. */
export interface TrainingCheckpoint {
  /** Completed epochs. */
  epoch: number;
  /** Adam steps taken (the learning rate schedule and dampening ramp position too). */
  step: number;
  /** State of the shuffling stream (mulberry32Stream). */
  randomState: number;
  /** Weights, biases, step sizes, cluster levels, activation scales and zero points. */
  network: NetworkState;
  /** Adam's first and second moments, one pair per trained array, in the trainer's slot order. */
  moments: { m: Float32Array; v: Float32Array }[];
  /** Held-out top-1 at the start and after each epoch, and the best state so far. */
  startAccuracy: number;
  held: number[];
  best?: { accuracy: number; epoch: number; state: NetworkState };
  history: { loss: number; accuracy: number; cpuSeconds: number; seconds: number }[];
}

/** Values that define a run: a resumed run must have them all equal. */
export type RunIdentity = Record<string, string | number | boolean | null>;

const FORMAT = 'tinyml-finetune-checkpoint';
const VERSION = 1;

interface CheckpointDocument {
  format: typeof FORMAT;
  version: number;
  /** Written by this run (kept on resume): the checkpoint is only replaced by its own run. */
  runId: string;
  identity: RunIdentity;
  checkpoint: TrainingCheckpoint;
}

function encode(_key: string, value: unknown): unknown {
  if (value instanceof Float32Array) return { f32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

function decode(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'f32' in value && typeof (value as { f32: unknown }).f32 === 'string') {
    const bytes = Buffer.from((value as { f32: string }).f32, 'base64');
    // Copied into a fresh, aligned buffer (Buffer's pool offsets need not be multiples of 4).
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  // Absent biases and levels (undefined) went out as null.
  return value === null ? undefined : value;
}

export function serializeCheckpoint(runId: string, identity: RunIdentity, checkpoint: TrainingCheckpoint): string {
  const file: CheckpointDocument = { format: FORMAT, version: VERSION, runId, identity, checkpoint };
  return JSON.stringify(file, encode);
}

export function parseCheckpoint(text: string, path: string): CheckpointDocument {
  let file: Partial<CheckpointDocument>;
  try {
    file = JSON.parse(text, decode) as Partial<CheckpointDocument>;
  } catch {
    throw new CheckpointMismatchError(`${path} is not a tinyml finetune checkpoint (not JSON)`);
  }
  if (file?.format !== FORMAT) throw new CheckpointMismatchError(`${path} is not a tinyml finetune checkpoint`);
  if (file.version !== VERSION) throw new CheckpointMismatchError(`${path} is a version ${String(file.version)} checkpoint; this tinyml reads version ${VERSION}`);
  if (typeof file.runId !== 'string' || !file.identity || !file.checkpoint) throw new CheckpointMismatchError(`${path} is an incomplete finetune checkpoint`);
  // null identity values were written as null and revived as undefined: compare them as null.
  const identity: RunIdentity = {};
  for (const [k, v] of Object.entries(file.identity)) identity[k] = v ?? null;
  return { ...(file as CheckpointDocument), identity };
}

/** The identity entries that differ, as "name: checkpoint X, this run Y". */
export function identityDifferences(saved: RunIdentity, run: RunIdentity): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(run)])];
  const show = (v: RunIdentity[string] | undefined): string => (v === undefined || v === null ? '(none)' : String(v));
  return keys.filter((k) => (saved[k] ?? null) !== (run[k] ?? null)).map((k) => `${k}: checkpoint ${show(saved[k])}, this run ${show(run[k])}`);
}

async function fileStamp(path: string): Promise<string | undefined> {
  const s = await stat(path).catch(() => undefined);
  return s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}` : undefined;
}

/**
 * The checkpoint file of one run. `open` refuses an existing file that is not to be replaced
 * (without `force`, or when resuming one of another run); `save` writes atomically (a temporary
 * file renamed over the path, so a kill mid-write leaves the previous epoch's checkpoint) and
 * refuses to replace a file that changed since this run last wrote it.
 */
export class CheckpointFile {
  private stamp: string | undefined;
  private constructor(
    readonly path: string,
    readonly runId: string,
    private readonly identity: RunIdentity,
  ) {}

  /** A fresh run: the path must be free, or `force` given. */
  static async create(path: string, identity: RunIdentity, force: boolean): Promise<CheckpointFile> {
    const existing = await readFile(path, 'utf8').catch(() => undefined);
    if (existing !== undefined && !force) {
      let what = 'a file that is not a finetune checkpoint';
      try {
        const f = parseCheckpoint(existing, path);
        what = `the checkpoint of ${f.checkpoint.epoch} completed epoch(s) of a finetune run${identityDifferences(f.identity, identity).length === 0 ? ' with these options: give --resume to continue it' : ''}`;
      } catch {
        // not ours: described as such
      }
      throw new WouldOverwriteError(`--checkpoint ${path} already exists (${what}); give --force to overwrite it, or another --checkpoint path`);
    }
    const file = new CheckpointFile(path, randomUUID(), identity);
    file.stamp = existing === undefined ? undefined : await fileStamp(path);
    return file;
  }

  /** Resuming: the file must be a checkpoint of a run with the same identity. */
  static async resume(path: string, identity: RunIdentity): Promise<{ file: CheckpointFile; checkpoint: TrainingCheckpoint }> {
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new InputError(`--resume: cannot read the checkpoint ${path} (${e.code === 'ENOENT' ? 'no such file: nothing to resume; run without --resume to start' : (e.code ?? String(e))})`);
    });
    const parsed = parseCheckpoint(text, path);
    const diff = identityDifferences(parsed.identity, identity);
    if (diff.length > 0) {
      throw new CheckpointMismatchError(`--resume: ${path} belongs to another run; it differs in ${diff.join('; ')}. Resume with the options it was written with, or start over with --force`);
    }
    const file = new CheckpointFile(path, parsed.runId, identity);
    file.stamp = await fileStamp(path);
    return { file, checkpoint: parsed.checkpoint };
  }

  async save(checkpoint: TrainingCheckpoint): Promise<void> {
    const now = await fileStamp(this.path);
    if (now !== undefined && now !== this.stamp) {
      throw new WouldOverwriteError(`--checkpoint ${this.path} was changed by something other than this run since it last wrote it; not overwriting it (the run stops here; its last checkpoint is lost)`);
    }
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, serializeCheckpoint(this.runId, this.identity, checkpoint));
    await rename(tmp, this.path);
    this.stamp = await fileStamp(this.path);
  }

  /** Deletes the checkpoint (the run completed and wrote its model): only if it is still this run's. */
  async remove(): Promise<void> {
    if ((await fileStamp(this.path)) === this.stamp) await rm(this.path, { force: true });
  }
}
