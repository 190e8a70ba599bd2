/**
 * Fuzzes the importer with deterministic mutations and truncations of every shared model: each
 * attempt must either import (into a consistent graph) or throw a TinymlError with a message,
 * never anything else, and each must finish well under 2 s.
 *
 * In converter output the constant data sits near the start of the file and the tables,
 * vtables, vectors of offsets and names follow it, so most mutations target the bytes outside
 * the buffers' data ("structure"), with some in the first 4 KB and some anywhere.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TinymlError } from '../../src/errors.js';
import { FlatBufferReader } from '../../src/tflite/flatbuffer-reader.js';
import { importTflite } from '../../src/tflite/import.js';
import { BufferTable, readModel } from '../../src/tflite/schema.js';
import { sharedModels } from '../helpers/shared.js';
import { graphViolations } from './graph-invariants.js';
import { mulberry32 as prng } from '../../src/random.js';

/** Override with TINYML_FUZZ_MUTATIONS for a longer local soak. */
const MUTATIONS_PER_MODEL = Number(process.env.TINYML_FUZZ_MUTATIONS) || 2000;
const MAX_MS_PER_IMPORT = 2000;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Byte ranges [start, end) of the file that are not constant tensor data. */
function structureRanges(bytes: Uint8Array): [number, number][] {
  const reader = new FlatBufferReader(bytes);
  const buffers = readModel(reader).buffers();
  const data: [number, number][] = [];
  for (let i = 0; i < (buffers?.length ?? 0); i++) {
    const ref = new BufferTable(buffers!.at(i)).t.vector(0, 'data', 1);
    if (ref && ref.length > 64) data.push([ref.start, ref.start + ref.length]);
  }
  data.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  let pos = 0;
  for (const [s, e] of data) {
    if (s > pos) out.push([pos, s]);
    pos = Math.max(pos, e);
  }
  if (pos < bytes.length) out.push([pos, bytes.length]);
  return out;
}

const INTERESTING_U32 = [
  0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
  0xfffffff0, 0xffffff80, 0x40000000, 0x3fffffff,
];

interface Failure {
  what: string;
  problem: string;
}

function fuzzModel(path: string): { failures: Failure[]; ok: number; errors: Record<string, number>; maxMs: number } {
  const original = new Uint8Array(readFileSync(path));
  const size = original.length;
  const work = new Uint8Array(original);
  const structure = structureRanges(original);
  const structureBytes = structure.reduce((n, [s, e]) => n + (e - s), 0);
  const rand = prng(hash(basename(path)));
  const int = (n: number): number => Math.floor(rand() * n);

  /** A position: 60% structure bytes, 20% the first 4 KB, 20% anywhere. */
  const position = (): number => {
    const r = rand();
    if (r < 0.6 && structureBytes > 0) {
      let k = int(structureBytes);
      for (const [s, e] of structure) {
        if (k < e - s) return s + k;
        k -= e - s;
      }
    }
    if (r < 0.8) return int(Math.min(4096, size));
    return int(size);
  };
  const u32Value = (): number => {
    const r = rand();
    if (r < 0.4) return INTERESTING_U32[int(INTERESTING_U32.length)];
    if (r < 0.6) return (size + int(64) - 32) >>> 0; // around the file size
    if (r < 0.8) return int(size); // a plausible in-file offset
    return int(2 ** 32);
  };

  const failures: Failure[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let maxMs = 0;

  for (let k = 0; k < MUTATIONS_PER_MODEL; k++) {
    let input: Uint8Array = work;
    let dirtyStart = 0;
    let dirtyEnd = 0;
    let what: string;
    const kind = k % 6;
    if (kind === 0) {
      const n = 1 + int(8);
      const positions: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = position();
        work[p] ^= 1 + int(255);
        positions.push(p);
      }
      dirtyStart = Math.min(...positions);
      dirtyEnd = Math.max(...positions) + 1;
      what = `byte flips at ${positions.join(',')}`;
    } else if (kind === 1 || kind === 2) {
      const p = Math.min(kind === 1 ? position() & ~3 : position(), size - 4);
      const v = u32Value();
      work[p] = v & 0xff;
      work[p + 1] = (v >>> 8) & 0xff;
      work[p + 2] = (v >>> 16) & 0xff;
      work[p + 3] = (v >>> 24) & 0xff;
      dirtyStart = p;
      dirtyEnd = p + 4;
      what = `u32 ${v} at ${p}`;
    } else if (kind === 3) {
      const p = Math.min(position() & ~1, size - 2);
      const v = rand() < 0.5 ? int(64) : int(65536);
      work[p] = v & 0xff;
      work[p + 1] = v >>> 8;
      dirtyStart = p;
      dirtyEnd = p + 2;
      what = `u16 ${v} at ${p}`;
    } else if (kind === 4) {
      const p = position();
      const len = Math.min(1 + int(rand() < 0.8 ? 64 : 1024), size - p);
      const fill = rand() < 0.7 ? 0 : 0xff;
      work.fill(fill, p, p + len);
      dirtyStart = p;
      dirtyEnd = p + len;
      what = `fill ${fill} over [${p}, ${p + len})`;
    } else {
      const len = rand() < 0.5 ? int(size) : position();
      input = work.subarray(0, len);
      what = `truncate to ${len}`;
    }

    const t0 = performance.now();
    try {
      const g = importTflite(input, 'fuzz');
      ok++;
      const bad = graphViolations(g);
      if (bad.length > 0) failures.push({ what, problem: `imported an inconsistent graph: ${bad.slice(0, 3).join('; ')}` });
    } catch (e) {
      if (!(e instanceof TinymlError)) {
        failures.push({ what, problem: `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` });
      } else if (!e.message || e.message.trim() === '') {
        failures.push({ what, problem: `${e.name} with an empty message` });
      } else if (e.message.startsWith('could not read TFLite model')) {
        // The importer's last-resort conversion of a stray exception: an explicit check is missing.
        failures.push({ what, problem: `escaped the explicit checks: ${e.message}` });
      } else {
        errors[e.name] = (errors[e.name] ?? 0) + 1;
      }
    }
    const ms = performance.now() - t0;
    maxMs = Math.max(maxMs, ms);
    if (ms > MAX_MS_PER_IMPORT) failures.push({ what, problem: `took ${ms.toFixed(0)} ms` });

    if (dirtyEnd > dirtyStart) work.set(original.subarray(dirtyStart, dirtyEnd), dirtyStart);
  }
  return { failures, ok, errors, maxMs };
}

describe('importer robustness (mutated and truncated shared models)', () => {
  it.each(sharedModels().map((p) => [basename(p), p]))(
    `%s: ${MUTATIONS_PER_MODEL} mutations import or throw TinymlError`,
    (name, path) => {
      const t0 = performance.now();
      const { failures, ok, errors, maxMs } = fuzzModel(path);
      const total = performance.now() - t0;
      console.log(
        `${name}: ${ok} imported, errors ${JSON.stringify(errors)}, max ${maxMs.toFixed(1)} ms/import, ${(total / 1000).toFixed(2)} s total`,
      );
      expect(failures.slice(0, 10)).toEqual([]);
    },
    600_000,
  );
});
