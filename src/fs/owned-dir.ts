/**
 * Writing a generated file tree into a directory the user names (`--out`) without ever losing
 * what the user owns. `tinyml build` (firmware projects) and `tinyml export` (Arduino
 * libraries) both write through here.
 *
 * A marker file in the directory (`.tinyml-project`, `.tinyml-export`) lists every file tinyml
 * wrote with its SHA-256. The rules:
 *
 * - A directory holding anything the marker does not list, or a listed file the user has since
 *   edited, is refused with WouldOverwriteError unless `force` is set. An empty or missing
 *   directory is fine.
 * - Files an earlier run wrote that this one does not are removed, if unchanged.
 * - tinyml only ever creates, rewrites or removes *regular files strictly inside the
 *   directory*. A marker entry that is not a plain relative path inside it ('..', absolute,
 *   empty segments) makes the whole marker foreign: the directory then counts as the user's,
 *   and nothing it lists is ever deleted, even with `force`. A symbolic link (or any other
 *   non-regular file) inside the directory is the user's: it is never written through,
 *   followed into, or deleted, and a write that would go through one is refused even with
 *   `force`. Paths are checked with lstat on every component, not by string tests alone, and
 *   files are opened with O_NOFOLLOW.
 *
 * The directory itself may be a symbolic link: the user named it, so its real path is the root.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, realpath, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { InputError, WouldOverwriteError } from '../errors.js';

export interface OwnedTreeMarker {
  generator: 'tinyml';
  /** What was written, e.g. 'arduino-library', 'firmware-project'. */
  kind: string;
  /** relative path ('/'-separated) → hex SHA-256 of the contents tinyml wrote. */
  files: Record<string, string>;
}

export interface OwnedTreeOptions {
  /** Marker file name, e.g. '.tinyml-export'. */
  marker: string;
  kind: string;
  /** Overwrite files tinyml did not write (never outside the directory, never through a link). */
  force?: boolean;
  /** What the tree is, for messages ("Arduino library"). */
  what: string;
  /**
   * Folders (relative, no trailing '/') whose contents count as tinyml's when a valid marker is
   * present, e.g. 'build' for make's output. They are never written or deleted here.
   */
  generatedDirs?: string[];
  /** Extra fields for the marker (e.g. the board), written between `kind` and `files`. */
  markerFields?: Record<string, string>;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * True for a '/'-separated relative path that names something strictly inside a directory:
 * no empty, '.' or '..' segment, not absolute, no backslash or NUL (a Windows separator or a
 * truncation would make the string mean something else to the file system).
 */
export function isPlainRelativePath(rel: string): boolean {
  if (rel.length === 0 || rel.startsWith('/') || /[\\\0]/.test(rel) || /^[A-Za-z]:/.test(rel)) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

type MarkerRead = { marker: OwnedTreeMarker } | { marker: undefined; problem?: string };

/** The marker, or why there is none tinyml can trust (undefined when there is simply no file). */
async function readMarker(root: string, name: string): Promise<MarkerRead> {
  const p = join(root, name);
  const st = await lstatOrUndefined(p);
  if (!st) return { marker: undefined };
  if (!st.isFile()) return { marker: undefined, problem: `${name} is not a regular file` };
  let m: Partial<OwnedTreeMarker>;
  try {
    m = JSON.parse(await readFile(p, 'utf8')) as Partial<OwnedTreeMarker>;
  } catch {
    return { marker: undefined, problem: `${name} is not valid JSON` };
  }
  if (m === null || typeof m !== 'object' || m.generator !== 'tinyml' || typeof m.files !== 'object' || m.files === null || Array.isArray(m.files)) {
    return { marker: undefined, problem: `${name} is not a marker tinyml wrote` };
  }
  for (const [rel, hash] of Object.entries(m.files)) {
    if (!isPlainRelativePath(rel) || rel === name) {
      return { marker: undefined, problem: `${name} names '${rel}', which is not a file inside the directory` };
    }
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) {
      return { marker: undefined, problem: `${name} gives '${rel}' a hash that is not a SHA-256` };
    }
  }
  return { marker: m as OwnedTreeMarker };
}

async function lstatOrUndefined(p: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

interface Entry {
  rel: string;
  /** A regular file (everything else, links included, is never tinyml's). */
  regular: boolean;
  link: boolean;
}

/** Everything under root, without following links (a linked directory is one entry). */
async function listEntries(root: string, prefix = ''): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listEntries(root, rel)));
    else out.push({ rel, regular: entry.isFile(), link: entry.isSymbolicLink() });
  }
  return out;
}

