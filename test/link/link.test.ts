/**
 * The link layer on its own, with no protocol client: QEMU's UART as a plain byte stream (a
 * hand-made INFO frame goes out, a valid reply comes back), what the link says when QEMU ends,
 * and that nothing of QEMU outlives close() or a failed start.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../src/build/compile.js';
import { DeviceError, ToolFailedError } from '../../src/errors.js';
import { openQemuLink } from '../../src/link/qemu.js';
import { openSerialLink } from '../../src/link/serial-port.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/serial/frame.js';
import { MSG } from '../../src/serial/protocol.js';
import { buildStub, makeTempDir } from '../fixtures/stub-model/index.js';

/** True while a live (non-zombie) process of the group led by pid exists. */
function groupAlive(pid: number): boolean {
  const ps = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return ps.split('\n').some((line) => {
    const [, pgid, stat] = line.trim().split(/\s+/);
    return Number(pgid) === pid && stat !== undefined && !stat.startsWith('Z');
  });
}

/** The first frame that arrives on `stream` within `ms`. */
function nextFrame(stream: NodeJS.ReadableStream, ms: number): Promise<Frame | undefined> {
  const decoder = new FrameDecoder();
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), ms);
    const onData = (chunk: Buffer): void => {
      const [frame] = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (frame) done(frame);
    };
    const done = (f: Frame | undefined): void => {
      clearTimeout(timer);
      stream.removeListener('data', onData);
      resolve(f);
    };
    stream.on('data', onData);
  });
}

describe('links', () => {
  const temp = makeTempDir('tinyml-link-');
  let stub: BuildResult;
  beforeAll(async () => {
    stub = await buildStub(join(temp.dir, 'stub'), 'qemu-m4');
  });
  afterAll(() => temp.cleanup());

  it('a QEMU link is a byte stream: a hand-made INFO frame gets its reply; close() leaves no process', async () => {
    const link = await openQemuLink({ board: 'qemu-m4', elf: stub.elf });
    try {
      expect(link.kind).toBe('qemu');
      expect(link.name).toMatch(/^\/dev\/pts\/\d+$/);
      expect(link.name).toBe(link.ptyPath);
      expect(groupAlive(link.pid)).toBe(true);
      let reply: Frame | undefined;
      // The firmware may still be booting: ask a few times.
      for (let seq = 1; seq <= 5 && !reply; seq++) {
        const waiting = nextFrame(link.stream, 1000);
        link.stream.write(Buffer.from(encodeFrame(MSG.INFO, seq, new Uint8Array(0))));
        reply = await waiting;
      }
      expect(reply?.type).toBe(MSG.INFO | MSG.REPLY);
      expect(link.exitDescription()).toBeUndefined();
    } finally {
      await link.close();
      await link.close();
    }
    expect(groupAlive(link.pid)).toBe(false);
  });

  it('when QEMU dies, the link says how, with what QEMU printed', async () => {
    const link = await openQemuLink({ board: 'qemu-m4', elf: stub.elf });
    try {
      const lost = new Promise<string>((resolve) => link.onLost?.(resolve));
      const qemuPid = Number(execFileSync('pgrep', ['-P', String(link.pid), '-f', 'qemu-system-arm'], { encoding: 'utf8' }).trim().split('\n')[0]);
      process.kill(qemuPid, 'SIGKILL');
      expect(await lost).toMatch(/^QEMU mps2-an386 \(board qemu-m4\) was killed by signal 9/);
      expect(await link.explainEnd?.('serial port closed')).toMatch(/^QEMU mps2-an386 \(board qemu-m4\) was killed by signal 9[^]*\n\(serial port closed\)$/);
    } finally {
      await link.close();
    }
    expect(groupAlive(link.pid)).toBe(false);
  });

  it('QEMU failing to start is a ToolFailedError with its output and command line', async () => {
    const err = await openQemuLink({ board: 'qemu-m4', elf: stub.elf, extraArgs: ['-no-such-option'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailedError);
    expect((err as Error).message).toMatch(/^QEMU mps2-an386 \(board qemu-m4\) exited with code 1; it said:\n.*-no-such-option: invalid option[^]*\n\(command: \S*qemu-system-arm -M mps2-an386 /);
  });

  it('a serial port that cannot be opened is a DeviceError naming it', async () => {
    await expect(openSerialLink('/dev/tinyml-test-no-such-port', 115200)).rejects.toThrow(DeviceError);
    await expect(openSerialLink('/dev/tinyml-test-no-such-port', 115200)).rejects.toThrow(/^cannot open serial port \/dev\/tinyml-test-no-such-port: /);
  });
});
