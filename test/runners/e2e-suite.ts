/**
 * End-to-end suite for one QEMU board: build the stub models, boot them under QEMU, and drive
 * them through DeviceClient. Each board has a one-line test file calling defineBoardSuite(), so
 * vitest can run boards in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceError } from '../../src/errors.js';
import { loadBoard, ticksPerUnitRatio } from '../../src/build/board.js';
import type { BuildResult } from '../../src/build/compile.js';
import { startQemu, type QemuSession } from '../../src/runners/qemu.js';
import { DeviceErrorReply } from '../../src/serial/client.js';
import { encodeFrame, type Frame } from '../../src/serial/frame.js';
import { ERR, MSG } from '../../src/serial/protocol.js';
import { buildStub, makeTempDir, stubExpected } from '../fixtures/stub-model/index.js';

/** Deterministic pseudo-random bytes (xorshift32). */
export function randomBytes(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Waits for the first frame matching `pred` (or fails after timeoutMs). */
function nextFrame(session: QemuSession, pred: (f: Frame) => boolean, timeoutMs: number): Promise<Frame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching frame within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = session.client.onFrame((f) => {
      if (pred(f)) {
        clearTimeout(timer);
        off();
        resolve(f);
      }
    });
  });
}

const errorOf = (f: Frame): { code: number; message: string } => ({ code: f.payload[0], message: new TextDecoder().decode(f.payload.subarray(2)) });

async function deviceErrorCode(p: Promise<unknown>): Promise<number> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceError);
  const cause = (err as Error).cause;
  expect(cause).toBeInstanceOf(DeviceErrorReply);
  return (cause as DeviceErrorReply).code;
}

