/**
 * A marker file (`.tinyml-project` of `build`, `.tinyml-export` of `export`) must never make
 * tinyml touch anything outside `--out`: not a path the marker names outside the directory
 * (`..`, absolute), not a file reached through a symbolic link inside it (a linked file or a
 * linked subdirectory, or the marker itself as a link). Each case runs for both writers, with
 * and without --force, and checks the victim outside the directory byte for byte.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_MARKER, writeFirmwareProject } from '../../src/build/project.js';
import { WouldOverwriteError } from '../../src/errors.js';
import { EXPORT_MARKER, exportArduinoLibrary } from '../../src/export/arduino.js';
import { isPlainRelativePath } from '../../src/fs/owned-dir.js';
import { makeTempDir, stubModelFiles } from '../fixtures/stub-model/index.js';
import { sharedPath } from '../helpers/shared.js';

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const HELLO = sharedPath('models/tflm-examples/hello_world_int8.tflite');

interface Writer {
  name: string;
  marker: string;
  /** A file the writer writes at the top of the directory. */
  topFile: string;
  /** A subdirectory it writes into, and a file it writes there. */
  subdir: string;
  subFile: string;
  write: (outDir: string, force: boolean) => Promise<unknown>;
}

const WRITERS: Writer[] = [
  {
    name: 'build (.tinyml-project)',
    marker: PROJECT_MARKER,
    topFile: 'Makefile',
    subdir: 'model',
    subFile: 'model.c',
    write: (outDir, force) => writeFirmwareProject({ outDir, board: 'qemu-m4', modelFiles: stubModelFiles(), force }),
  },
  {
    name: 'export (.tinyml-export)',
    marker: EXPORT_MARKER,
    topFile: 'library.properties',
    subdir: 'src',
    subFile: 'model.c',
    write: (outDir, force) => exportArduinoLibrary(HELLO, { outDir, force }),
  },
];

const temp = makeTempDir('tinyml-owned-');
afterAll(() => temp.cleanup());
let n = 0;

/** A fresh `<root>/out` written once by the writer, and `<root>/victim.txt` beside it. */
async function setup(w: Writer): Promise<{ root: string; out: string; victim: string; victimText: string }> {
  const root = join(temp.dir, `case${n++}`);
  const out = join(root, 'out');
  mkdirSync(root, { recursive: true });
  await w.write(out, false);
  const victim = join(root, 'victim.txt');
  const victimText = `the user's own file ${n}\n`;
  writeFileSync(victim, victimText);
  return { root, out, victim, victimText };
}

function editMarker(out: string, w: Writer, edit: (files: Record<string, string>) => void): void {
  const p = join(out, w.marker);
  const m = JSON.parse(readFileSync(p, 'utf8')) as { files: Record<string, string> };
  edit(m.files);
  writeFileSync(p, JSON.stringify(m, null, 2) + '\n');
}

async function expectRefused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the write should have been refused').toBeInstanceOf(WouldOverwriteError);
  expect((err as Error).message).toMatch(pattern);
}

