/**
 * Lays out a self-contained firmware project: the generated model, the on-target runtime, the
 * kernels the model uses, the board's support code and a Makefile. A user can rebuild it with
 * `make` alone, copy it elsewhere, or drop it into their own build.
 *
 *   <outDir>/
 *     Makefile                 rendered from templates/Makefile.hbs
 *     .tinyml-project          what tinyml wrote here (paths and SHA-256), see below
 *     model/...                modelFiles
 *     tinyml/runtime/...       firmware/runtime/ (main.c, or eembc_main.c for the EEMBC
 *                              protocol; tinyml_model.h, protocol, docs)
 *     tinyml/kernels/...       the requested files of firmware/kernels/
 *     board/...                the board's C, headers, linker scripts, board.json and the
 *                              generated board_config.h
 *
 * tinyml never overwrites what it did not write: the marker file lists every file it wrote
 * with its hash, and a directory holding anything else (or a tinyml file the user has since
 * edited) is refused with WouldOverwriteError unless `force` is set; it never touches anything
 * outside the directory or behind a link, whatever the marker says. An empty or missing
 * directory is fine. The rules and their one implementation are in src/fs/owned-dir.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, posix, relative, resolve, sep } from 'node:path';
import Handlebars from 'handlebars';
import { InputError } from '../errors.js';
import { writeOwnedTree } from '../fs/owned-dir.js';
import { type Board, loadBoard, ticksPerUnitRatio } from './board.js';
import { firmwareDir, templatesDir } from './paths.js';

export const PROJECT_MARKER = '.tinyml-project';

export interface FirmwareProjectOptions {
  /** Directory to write (created if missing). */
  outDir: string;
  /** Board name (boards/<name>) or an already loaded board. */
  board: string | Board;
  /** Generated model sources: project-relative path (e.g. 'model/model.c') → contents. */
  modelFiles: Record<string, string | Uint8Array>;
  /** Kernel files to copy, as paths under firmware/kernels/ ('conv.c' or 'firmware/kernels/conv.c'). */
  kernelFiles?: string[];
  /** Overwrite even if the directory holds files tinyml did not write. */
  force?: boolean;
  /** Extra preprocessor defines for every source, e.g. ['-DFOO=1'] or ['FOO=1']. */
  defines?: string[];
  /**
   * The serial protocol of the on-target runtime: 'tinyml' (default; runtime/main.c, framed
   * binary protocol of PROTOCOL.md) or 'eembc' (runtime/eembc_main.c, the EEMBC / MLPerf Tiny
   * DUT text protocol). The project holds only the chosen main.
   */
  protocol?: FirmwareProtocol;
}

export type FirmwareProtocol = 'tinyml' | 'eembc';

/** The runtime's alternative mains, by protocol. */
const RUNTIME_MAINS: Record<FirmwareProtocol, string> = { tinyml: 'main.c', eembc: 'eembc_main.c' };

export interface FirmwareProject {
  /** Absolute project directory. */
  dir: string;
  board: Board;
  /** Every file tinyml wrote, project-relative with '/' separators, sorted. */
  files: string[];
  /** The C sources the Makefile compiles. */
  sources: string[];
}