/**
 * Why `rel` cannot be written as a regular file inside root, or undefined when it can: every
 * existing parent must be a real directory (not a link) and an existing target a regular file.
 */
async function unwritableReason(root: string, rel: string): Promise<string | undefined> {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join('/');
    const st = await lstatOrUndefined(join(root, ...parts.slice(0, i)));
    if (!st) return undefined; // created by tinyml from here on
    const last = i === parts.length;
    if (st.isSymbolicLink()) return `${sub} is a symbolic link`;
    if (last ? !st.isFile() : !st.isDirectory()) return `${sub} is not a ${last ? 'regular file' : 'directory'}`;
  }
  return undefined;
}

/** Creates the parents of `rel` one by one, each checked to be a real directory. */
async function makeParents(root: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const p = join(root, ...parts.slice(0, i));
    try {
      await mkdir(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = await lstat(p);
    if (!st.isDirectory()) throw new WouldOverwriteError(`refusing to write into ${p}: it is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`);
  }
}

/** Writes a regular file; never through a link (O_NOFOLLOW) and never into a FIFO or device. */
async function writeRegular(root: string, rel: string, contents: Uint8Array): Promise<void> {
  await makeParents(root, rel);
  const p = join(root, ...rel.split('/'));
  let fh;
  try {
    fh = await open(p, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new WouldOverwriteError(`refusing to write ${p}: it is a symbolic link`);
    throw e;
  }
  try {
    if (!(await fh.stat()).isFile()) throw new WouldOverwriteError(`refusing to write ${p}: it is not a regular file`);
    await fh.truncate(0);
    await fh.writeFile(contents);
  } finally {
    await fh.close();
  }
}

/** Removes `rel` if it is, through real directories only, a regular file with this hash. */
async function removeIfUnchanged(root: string, rel: string, hash: string): Promise<void> {
  if (!isPlainRelativePath(rel)) return;
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const st = await lstatOrUndefined(join(root, ...parts.slice(0, i)));
    if (!st) return;
    if (i < parts.length ? !st.isDirectory() : !st.isFile()) return; // links included
  }
  const p = join(root, ...parts);
  // Belt and braces: the real path must be the path itself, under the root.
  if ((await realpath(p)) !== p || !p.startsWith(root + sep)) return;
  if (sha256(await readFile(p)) === hash) await unlink(p);
}

const show = (list: string[]): string => list.slice(0, 5).join(', ') + (list.length > 5 ? `, ... (${list.length} in all)` : '');

/**
 * The real directory to write, or undefined when it does not exist yet. A path that exists and
 * is not a directory (or a link to none) is refused.
 */
async function existingRoot(dir: string): Promise<string | undefined> {
  const st = await lstatOrUndefined(dir);
  if (!st) return undefined;
  let target;
  try {
    target = await stat(dir);
  } catch {
    throw new WouldOverwriteError(`${dir} is a symbolic link to nothing; remove it or choose another --out`);
  }
  if (!target.isDirectory()) throw new WouldOverwriteError(`${dir} exists and is not a directory; choose another --out`);
  return realpath(dir);
}

/**
 * Throws WouldOverwriteError when writing `files` into root could lose something the user owns
 * (without force), or would have to go through a link (even with force).
 */
async function checkOverwrite(root: string, files: Map<string, Uint8Array>, read: MarkerRead, options: OwnedTreeOptions): Promise<void> {
  const entries = await listEntries(root);
  if (entries.length === 0) return;
  if (!options.force) {
    const { marker } = read;
    const generated = marker ? (options.generatedDirs ?? []).map((d) => `${d}/`) : [];
    const foreign: string[] = [];
    const edited: string[] = [];
    for (const { rel, regular, link } of entries) {
      if (rel === options.marker && marker) continue;
      if (generated.some((d) => rel.startsWith(d))) continue;
      const hash = marker?.files[rel];
      if (hash === undefined || !regular) foreign.push(link ? `${rel} (a symbolic link)` : regular ? rel : `${rel} (not a regular file)`);
      // A tinyml file the user has since edited: overwriting (or deleting) it would lose work.
      else if (sha256(await readFile(join(root, ...rel.split('/')))) !== hash) edited.push(rel);
    }
    if (foreign.length > 0 || edited.length > 0) {
      const parts: string[] = [];
      if (foreign.length > 0) parts.push(`files tinyml did not write (${show(foreign)})`);
      if (edited.length > 0) parts.push(`tinyml files edited since they were written (${show(edited)})`);
      const why = 'problem' in read && read.problem ? ` (${read.problem}, so it protects nothing)` : '';
      throw new WouldOverwriteError(
        `refusing to write the ${options.what} into ${root}: it contains ${parts.join(' and ')}${why}; ` +
          'pass --force to overwrite, or choose another --out',
      );
    }
  }
  // Even with force: never write through a link or over a directory, and leave no link in the
  // folders the build writes into (make would follow it out of the directory).
  const blocked: string[] = [];
  for (const rel of [...files.keys(), options.marker]) {
    const reason = await unwritableReason(root, rel);
    if (reason) blocked.push(reason);
  }
  for (const d of options.generatedDirs ?? []) {
    const st = await lstatOrUndefined(join(root, ...d.split('/')));
    if (st && !st.isDirectory()) blocked.push(`${d} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`);
  }
  for (const { rel, link } of entries) {
    if (link && (options.generatedDirs ?? []).some((d) => rel.startsWith(`${d}/`))) blocked.push(`${rel} is a symbolic link`);
  }
  if (blocked.length > 0) {
    throw new WouldOverwriteError(
      `refusing to write the ${options.what} into ${root}: ${show([...new Set(blocked)])}; tinyml writes only regular files ` +
        'inside the directory, never through links; move what is in the way, or choose another --out',
    );
  }
}

/**
 * Writes `files` (relative '/'-separated path → contents) under `outDir` by the rules of the
 * module comment. Returns the absolute directory as given (resolved, not the link's target).
 */
export async function writeOwnedTree(outDir: string, files: Map<string, Uint8Array>, options: OwnedTreeOptions): Promise<string> {
  for (const rel of files.keys()) {
    if (!isPlainRelativePath(rel) || rel === options.marker) throw new InputError(`generated path '${rel}' is not a plain relative path inside the ${options.what}`);
  }
  const dir = resolve(outDir);
  let root = await existingRoot(dir);
  let previous: MarkerRead = { marker: undefined };
  if (root !== undefined) {
    previous = await readMarker(root, options.marker);
    await checkOverwrite(root, files, previous, options);
  } else {
    await mkdir(dir, { recursive: true });
    root = await realpath(dir);
  }
  for (const [rel, contents] of files) await writeRegular(root, rel, contents);
  if (previous.marker) {
    for (const [rel, hash] of Object.entries(previous.marker.files)) {
      if (!files.has(rel)) await removeIfUnchanged(root, rel, hash);
    }
  }
  const marker = {
    generator: 'tinyml',
    kind: options.kind,
    ...options.markerFields,
    files: Object.fromEntries([...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([rel, c]) => [rel, sha256(c)])),
  };
  await writeRegular(root, options.marker, Buffer.from(JSON.stringify(marker, null, 2) + '\n'));
  return dir;
}
