/**
 * Issue #12, item 5: the arena is all the RAM a model needs at run time, and it is at most
 * TensorFlow Lite Micro's arena for the same model. For every shared int8 model, `tinyml build
 * --board qemu-m4 --json` is built with the real arm-none-eabi-gcc and its ELF read with nm:
 * - the only RAM objects are the planned arena and the runtime's serial I/O buffers, which hold
 *   protocol frames, not model memory (no kernel keeps a scratch buffer or accumulators of its own);
 * - every byte of .bss and .data belongs to one of those objects (nothing unnamed hides there);
 * - the arena object is exactly the arena `--json` reports;
 * - the model's RAM (every object but the runtime's) is at most TFLM's arena_used_bytes, which
 *   counts TFLM's scratch buffers too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { RUNTIME_RAM, ramSymbols } from '../helpers/elf.js';
import { sharedPath } from '../helpers/shared.js';

const reference = JSON.parse(readFileSync(sharedPath('reference/tflm-cmsisnn-qemu-m4.json'), 'utf8')) as {
  models: Record<string, { model: string; cmsisnn: { arenaUsedBytes: number } }>;
};
const work = mkdtempSync(join(tmpdir(), 'tinyml-arena-ram-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.concurrent('qemu-m4 firmware RAM: the arena and the runtime I/O buffers, nothing else', () => {
  for (const [id, ref] of Object.entries(reference.models)) {
    it(`${id}`, { timeout: 300_000 }, async ({ expect }) => {
      const io = bufferIO();
      const code = await runCli(['build', sharedPath(ref.model), '--board', 'qemu-m4', '--out', join(work, id), '--json'], io);
      expect(io.stderr).toBe('');
      expect(code).toBe(0);
      const r = JSON.parse(io.stdout) as { elf: string; arenaBytes: number; arenaLowerBound: number; sections: { bss: number; data: number } };
      const syms = ramSymbols(r.elf);
      const extra = syms.filter((s) => s.name !== 'tinyml_arena' && !(s.name in RUNTIME_RAM));
      expect.soft(extra, 'RAM objects besides the arena and the runtime I/O buffers').toEqual([]);
      // Nothing unnamed either: the objects cover .bss and .data up to alignment padding.
      const named = syms.reduce((n, s) => n + s.size, 0);
      expect(named).toBeLessThanOrEqual(r.sections.bss + r.sections.data);
      expect(r.sections.bss + r.sections.data - named).toBeLessThan(16);
      const arena = syms.find((s) => s.name === 'tinyml_arena');
      expect(arena?.size).toBe(Math.max(16, r.arenaBytes));
      expect(r.arenaBytes).toBeGreaterThanOrEqual(r.arenaLowerBound);
      const modelRam = syms.filter((s) => !(s.name in RUNTIME_RAM)).reduce((n, s) => n + s.size, 0);
      expect(modelRam, `${id}: model RAM vs TFLM's arena_used_bytes`).toBeLessThanOrEqual(ref.cmsisnn.arenaUsedBytes);
    });
  }
});