/** Writes the project; see the module comment. */
export async function writeFirmwareProject(options: FirmwareProjectOptions): Promise<FirmwareProject> {
  const board = typeof options.board === 'string' ? loadBoard(options.board) : options.board;
  const dir = resolve(options.outDir);
  const files = new Map<string, Buffer>();
  const add = (rel: string, contents: string | Uint8Array, origin: string): void => {
    if (files.has(rel)) throw new InputError(`two files would be written to ${rel} (the second from ${origin})`);
    files.set(rel, Buffer.from(contents));
  };

  // Model files.
  for (const [rel, contents] of Object.entries(options.modelFiles)) {
    const clean = cleanRelative(rel, 'model file');
    if (clean === PROJECT_MARKER || clean === 'Makefile' || clean.startsWith('tinyml/') || clean.startsWith('board/') || clean.startsWith('build/')) {
      throw new InputError(`model file '${rel}' would collide with tinyml's own files; put model sources under model/`);
    }
    add(clean, contents, `model file '${rel}'`);
  }

  // Runtime (with the main of the chosen protocol only).
  const protocol = options.protocol ?? 'tinyml';
  if (!(protocol in RUNTIME_MAINS)) throw new InputError(`unknown protocol '${String(protocol)}'; use ${Object.keys(RUNTIME_MAINS).join(' or ')}`);
  const otherMains = new Set(Object.values(RUNTIME_MAINS).filter((m) => m !== RUNTIME_MAINS[protocol]));
  const runtimeDir = join(firmwareDir(), 'runtime');
  for (const name of (await readdir(runtimeDir)).sort()) {
    if (!/\.(c|h|md)$/.test(name)) continue;
    if (otherMains.has(name)) continue;
    add(`tinyml/runtime/${name}`, await readFile(join(runtimeDir, name)), join(runtimeDir, name));
  }

  // Kernels.
  const kernelsRoot = join(firmwareDir(), 'kernels');
  for (const k of options.kernelFiles ?? []) {
    let rel = k.replace(/\\/g, '/');
    if (isAbsolute(k)) {
      rel = relative(kernelsRoot, k).split(sep).join('/');
    } else if (rel.startsWith('firmware/kernels/')) {
      rel = rel.slice('firmware/kernels/'.length);
    }
    rel = cleanRelative(rel, 'kernel file');
    const src = join(kernelsRoot, rel);
    if (!existsSync(src)) throw new InputError(`kernel file '${k}' not found (looked for ${src})`);
    add(`tinyml/kernels/${rel}`, await readFile(src), src);
  }

  // Board support: flattened into board/ (shared files are named by basename).
  for (const rel of [...board.sources, ...board.headers, ...board.linkerScripts]) {
    const src = resolve(board.dir, rel);
    add(`board/${basename(rel)}`, await readFile(src), src);
  }
  add('board/board.json', await readFile(join(board.dir, 'board.json')), join(board.dir, 'board.json'));
  add('board/board_config.h', renderTemplate('board_config.h.hbs', { board, ticksPerUnit: ticksPerUnitRatio(board) }), 'templates/board_config.h.hbs');

  // Makefile.
  const sources = [...files.keys()].filter((f) => f.endsWith('.c')).sort();
  const includeDirs = [
    ...new Set(['board', 'tinyml/runtime', ...[...files.keys()].filter((f) => f.endsWith('.h')).map((f) => posix.dirname(f))]),
  ].sort();
  const linkerScript = basename(board.linkerScripts[0]);
  if (linkerScript !== 'linker.ld') {
    throw new InputError(`board ${board.name}: the first linker script must be named linker.ld (the Makefile passes board/linker.ld)`);
  }
  const defines = (options.defines ?? []).map((d) => {
    const s = d.startsWith('-D') ? d.slice(2) : d;
    if (!/^[A-Za-z_][A-Za-z0-9_]*(=[^\s'"\\$`]*)?$/.test(s)) {
      throw new InputError(`define '${d}' is not of the form NAME or NAME=VALUE (no spaces or quotes)`);
    }
    return `-D${s}`;
  });
  add('Makefile', renderTemplate('Makefile.hbs', { board, defines, sources, includeDirs }), 'templates/Makefile.hbs');

  await writeOwnedTree(dir, files, {
    marker: PROJECT_MARKER,
    kind: 'firmware-project',
    markerFields: { board: board.name },
    force: options.force === true,
    what: 'firmware project',
    // build/ is make's output directory inside a tinyml project.
    generatedDirs: ['build'],
  });
  return { dir, board, files: [...files.keys()].sort(), sources };
}

function renderTemplate(name: string, context: object): string {
  const hb = Handlebars.create();
  hb.registerHelper('join', (list: unknown) => (Array.isArray(list) ? list.join(' ') : ''));
  const src = readFileSync(join(templatesDir(), name), 'utf8');
  return hb.compile(src, { noEscape: true, strict: true })(context);
}

function cleanRelative(rel: string, what: string): string {
  const p = normalize(rel).split(sep).join('/');
  if (rel.length === 0 || isAbsolute(rel) || p === '..' || p.startsWith('../') || p === '.' || p.endsWith('/')) {
    throw new InputError(`${what} path '${rel}' must be a relative file path inside the project`);
  }
  return p;
}
