/**
 * The int8 LSTM fixture (Keras 3 + TFLite converter) deployed to qemu-m4 reproduces TensorFlow
 * Lite Micro's outputs byte for byte. The cases run one after another in one firmware session, so
 * this also pins that every inference starts from the reset LSTM state (a state carried over from
 * the previous case would change the outputs).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensorDataFromBytes } from '../../src/ir/types.js';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { inferOnDevice } from '../../src/deploy/verify.js';
import { PROJECT_ROOT } from '../helpers/c-kernel-harness.js';

const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/lstm');
const work = mkdtempSync(join(tmpdir(), 'tinyml-lstm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('int8 LSTM on qemu-m4', () => {
  it('every golden case bit-exact, warning-free build', { timeout: 300_000 }, async () => {
    const built = await buildModelFirmware(join(FIXTURE, 'lstm_fmnist_int8.tflite'), { board: 'qemu-m4', outDir: join(work, 'm4') });
    expect(built.build.log).not.toMatch(/warning:/);
    const manifest = JSON.parse(readFileSync(join(FIXTURE, 'golden/manifest.json'), 'utf8')) as { cases: { inputs: string[]; outputs: string[] }[] };
    expect(manifest.cases.length).toBeGreaterThanOrEqual(10);
    const session = await openTargetSession(built.board, built.build.elf, { timeoutMs: 20_000 });
    try {
      for (const [k, c] of manifest.cases.entries()) {
        const input = tensorDataFromBytes('int8', readFileSync(join(FIXTURE, 'golden', c.inputs[0])));
        const [out] = await inferOnDevice(session.client, [input]);
        expect(Array.from(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)), `case ${k}`).toEqual(Array.from(readFileSync(join(FIXTURE, 'golden', c.outputs[0]))));
      }
    } finally {
      await session.close();
    }
  });
});