describe.each(WRITERS)('$name never touches a file outside --out', (w) => {
  it('a marker naming ../victim.txt (hash matching) is foreign: refused without --force, and --force deletes nothing outside', async () => {
    const { out, victim, victimText } = await setup(w);
    editMarker(out, w, (files) => {
      files['../victim.txt'] = sha256(victimText);
    });
    await expectRefused(w.write(out, false), new RegExp(`${w.marker.replace('.', '\\.')}.*'\\.\\./victim\\.txt'.*--force`));
    expect(readFileSync(victim, 'utf8')).toBe(victimText);
    await w.write(out, true);
    expect(readFileSync(victim, 'utf8')).toBe(victimText);
  });

  it('a marker naming an absolute path, or one that climbs out through a subdirectory, is foreign', async () => {
    for (const name of ['ABS', 'sub/../../victim.txt', `${'x/'.repeat(3)}../../../../victim.txt`]) {
      const { out, victim, victimText } = await setup(w);
      editMarker(out, w, (files) => {
        files[name === 'ABS' ? victim : name] = sha256(victimText);
      });
      await expectRefused(w.write(out, false), /--force/);
      expect(readFileSync(victim, 'utf8'), name).toBe(victimText);
      await w.write(out, true);
      expect(readFileSync(victim, 'utf8'), name).toBe(victimText);
    }
  });

  it('a symlink inside --out to a file outside is never written through, even when the marker lists it with the hash of its target', async () => {
    for (const listed of [true, false]) {
      const { out, victim, victimText } = await setup(w);
      rmSync(join(out, w.topFile));
      symlinkSync(victim, join(out, w.topFile));
      if (listed) {
        editMarker(out, w, (files) => {
          files[w.topFile] = sha256(victimText);
        });
      }
      await expectRefused(w.write(out, false), new RegExp(`${w.topFile.replace('.', '\\.')}`));
      expect(readFileSync(victim, 'utf8')).toBe(victimText);
      await expectRefused(w.write(out, true), new RegExp(`${w.topFile.replace('.', '\\.')} is a symbolic link`));
      expect(readFileSync(victim, 'utf8')).toBe(victimText);
      expect(lstatSync(join(out, w.topFile)).isSymbolicLink()).toBe(true);
    }
  });

  it('a stale marker entry that is a symlink to a file outside is left alone', async () => {
    const { out, victim, victimText } = await setup(w);
    symlinkSync(victim, join(out, 'stale.c'));
    editMarker(out, w, (files) => {
      files['stale.c'] = sha256(victimText);
    });
    await expectRefused(w.write(out, false), /stale\.c/);
    await w.write(out, true);
    expect(readFileSync(victim, 'utf8')).toBe(victimText);
  });

  it('a symlinked subdirectory is never written into or deleted from', async () => {
    const { root, out } = await setup(w);
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    const mine = `/* the user's ${w.subFile} */\n`;
    const old = '/* the user\'s old.c */\n';
    writeFileSync(join(elsewhere, w.subFile), mine);
    writeFileSync(join(elsewhere, 'old.c'), old);
    rmSync(join(out, w.subdir), { recursive: true });
    symlinkSync(elsewhere, join(out, w.subdir));
    editMarker(out, w, (files) => {
      // As if an earlier run had written these two (with the hashes of the user's files).
      files[`${w.subdir}/${w.subFile}`] = sha256(mine);
      files[`${w.subdir}/old.c`] = sha256(old);
    });
    await expectRefused(w.write(out, false), new RegExp(`files tinyml did not write \\(.*\\b${w.subdir}\\b`));
    await expectRefused(w.write(out, true), new RegExp(`${w.subdir} is a symbolic link`));
    expect(readFileSync(join(elsewhere, w.subFile), 'utf8')).toBe(mine);
    expect(readFileSync(join(elsewhere, 'old.c'), 'utf8')).toBe(old);
  });

  it('a marker that is itself a symlink to a file outside is foreign and never rewritten', async () => {
    const { root, out } = await setup(w);
    const outside = join(root, 'outside-marker.json');
    const text = readFileSync(join(out, w.marker), 'utf8');
    writeFileSync(outside, text);
    rmSync(join(out, w.marker));
    symlinkSync(outside, join(out, w.marker));
    await expectRefused(w.write(out, false), new RegExp(w.marker.replace('.', '\\.')));
    await expectRefused(w.write(out, true), /is a symbolic link/);
    expect(readFileSync(outside, 'utf8')).toBe(text);
  });

  it('still removes its own stale files, and follows an --out that is itself a link to a directory', async () => {
    const { root, out } = await setup(w);
    const stale = join(out, w.subdir, 'stale.c');
    writeFileSync(stale, 'int stale;\n');
    editMarker(out, w, (files) => {
      files[`${w.subdir}/stale.c`] = sha256('int stale;\n');
    });
    const link = join(root, 'out-link');
    symlinkSync(out, link);
    await w.write(link, false);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(out, w.subdir, w.subFile))).toBe(true);
  });
});

describe('build never lets make write out of --out', () => {
  const build = WRITERS[0];
  it('a build/ folder (make writes there) that is a link out of --out is refused, even with --force', async () => {
    const { root, out } = await setup(build);
    const elsewhere = join(root, 'elsewhere-build');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(out, 'build'));
    await expectRefused(build.write(out, false), /build \(a symbolic link\)/);
    await expectRefused(build.write(out, true), /build is a symbolic link/);
    rmSync(join(out, 'build'));
    mkdirSync(join(out, 'build'));
    symlinkSync(elsewhere, join(out, 'build', 'O2'));
    await expectRefused(build.write(out, true), /build\/O2 is a symbolic link/);
  });
});

describe('isPlainRelativePath', () => {
  it('accepts only paths strictly inside a directory', () => {
    for (const ok of ['a', 'model/model.c', 'src/arm/conv2d_dsp.c', '.tinyml-other', 'a..b/c']) expect(isPlainRelativePath(ok), ok).toBe(true);
    for (const bad of ['', '/etc/passwd', '..', '../x', 'a/../../x', 'a/./b', './a', 'a//b', 'a/', 'a\\..\\x', 'C:/x', 'a\0b']) {
      expect(isPlainRelativePath(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