export function defineBoardSuite(boardName: string): void {
  const board = loadBoard(boardName);
  const ratio = ticksPerUnitRatio(board);
  const toUnits = (ticks: number): number => (ticks * ratio.den) / ratio.num;

  describe(`${boardName} end to end under QEMU`, () => {
    const temp = makeTempDir(`tinyml-e2e-${boardName}-`);
    let stub: BuildResult;
    let session: QemuSession | undefined;

    beforeAll(async () => {
      stub = await buildStub(`${temp.dir}/stub`, boardName, 'stub', { profile: true });
      session = await startQemu({ board: boardName, elf: stub.elf });
    });

    afterAll(async () => {
      await session?.close();
      temp.cleanup();
    });

    it('answers INFO with the model, board, timer and build', async () => {
      const info = session!.info;
      expect(info.protocolVersion).toBe(1);
      expect(info.board).toBe(boardName);
      expect(info.clockHz).toBe(board.clockHz);
      expect(info.profiling).toBe(true);
      expect(info.maxPayload).toBe(1024);
      expect(info.buildFlags).toContain('-O2');
      expect(info.buildFlags).toContain(`-mcpu=${board.core}`);
      expect(info.buildFlags).toContain('-DTINYML_PROFILE');
      expect(info.timer).toMatchObject({
        hz: board.timer.hz,
        latencyUnit: 'instructions',
        ticksPerUnitNum: ratio.num,
        ticksPerUnitDen: ratio.den,
      });
      expect(info.timer.ticksPerUnit).toBeCloseTo(board.timer.ticksPerUnit, 12);
      expect(info.timer.overheadTicks).toBeGreaterThan(0);
      expect(info.timer.overheadTicks).toBeLessThan(100);
      expect(info.model).toEqual({ name: 'stub_model', hash: '0123456789abcdef', arenaBytes: 3472, numLayers: 2 });
      expect(info.inputs).toEqual([{ name: 'image', dtype: 'int8', shape: [1, 24, 24, 3], bytes: 1728, scale: 0.0078125, zeroPoint: -1 }]);
      expect(info.outputs).toEqual([
        { name: 'plus_one', dtype: 'int8', shape: [1, 24, 24, 3], bytes: 1728, scale: 0.0078125, zeroPoint: -1 },
        { name: 'channel_sum', dtype: 'int32', shape: [1, 3], bytes: 12, scale: 0, zeroPoint: 0 },
      ]);
    });

    it('computes the stub function on random inputs (chunked SET_INPUT / GET_OUTPUT)', async () => {
      const c = session!.client;
      for (const seed of [1, 2]) {
        const bytes = randomBytes(1728, seed * 7919);
        bytes[0] = 127; // saturates
        bytes[1] = 128; // -128
        await c.setInput(0, bytes);
        const ticks = await c.invoke(1);
        expect(ticks).toHaveLength(1);
        const want = stubExpected(new Int8Array(bytes.buffer));
        const out0 = new Int8Array((await c.getOutput(0)).buffer);
        const out1 = new Int32Array((await c.getOutput(1)).slice().buffer);
        expect(out0).toEqual(want.plusOne);
        expect(out1).toEqual(want.channelSum);
        expect(out0[0]).toBe(127);
        expect(out0[1]).toBe(-127);
      }
    });

    it('times invokes deterministically, in instructions', async () => {
      const ticks = await session!.client.invoke(8);
      const min = Math.min(...ticks);
      const max = Math.max(...ticks);
      expect(max - min).toBeLessThanOrEqual(1);
      const instructions = toUnits(min);
      // Fixed work: ~27 k instructions (2 x 1728 element loops) plus the profiling hooks.
      expect(instructions).toBeGreaterThan(5_000);
      expect(instructions).toBeLessThan(100_000);
      console.log(`[${boardName}] stub invoke: ${min}..${max} ticks = ${instructions.toFixed(1)} instructions (${board.timer.ticksPerUnit} ticks/instruction)`);
    });

    it('profiles per layer', async () => {
      const p = await session!.client.profile();
      expect(p.layerTicks).toHaveLength(2);
      const sum = p.layerTicks[0] + p.layerTicks[1];
      expect(p.layerTicks[0]).toBeGreaterThan(0);
      expect(p.layerTicks[1]).toBeGreaterThan(0);
      expect(sum).toBeLessThanOrEqual(p.totalTicks);
      // Outside the layers: only the hook calls before the first and after the last.
      expect(toUnits(p.totalTicks - sum)).toBeLessThan(100);
      const [t] = await session!.client.invoke(1);
      expect(Math.abs(t - p.totalTicks)).toBeLessThanOrEqual(1);
    });

    it('answers bad frames with error frames and keeps working', async () => {
      const s = session!;
      const c = s.client;
      // Noise, including stray sync bytes, then a normal request.
      await c.sendRaw(new Uint8Array([0x00, 0xa5, 0xff, 0x5a, 0x13, 0x37, 0xa5]));
      expect((await c.info({ refresh: true })).board).toBe(boardName);

      // Bad CRC: the device says so, echoing our seq.
      const bad = encodeFrame(MSG.INFO, 201);
      bad[bad.length - 1] ^= 0x5a;
      let reply = nextFrame(s, (f) => f.seq === 201, 3000);
      await c.sendRaw(bad);
      let f = await reply;
      expect(f.type).toBe(MSG.ERROR);
      expect(errorOf(f)).toEqual({ code: ERR.BAD_CRC, message: 'bad CRC; frame dropped' });

      // Length field over the maximum.
      reply = nextFrame(s, (fr) => fr.seq === 202, 3000);
      await c.sendRaw(new Uint8Array([0xa5, 0x5a, MSG.INFO, 202, 0x01, 0x08]));
      f = await reply;
      expect(errorOf(f)).toEqual({ code: ERR.BAD_LENGTH, message: 'payload length 2049 exceeds maximum 1024' });

      // A frame that stops half way: dropped after the stall timeout, with an error.
      reply = nextFrame(s, (fr) => fr.seq === 203, 5000);
      const t0 = Date.now();
      await c.sendRaw(encodeFrame(MSG.SET_INPUT, 203, new Uint8Array(40)).subarray(0, 20));
      f = await reply;
      expect(errorOf(f)).toEqual({ code: ERR.TIMEOUT, message: 'frame stalled before its end; dropped' });
      expect(Date.now() - t0).toBeLessThan(5000);

      // Well-formed but invalid requests.
      expect(await deviceErrorCode(c.request(0x42, new Uint8Array(0)))).toBe(ERR.UNKNOWN_TYPE);
      expect(await deviceErrorCode(c.request(MSG.SET_INPUT, new Uint8Array([1, 0, 0, 0, 0, 9])))).toBe(ERR.BAD_INDEX);
      expect(await deviceErrorCode(c.request(MSG.SET_INPUT, new Uint8Array([0, 0xc0, 0x06, 0, 0, 9])))).toBe(ERR.BAD_RANGE);
      expect(await deviceErrorCode(c.request(MSG.SET_INPUT, new Uint8Array([0, 0])))).toBe(ERR.BAD_LENGTH);
      expect(await deviceErrorCode(c.request(MSG.GET_OUTPUT, new Uint8Array([1, 8, 0, 0, 0, 8, 0])))).toBe(ERR.BAD_RANGE);
      expect(await deviceErrorCode(c.request(MSG.GET_OUTPUT, new Uint8Array([0, 0, 0, 0, 0, 0x00, 0x04])))).toBe(ERR.BAD_ARG);
      expect(await deviceErrorCode(c.request(MSG.INVOKE, new Uint8Array([0, 0])))).toBe(ERR.BAD_ARG);
      expect(await deviceErrorCode(c.request(MSG.INVOKE, new Uint8Array([0, 1])))).toBe(ERR.BAD_ARG);
      expect(await deviceErrorCode(c.request(MSG.INFO, new Uint8Array([3])))).toBe(ERR.BAD_INDEX);
      expect(await deviceErrorCode(c.request(MSG.PROFILE, new Uint8Array([5, 0])))).toBe(ERR.BAD_INDEX);
      await expect(c.request(MSG.SET_INPUT, new Uint8Array([0, 0xc0, 0x06, 0, 0, 9]))).rejects.toThrow(
        `device on ${s.ptyPath} rejected SET_INPUT: bytes up to 1729 are past the tensor's end (bytes: 1728) (BAD_RANGE)`,
      );

      // Still fully functional.
      const bytes = randomBytes(1728, 99);
      await c.setInput(0, bytes);
      await c.invoke(2);
      expect(new Int8Array((await c.getOutput(0)).buffer)).toEqual(stubExpected(new Int8Array(bytes.buffer)).plusOne);
    });

    describe('calibration loop', () => {
      let calib: QemuSession | undefined;
      beforeAll(async () => {
        const r = await buildStub(`${temp.dir}/calib`, boardName, 'calib');
        calib = await startQemu({ board: boardName, elf: r.elf });
      });
      afterAll(async () => {
        await calib?.close();
      });

      it('measures a loop of known instruction count exactly', async () => {
        const c = calib!.client;
        const measure = async (n: number): Promise<number> => {
          await c.setInput(0, new Uint8Array(new Int32Array([n]).buffer));
          const ticks = await c.invoke(3);
          expect(Math.max(...ticks) - Math.min(...ticks)).toBeLessThanOrEqual(1);
          expect(new Int32Array((await c.getOutput(0)).slice().buffer)[0]).toBe(n);
          return toUnits(ticks[0]);
        };
        const counts = [1000, 11_000, 101_000, 1_001_000];
        const inst = [];
        for (const n of counts) inst.push(await measure(n));
        // Each iteration is exactly 2 instructions (subs; bne).
        for (let i = 1; i < counts.length; i++) {
          const expected = 2 * (counts[i] - counts[0]);
          expect(Math.abs(inst[i] - inst[0] - expected), `n=${counts[i]}`).toBeLessThanOrEqual(1);
        }
        // And the fixed overhead (call, timer read, loop set-up) is the same for every n.
        const overheads = counts.map((n, i) => inst[i] - 2 * n);
        expect(Math.max(...overheads) - Math.min(...overheads)).toBeLessThanOrEqual(1);
        console.log(
          `[${boardName}] calibration: ${counts.map((n, i) => `n=${n}: ${inst[i].toFixed(2)}`).join(', ')} instructions; ` +
            `fixed overhead ${overheads[0].toFixed(2)} instructions`,
        );
      });

      it('answers PROFILE with "not built with profiling"', async () => {
        await expect(calib!.client.profile()).rejects.toThrow(/rejected PROFILE: not built with profiling .*\(NOT_SUPPORTED\)/);
        expect(calib!.info.profiling).toBe(false);
      });
    });
  });
}
