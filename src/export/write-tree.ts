/**
 * Writes a generated file tree without ever overwriting what tinyml did not write: the same
 * rule (and the same kind of marker file) as the firmware projects of src/build/project.ts.
 *
 * A marker file in the directory lists every file tinyml wrote with its SHA-256. A directory
 * that holds anything else, or a tinyml file the user has since edited, is refused with
 * WouldOverwriteError unless `force` is set. An empty or missing directory is fine. Files an
 * earlier run wrote that this one does not are removed (unless edited).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { WouldOverwriteError } from '../errors.js';

export interface TreeMarker {
  generator: 'tinyml';
  /** What was written, e.g. 'arduino-library'. */
  kind: string;
  /** relative path ('/'-separated) → hex SHA-256 of the contents tinyml wrote. */
  files: Record<string, string>;
}

export interface WriteTreeOptions {
  /** Marker file name, e.g. '.tinyml-export'. */
  marker: string;
  kind: string;
  force?: boolean;
  /** What the tree is, for messages ("Arduino library"). */
  what: string;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function readMarker(dir: string, name: string): Promise<TreeMarker | undefined> {
  const p = join(dir, name);
  if (!existsSync(p)) return undefined;
  try {
    const m = JSON.parse(await readFile(p, 'utf8')) as Partial<TreeMarker>;
    if (m.generator === 'tinyml' && typeof m.files === 'object' && m.files !== null) return m as TreeMarker;
  } catch {
    // an unreadable marker protects nothing: treat the directory as foreign
  }
  return undefined;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** Throws WouldOverwriteError when writing into `dir` could lose something the user owns. */
export async function checkOverwrite(dir: string, options: WriteTreeOptions): Promise<void> {
  if (!existsSync(dir)) return;
  if (!(await stat(dir)).isDirectory()) throw new WouldOverwriteError(`${dir} exists and is not a directory; choose another --out`);
  const existing = await listFiles(dir);
  if (existing.length === 0 || options.force) return;
  const marker = await readMarker(dir, options.marker);
  const foreign: string[] = [];
  const edited: string[] = [];
  for (const rel of existing) {
    if (rel === options.marker && marker) continue;
    const hash = marker?.files[rel];
    if (hash === undefined) foreign.push(rel);
    else if (sha256(await readFile(join(dir, ...rel.split('/')))) !== hash) edited.push(rel);
  }
  if (foreign.length === 0 && edited.length === 0) return;
  const show = (list: string[]): string => list.slice(0, 5).join(', ') + (list.length > 5 ? `, ... (${list.length} in all)` : '');
  const parts: string[] = [];
  if (foreign.length > 0) parts.push(`files tinyml did not write (${show(foreign)})`);
  if (edited.length > 0) parts.push(`tinyml files edited since they were written (${show(edited)})`);
  throw new WouldOverwriteError(
    `refusing to write the ${options.what} into ${dir}: it contains ${parts.join(' and ')}; pass --force to overwrite, or choose another --out`,
  );
}

/** Writes `files` (relative path → contents) under `dir`; see the module comment. Returns the absolute dir. */
export async function writeTree(outDir: string, files: Map<string, Buffer>, options: WriteTreeOptions): Promise<string> {
  const dir = resolve(outDir);
  await checkOverwrite(dir, options);
  const previous = await readMarker(dir, options.marker);
  for (const [rel, contents] of files) {
    const dest = join(dir, ...rel.split('/'));
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, contents);
  }
  if (previous) {
    for (const [rel, hash] of Object.entries(previous.files)) {
      if (files.has(rel)) continue;
      const p = join(dir, ...rel.split('/'));
      if (existsSync(p) && sha256(await readFile(p)) === hash) await rm(p);
    }
  }
  const marker: TreeMarker = {
    generator: 'tinyml',
    kind: options.kind,
    files: Object.fromEntries([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([rel, c]) => [rel, sha256(c)])),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, options.marker), JSON.stringify(marker, null, 2) + '\n');
  return dir;
}
