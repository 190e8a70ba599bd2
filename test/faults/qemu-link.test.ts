/**
 * The real firmware (kws_ref_model on qemu-m4) behind a faulty line: a proxy between the
 * DeviceClient and QEMU's UART pty drops, duplicates and corrupts bytes and stalls traffic in both
 * directions. Inferences through inferOnce (what the eval board runner uses) must come back
 * bit-exact with the reference interpreter or fail with a clear DeviceError; never wrong.
 */
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelFirmware, type BuiltFirmware } from '../../src/deploy/firmware.js';
import { randomInputs } from '../../src/deploy/verify.js';
import { DeviceError } from '../../src/errors.js';
import { inferOnce } from '../../src/eval/board-runner.js';
import { runGraph } from '../../src/interp/interpreter.js';
import { tensorDataBytes } from '../../src/ir/types.js';
import { startQemu, type QemuSession } from '../../src/runners/qemu.js';
import { DeviceClient } from '../../src/serial/client.js';
import { MSG } from '../../src/serial/protocol.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { sharedPath } from '../helpers/shared.js';
import { FaultyLink, type FaultPlan } from './faulty-link.js';

const KWS = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');
const temp = makeTempDir('tinyml-faults-');

describe('DeviceClient over a faulty line to kws_ref_model on qemu-m4', () => {
  let built: BuiltFirmware;
  let qemu: QemuSession;
  let pty: Duplex;

  beforeAll(async () => {
    built = await buildModelFirmware(KWS, { board: 'qemu-m4', outDir: join(temp.dir, 'kws') });
    qemu = await startQemu({ board: built.board, elf: built.build.elf });
    // Take the pty over from the session's own client and put the faulty line in between.
    await qemu.client.close();
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path: qemu.ptyPath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    pty = port;
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((r) => (pty as unknown as { close(cb: () => void): void }).close(() => r()));
    await qemu?.close();
    temp.cleanup();
  });

  const connect = (plan: FaultPlan, opts: { timeoutMs?: number; retries?: number } = {}) => {
    const link = new FaultyLink(pty, plan);
    const client = new DeviceClient(link.hostSide, {
      portName: `faulty(${qemu.ptyPath})`,
      // Longer than the firmware's wait inside a stalled frame (2^20 UART polls, ~0.1-0.5 s here),
      // so that a retry is not swallowed by the device's reading of a damaged one.
      timeoutMs: opts.timeoutMs ?? 800,
      invokeTimeoutMs: 2000,
      retries: opts.retries ?? 6,
      closeStream: () => {
        link.close();
        pty.removeAllListeners('data');
      },
    });
    return { link, client };
  };

  const reference = (seed: number) => {
    const graph = built.compiled.graph;
    const inputs = randomInputs([graph.tensors[graph.inputs[0]]], seed);
    return { input: tensorDataBytes(inputs[0]), want: Array.from(tensorDataBytes(runGraph(built.compiled.prepared, inputs)[0])) };
  };

  it('every inference that succeeds is bit-exact, through random drops, duplicates, corruption and stalls', { timeout: 120_000 }, async () => {
    const { link, client } = connect({
      seed: 7,
    });
    await client.info(); // a clean start; the faults begin with the first inference
    // Per byte; an inference moves ~1,100 bytes to the device and ~130 back. Stalls outlast the
    // client's timeout, so late replies to abandoned attempts arrive too.
    link.setFaults(
      { drop: 1.5e-4, duplicate: 1.5e-4, corrupt: 1.5e-4, stall: 0.01, stallMs: 1000 },
      { drop: 1e-3, duplicate: 1e-3, corrupt: 1e-3, stall: 0.01, stallMs: 1000 },
    );
    let ok = 0;
    let failed = 0;
    let repeated = 0;
    const s = link.stats;
    const faults = (d: typeof s.toHost) => d.dropped + d.duplicated + d.corrupted;
    // Which bytes a fault hits depends on how the line chunks them (timing): both lanes draw from
    // one seeded stream, interleaved as the chunks arrive, so a run of 24 inferences has seen no
    // random fault in ~2,400 reply bytes (fresh-clone CI, once). Go on (up to 24) until both
    // directions have seen one, and from the 13th inference on drop one byte of a direction that
    // has not, so that the assertions below test recovery, never luck.
    let n = 0;
    for (let k = 0; k < 24 && (k < 12 || faults(s.toHost) === 0 || faults(s.toDevice) === 0); k++, n++) {
      if (k >= 12 && faults(s.toHost) === 0) link.toHost.dropNextBytes = 1;
      if (k >= 12 && faults(s.toDevice) === 0) link.toDevice.dropNextBytes = 1;
      const { input, want } = reference(100 + k);
      try {
        const r = await inferOnce(client, [input]);
        expect(Array.from(r.outputs[0]), `inference ${k}`).toEqual(want);
        repeated += r.attempts - 1;
        ok++;
      } catch (e) {
        console.log(`[faults] inference ${k} failed: ${(e as Error).message.slice(0, 400)}`);
        expect(e).toBeInstanceOf(DeviceError);
        expect((e as Error).message).toMatch(/no valid reply to \w+ from faulty|failed 3 times in transit/);
        failed++;
      }
    }
    console.log(
      `[faults] qemu-m4 kws: ${ok} of ${n} inferences bit-exact, ${failed} failed cleanly; ${client.stats.retries} request retries, ${repeated} inferences repeated; ` +
        `faults to device ${JSON.stringify(s.toDevice)}, to host ${JSON.stringify(s.toHost)}`,
    );
    expect(ok).toBeGreaterThanOrEqual(n - 2);
    expect(faults(s.toDevice)).toBeGreaterThan(0);
    expect(faults(s.toHost)).toBeGreaterThan(0);
    expect(client.stats.retries).toBeGreaterThan(0);
    await client.close();
  });

  it('a lost INVOKE reply: the inference is redone from the inputs, not re-invoked on a clobbered arena', { timeout: 60_000 }, async () => {
    const { link, client } = connect({ seed: 8 });
    await client.info();
    let dropped = 0;
    // Drop the first INVOKE reply from its type byte on (the pty delivers it in pieces): the
    // model has run, and its input bytes in the arena are gone.
    let prev = [0, 0];
    let skip = 0;
    link.toHost.tap = (chunk) => {
      const kept: number[] = [];
      for (const b of chunk) {
        if (skip > 0) skip--;
        else if (dropped === 0 && prev[0] === 0xa5 && prev[1] === 0x5a && b === (MSG.INVOKE | MSG.REPLY)) {
          dropped++;
          skip = 1 + 2 + 6 + 4 - 1; // seq, length, payload (count + one reading), CRC
        } else kept.push(b);
        prev = [prev[1], b];
      }
      return Buffer.from(kept);
    };
    const { input, want } = reference(42);
    const r = await inferOnce(client, [input]);
    expect(dropped).toBe(1);
    expect(r.attempts).toBe(2);
    expect(Array.from(r.outputs[0])).toEqual(want);
    await client.close();
  });

  it('reports a dead line with a clear DeviceError in bounded time', { timeout: 60_000 }, async () => {
    const { client } = connect({ seed: 9, toDevice: { drop: 1 } }, { timeoutMs: 300, retries: 2 });
    const t0 = Date.now();
    const err = await inferOnce(client, [reference(1).input]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/no valid reply to INFO|no valid reply to SET_INPUT/);
    expect((err as Error).message).toMatch(/after 3 attempts \(300 ms each/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await client.close();
  });

  it('after all that, a clean line still gets bit-exact answers (the firmware was never wedged)', { timeout: 60_000 }, async () => {
    const { client } = connect({ seed: 10 });
    const { input, want } = reference(77);
    expect(Array.from((await inferOnce(client, [input])).outputs[0])).toEqual(want);
    expect(client.stats.retries).toBe(0);
    await client.close();
  });
});
