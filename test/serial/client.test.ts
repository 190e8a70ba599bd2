import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DeviceError, InputError } from '../../src/errors.js';
import { DeviceClient, DeviceErrorReply, openSerialDevice } from '../../src/serial/client.js';
import { encodeFrame } from '../../src/serial/frame.js';
import { ERR, MSG } from '../../src/serial/protocol.js';
import { MockDevice, tensor } from './mock-device.js';

function setup(opts: { inputs?: number[]; outputs?: number[]; timeoutMs?: number; retries?: number } = {}) {
  const dev = new MockDevice(
    (opts.inputs ?? [3000]).map((n, i) => tensor(`in${i}`, n)),
    (opts.outputs ?? [3000, 12]).map((n, i) => tensor(`out${i}`, n)),
  );
  const client = new DeviceClient(dev.hostSide, {
    portName: '/dev/mock0',
    timeoutMs: opts.timeoutMs ?? 200,
    invokeTimeoutMs: opts.timeoutMs ?? 200,
    retries: opts.retries ?? 2,
  });
  return { dev, client };
}

describe('DeviceClient', () => {
  it('reads INFO, paging through many tensors', async () => {
    const { client, dev } = setup({ inputs: [10, 20], outputs: Array.from({ length: 60 }, (_, i) => i + 1) });
    const info = await client.info();
    expect(info.inputs.map((t) => t.name)).toEqual(['in0', 'in1']);
    expect(info.outputs).toHaveLength(60);
    expect(info.outputs[19]).toMatchObject({ name: 'out19', dtype: 'int8', shape: [1, 20], bytes: 20, scale: 0.5, zeroPoint: -3 });
    expect(info.timer).toMatchObject({ ticksPerUnitNum: 16, ticksPerUnitDen: 5, ticksPerUnit: 3.2, latencyUnit: 'instructions', overheadTicks: 19 });
    expect(info.board).toBe('mock-board');
    const infoRequests = dev.received.filter((f) => f.type === MSG.INFO);
    expect(infoRequests.length).toBeGreaterThan(1);
    // cached
    await client.info();
    expect(dev.received.filter((f) => f.type === MSG.INFO).length).toBe(infoRequests.length);
  });

  it('moves tensors larger than a payload in chunks', async () => {
    const { client, dev } = setup();
    const input = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
    await client.setInput(0, input);
    expect(dev.received.filter((f) => f.type === MSG.SET_INPUT).length).toBe(3);
    expect(dev.inputs[0].data).toEqual(input);
    expect(await client.invoke(3)).toEqual([1234, 1235, 1236]);
    const out = await client.getOutput(0);
    expect(out).toEqual(input.map((x) => (x + 1) & 0xff));
    expect(await client.getOutput(1)).toHaveLength(12);
  });

  it('splits large invoke counts into several requests', async () => {
    const { client, dev } = setup();
    const ticks = await client.invoke(300);
    expect(ticks).toHaveLength(300);
    expect(dev.received.filter((f) => f.type === MSG.INVOKE).length).toBe(2);
  });

  it('refuses wrong sizes and indices before sending anything', async () => {
    const { client } = setup();
    await expect(client.setInput(0, new Uint8Array(5))).rejects.toThrow(/input 0 'in0' .* takes 3000 bytes, got 5/);
    await expect(client.setInput(3, new Uint8Array(5))).rejects.toBeInstanceOf(InputError);
    await expect(client.getOutput(9)).rejects.toThrow(/output 9 does not exist/);
    await expect(client.invoke(0)).rejects.toBeInstanceOf(InputError);
  });

  it('times out with a DeviceError naming the request, the port and the wait', async () => {
    const { client, dev } = setup({ timeoutMs: 100, retries: 2 });
    dev.dropNext = 100;
    const t0 = Date.now();
    const err = await client.invoke(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/no valid reply to INVOKE from \/dev\/mock0 after 3 attempts \(100 ms each, 0\.3 s in all/);
    expect(msg).toMatch(/last request sent: a5 5a 03 /);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(dev.received.filter((f) => f.type === MSG.INVOKE)).toHaveLength(3);
    // each attempt had its own seq
    expect(new Set(dev.received.map((f) => f.seq)).size).toBe(3);
  });

  it('gives INVOKE its own, longer timeout (inference can be slow)', async () => {
    const dev = new MockDevice([tensor('x', 4)], [tensor('y', 4)]);
    const client = new DeviceClient(dev.hostSide, { portName: '/dev/mock1', timeoutMs: 100 });
    dev.delayMs = 300;
    expect(await client.invoke(1)).toEqual([1234]);
    expect(client.stats.retries).toBe(0);
    await expect(client.request(MSG.INFO, new Uint8Array(0), { retries: 0 })).rejects.toThrow(/no valid reply to INFO .*100 ms each/);
  });

  it('retries after a lost reply and succeeds', async () => {
    const { client, dev } = setup();
    dev.dropNext = 1;
    expect(await client.invoke(1)).toEqual([1234]);
    expect(client.stats.retries).toBe(1);
  });

  it('never accepts a reply with a bad CRC', async () => {
    const { client, dev } = setup();
    dev.corruptNext = 1;
    expect(await client.invoke(2)).toEqual([1234, 1235]);
    expect(client.stats.retries).toBe(1);
    dev.corruptNext = 10;
    await expect(client.invoke(1)).rejects.toThrow(/frame\(s\) with a bad CRC were discarded/);
  });

  it('ignores noise and stale replies', async () => {
    const { client, dev } = setup();
    dev.noise = new Uint8Array([0xa5, 0x00, 0x5a, 0xa5, 0x5a, 0xff, 0xff, 0x13]);
    dev.sendStale = true;
    expect(await client.invoke(1)).toEqual([1234]);
    expect(client.stats.retries).toBe(0);
    expect(client.stats.ignoredFrames).toBeGreaterThanOrEqual(1);
  });

  it('reports device errors at once, and retries transport errors', async () => {
    const { client, dev } = setup();
    dev.errorNext = { code: ERR.BAD_RANGE, message: 'bytes up to 9 are past the end' };
    const err = await client.invoke(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toBe('device on /dev/mock0 rejected INVOKE: bytes up to 9 are past the end (BAD_RANGE)');
    expect((err as Error).cause).toBeInstanceOf(DeviceErrorReply);
    expect(((err as Error).cause as DeviceErrorReply).code).toBe(ERR.BAD_RANGE);
    expect(client.stats.retries).toBe(0);

    dev.errorNext = { code: ERR.BAD_CRC, message: 'bad CRC; frame dropped' };
    expect(await client.invoke(1)).toEqual([1234]);
    expect(client.stats.retries).toBe(1);
  });

  it('fails pending and later requests when the stream closes', async () => {
    const { client, dev } = setup({ timeoutMs: 5000 });
    dev.dropNext = 1;
    const p = client.invoke(1);
    setTimeout(() => dev.hostSide.destroy(), 20);
    await expect(p).rejects.toThrow(/serial port \/dev\/mock0 was closed/);
    await expect(client.invoke(1)).rejects.toBeInstanceOf(DeviceError);
  });

  it('hands every valid frame to onFrame listeners', async () => {
    const { client } = setup();
    const seen: number[] = [];
    const off = client.onFrame((f) => seen.push(f.type));
    await client.sendRaw(encodeFrame(0x42, 200));
    await client.invoke(1);
    off();
    await client.invoke(1);
    expect(seen).toEqual([MSG.ERROR, MSG.INVOKE | MSG.REPLY]);
  });

  it('works over a serialport stream (SerialPortMock)', async () => {
    const { SerialPortMock } = await import('serialport');
    const path = '/dev/tinyml-mock';
    SerialPortMock.binding.createPort(path, { echo: false, record: true });
    const port = new SerialPortMock({ path, baudRate: 115200 });
    await new Promise<void>((r) => port.on('open', () => r()));
    // A minimal device: answer each INVOKE written to the port.
    const dev = new MockDevice([tensor('x', 4)], [tensor('y', 4)]);
    dev.hostSide.on('data', (b: Buffer) => port.port!.emitData(b));
    const origWrite = port.port!.write.bind(port.port!);
    port.port!.write = async (buf: Buffer) => {
      await origWrite(buf);
      dev.hostSide.write(buf);
    };
    const client = new DeviceClient(port, { portName: path, timeoutMs: 500 });
    expect(await client.invoke(2)).toEqual([1234, 1235]);
    await client.close();
    expect(port.isOpen).toBe(false);
    SerialPortMock.binding.reset();
  });

  it('a request aborted while its frame is still being written fails once, with no unhandled rejection', async () => {
    // The link's target dies (QEMU killed) while the write of a request has not completed: the
    // abort rejects the pending reply before the client awaits it.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let releaseWrite: (() => void) | undefined;
      const stream = new Duplex({
        read() {},
        write(_chunk, _enc, cb) {
          releaseWrite = () => cb();
        },
      });
      const client = new DeviceClient(stream, { portName: '/dev/slow', timeoutMs: 1000 });
      const request = client.request(MSG.INFO, new Uint8Array(0)).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 20));
      client.abort('QEMU mps2-an386 (board qemu-m4) was killed by signal 9');
      await new Promise((r) => setTimeout(r, 20)); // let an unhandled rejection surface
      releaseWrite?.();
      const err = await request;
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as Error).message).toBe('QEMU mps2-an386 (board qemu-m4) was killed by signal 9');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('openSerialDevice reports a port that cannot be opened', async () => {
    await expect(openSerialDevice('/dev/does-not-exist-tinyml', 115200)).rejects.toThrow(/cannot open serial port \/dev\/does-not-exist-tinyml/);
  });
});
