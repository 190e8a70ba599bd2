/**
 * The board runner without QEMU: over the in-memory mock device (whose "model" is out = in + 1,
 * wrapping), compared with a real one-op graph (int8 ADD of 1, saturating), so agreement and
 * mismatch reporting can be checked exactly; and `tinyml eval --board` reporting with injected
 * runners.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { bufferIO } from '../../src/cli/io.js';
import { loadBoard } from '../../src/build/board.js';
import type { TargetSession } from '../../src/deploy/target-session.js';
import { InputError } from '../../src/errors.js';
import { createBoardRunner, mergeAgreement, startBoardRunners } from '../../src/eval/board-runner.js';
import { prepareGraph } from '../../src/interp/interpreter.js';
import { formatNpy } from '../../src/io/npy.js';
import { DeviceClient } from '../../src/serial/client.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { singleOpContext } from '../helpers/op-graph.js';
import { sharedPath } from '../helpers/shared.js';
import { MockDevice, tensor } from '../serial/mock-device.js';
import { FaultyLink } from '../faults/faulty-link.js';

const board = loadBoard('qemu-m4');
const temp = makeTempDir('tinyml-board-runner-');
afterAll(() => temp.cleanup());

async function mockSession(inBytes: number, outBytes: number): Promise<{ session: TargetSession; dev: MockDevice; link: FaultyLink }> {
  const dev = new MockDevice([tensor('in', inBytes)], [tensor('out', outBytes)]);
  const link = new FaultyLink(dev.hostSide, { seed: 1 });
  const client = new DeviceClient(link.hostSide, { portName: '/dev/mock', timeoutMs: 200, invokeTimeoutMs: 200, closeStream: () => link.close() });
  const info = await client.info();
  return { dev, link, session: { client, info, board, port: '/dev/mock', close: () => client.close() } };
}

function addOneGraph(n: number) {
  const q = { scale: 1, zeroPoint: 0 };
  return prepareGraph(
    singleOpContext('ADD', { activation: 'NONE' }, [{ shape: [1, n], dtype: 'int8', quant: q }, { shape: [1], dtype: 'int8', quant: q, data: Int8Array.from([1]) }], [{ shape: [1, n], dtype: 'int8', quant: q }]).graph,
  );
}

describe('createBoardRunner (mock device)', () => {
  it('runs write-invoke-read, reports latency in whole board units, and counts identical outputs', async () => {
    const { session, dev, link } = await mockSession(8, 8);
    const runner = createBoardRunner(session, { reference: addOneGraph(8), sampleOf: () => 7 });
    expect(runner.latencyUnit).toBe('instructions');
    expect(runner.name).toBe('generated firmware on qemu-m4 (QEMU mps2-an386)');
    const out = await runner.run([Int8Array.from([1, 2, 3, 4, 5, 6, 7, -8])]);
    expect(Array.from(out[0] as Int8Array)).toEqual([2, 3, 4, 5, 6, 7, 8, -7]);
    expect(out[0]).toBeInstanceOf(Int8Array);
    expect(runner.lastLatency()).toBe(Math.round(1234 / 3.2));
    expect(runner.agreement).toEqual({ compared: 1, identical: 1, mismatches: [] });
    // 127 + 1: the mock wraps to -128, the reference saturates at 127.
    await runner.run([Int8Array.from([0, 0, 127, 0, 0, 0, 0, 0])]);
    expect(runner.agreement).toEqual({ compared: 2, identical: 1, mismatches: [{ sample: 7, output: 0, byte: 2, expected: 127, got: 128 }] });
    expect(runner.repeated).toBe(0);
    // A lost INVOKE reply: the whole inference is redone from the inputs.
    let drop = 1;
    link.toHost.tap = (chunk) => (chunk[2] === 0x83 && drop-- > 0 ? undefined : chunk);
    const before = dev.received.length;
    await runner.run([Int8Array.from([9, 9, 9, 9, 9, 9, 9, 9])]);
    expect(runner.repeated).toBe(1);
    expect(dev.received.slice(before).map((f) => f.type)).toEqual([2, 3, 2, 3, 4]); // SET_INPUT INVOKE (lost) SET_INPUT INVOKE GET_OUTPUT
    await runner.close!();
  });

  it('merges agreement counts', () => {
    expect(mergeAgreement([undefined])).toBeUndefined();
    expect(
      mergeAgreement([
        { compared: 2, identical: 1, mismatches: [{ output: 0, byte: 1, expected: 1, got: 2 }] },
        undefined,
        { compared: 3, identical: 3, mismatches: [] },
      ]),
    ).toEqual({ compared: 5, identical: 4, mismatches: [{ output: 0, byte: 1, expected: 1, got: 2 }] });
  });

  it('startBoardRunners: a physical board takes one job; a failed start closes the others; a wrong model is refused', async () => {
    const nano = loadBoard('nano33');
    await expect(startBoardRunners(nano, '/x.elf', { jobs: 2 })).rejects.toThrow(new InputError('board nano33 is a physical board with one serial link: --jobs must be 1 (got 2)'));
    const closed: number[] = [];
    let n = 0;
    const open = async (): Promise<TargetSession> => {
      const k = n++;
      if (k === 1) throw new Error('QEMU would not start');
      const { session } = await mockSession(4, 4);
      return { ...session, close: async () => void closed.push(k) };
    };
    await expect(startBoardRunners(board, '/x.elf', { jobs: 3, open })).rejects.toThrow('QEMU would not start');
    expect(closed.sort()).toEqual([0, 2]);
    await expect(startBoardRunners(board, '/x.elf', { jobs: 1, open: async () => (await mockSession(4, 4)).session, modelHash: '0123456789abcdef00' })).rejects.toThrow(
      /runs model mock_model \(abcdef\), not the one just built \(0123456789abcdef\)/,
    );
  });
});

describe('tinyml eval --board with injected runners', () => {
  it('reports agreement, latency in units and ms, and warns about outputs that differ from the reference', async () => {
    // kws input [1,49,10,1], 12 classes; the mock's out = in + 1 is not the model, so nothing agrees.
    const data = join(temp.dir, 'x.npy');
    const labels = join(temp.dir, 'y.npy');
    writeFileSync(data, formatNpy({ dtype: 'float32', shape: [3, 49, 10, 1], data: new Float32Array(3 * 490) }));
    writeFileSync(labels, formatNpy({ dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) }));
    const kws = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');
    const { compileModel } = await import('../../src/deploy/compile-model.js');
    const compiled = await compileModel(kws);
    const io = bufferIO();
    const r = await evalCommand(kws, { board: 'qemu-m4', data, labels }, io, {
      boardRunners: async () => [createBoardRunner((await mockSession(490, 12)).session, { reference: compiled.prepared })],
    });
    expect(r.samples).toBe(3);
    expect(r.agreement).toMatchObject({ compared: 3, identical: 0 });
    expect(r.latency).toMatchObject({ unit: 'instructions', min: 386, median: 386 });
    expect(r.latencyMs!.median).toBeCloseTo((386 / 25e6) * 1000, 12);
    expect(io.stdout).toMatch(/latency \(instructions\) +min 386 +median 386 +p99 386/);
    expect(io.stdout).toMatch(/latency \(ms at 25 MHz\) +min 0\.0154/);
    expect(io.stdout).toMatch(/agreement with the reference interpreter +0\/3 samples bit-exact/);
    expect(io.stderr).toMatch(/warning: 3 of 3 samples differ from the reference interpreter \(first: output 0, byte \d+: expected \d+, got \d+\)/);
  });

  it('refuses --save-outputs that is not .npy', async () => {
    await expect(evalCommand('m.tflite', { board: 'qemu-m4', data: 'x.npy', saveOutputs: 'out.bin' }, bufferIO())).rejects.toThrow(/--save-outputs must name a .npy file/);
  });
});
