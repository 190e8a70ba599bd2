/**
 * TensorFlow Lite Micro's measured figures that `npm run bench` prints beside tinyml's rows:
 * the JSON files of `bench/reference/` (TFLM built with arm-none-eabi-gcc for the same emulated
 * boards, see bench/reference/README.md for the method). Each file is one build (board, kernel
 * set, weight width); each of its models is keyed by the id the bench gives the matching row
 * (the golden folder's name, e.g. `vww_96_float`), so a row finds its TFLM figure by board,
 * model and kind.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TinymlError } from '../errors.js';

/** A committed figure file that is not what this module expects: names the file and the field. */
export class BenchDataError extends TinymlError {
  constructor(message: string) {
    super('BENCH_DATA', message);
  }
}

/** What the TFLM build's weights and activations were: the bench row kind it stands beside. */
export type TflmKind = 'int8' | 'float32' | 'int4';

export interface TflmModelFigures {
  /** The .tflite that was run, relative to the project root's parent (`shared/...`) or to the project (`bench/...`). */
  model: string;
  instructions: number;
  arenaUsedBytes: number;
  flashBytes: number;
  ramBytes: number;
  /** Inputs run on the board and how many gave the expected outputs (byte-equal, or within tolerance for float32). */
  cases: number;
  matched: number;
}

export interface TflmFigureSet {
  /** The file it came from (for messages). */
  file: string;
  /** tinyml board name the build ran on, e.g. `qemu-m4`. */
  board: string;
  /** Short name of the kernel set, e.g. `TFLM reference`, `TFLM+CMSIS-NN (MVE)`. */
  label: string;
  kind: TflmKind;
  models: Record<string, TflmModelFigures>;
}

const KINDS: readonly TflmKind[] = ['int8', 'float32', 'int4'];

function field<T>(file: string, where: string, obj: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const v = obj[name];
  if (!check(v)) throw new BenchDataError(`${file}: ${where}"${name}" must be ${what} (found ${JSON.stringify(v)})`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isKind = (v: unknown): v is TflmKind => KINDS.includes(v as TflmKind);

/** Parses and checks one figure file's text. */
export function parseTflmFigures(file: string, text: string): TflmFigureSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BenchDataError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(doc)) throw new BenchDataError(`${file}: expected a JSON object`);
  const board = field(file, '', doc, 'board', isString, 'a board name');
  const label = field(file, '', doc, 'label', isString, 'a non-empty string');
  const kind = field(file, '', doc, 'kind', isKind, `one of ${KINDS.join(', ')}`);
  const rawModels = field(file, '', doc, 'models', isObject, 'an object of models');
  const models: Record<string, TflmModelFigures> = {};
  for (const [id, raw] of Object.entries(rawModels)) {
    if (!isObject(raw)) throw new BenchDataError(`${file}: models.${id} must be an object`);
    const where = `models.${id}.`;
    const m: TflmModelFigures = {
      model: field(file, where, raw, 'model', isString, 'a model path'),
      instructions: field(file, where, raw, 'instructions', isCount, 'a non-negative integer'),
      arenaUsedBytes: field(file, where, raw, 'arenaUsedBytes', isCount, 'a non-negative integer'),
      flashBytes: field(file, where, raw, 'flashBytes', isCount, 'a non-negative integer'),
      ramBytes: field(file, where, raw, 'ramBytes', isCount, 'a non-negative integer'),
      cases: field(file, where, raw, 'cases', isCount, 'a non-negative integer'),
      matched: field(file, where, raw, 'matched', isCount, 'a non-negative integer'),
    };
    // A figure whose outputs were wrong is not a bar to compare against.
    if (m.cases === 0 || m.matched !== m.cases) {
      throw new BenchDataError(`${file}: models.${id} matched ${m.matched} of ${m.cases} checked cases; only checked figures belong here`);
    }
    models[id] = m;
  }
  return { file, board, label, kind, models };
}

/** Every `*.json` figure file of a folder, sorted by file name; none when the folder does not exist. */
export function loadTflmFigures(dir: string): TflmFigureSet[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseTflmFigures(f, readFileSync(join(dir, f), 'utf8')));
}

/** The TFLM figure a bench row of this board, model id and kind stands beside, if one was measured. */
export function findTflmFigure(sets: TflmFigureSet[], board: string, model: string, kind: string): { set: TflmFigureSet; figures: TflmModelFigures } | undefined {
  for (const set of sets) {
    const figures = set.board === board && set.kind === kind ? set.models[model] : undefined;
    if (figures) return { set, figures };
  }
  return undefined;
}
