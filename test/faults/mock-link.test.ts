/**
 * DeviceClient over a faulty line to the in-memory mock device: bytes dropped, duplicated,
 * corrupted and stalled in both directions. The client must retry a bounded number of times,
 * never hand back a wrong result, and fail with a clear DeviceError when the line is hopeless.
 */
import { describe, expect, it } from 'vitest';
import { DeviceError } from '../../src/errors.js';
import { DeviceClient } from '../../src/serial/client.js';
import { encodeFrame } from '../../src/serial/frame.js';
import { ERR, MSG } from '../../src/serial/protocol.js';
import { MockDevice, tensor } from '../serial/mock-device.js';
import { FaultyLink, seededRandom, type FaultPlan } from './faulty-link.js';

function setup(plan: FaultPlan, opts: { inBytes?: number; outBytes?: number; timeoutMs?: number; retries?: number } = {}) {
  const dev = new MockDevice([tensor('in', opts.inBytes ?? 600)], [tensor('out', opts.outBytes ?? 600)]);
  const link = new FaultyLink(dev.hostSide, plan);
  const client = new DeviceClient(link.hostSide, {
    portName: '/dev/faulty0',
    timeoutMs: opts.timeoutMs ?? 60,
    invokeTimeoutMs: opts.timeoutMs ?? 60,
    retries: opts.retries ?? 8,
    closeStream: () => link.close(),
  });
  return { dev, link, client };
}

/** What the mock computes: out[i] = in[i % n] + 1. */
function expected(input: Uint8Array, outBytes: number): Uint8Array {
  return Uint8Array.from({ length: outBytes }, (_, i) => (input[i % input.length] + 1) & 0xff);
}

describe('DeviceClient over a faulty line (mock device)', () => {
  it('recovers from random drops, duplicates, corruption and stalls; every accepted output is right', async () => {
    const { client, link } = setup({
      seed: 1234,
      // About one frame in ten of the 600-byte transfers is damaged, and one chunk in 50 stalls
      // for longer than the client's timeout.
      toDevice: { drop: 1e-4, duplicate: 1e-4, corrupt: 1e-4, stall: 0.02, stallMs: 100 },
      toHost: { drop: 1e-4, duplicate: 1e-4, corrupt: 1e-4, stall: 0.02, stallMs: 100 },
    });
    const rand = seededRandom(99);
    let ok = 0;
    let failed = 0;
    for (let k = 0; k < 40; k++) {
      const input = Uint8Array.from({ length: 600 }, () => Math.floor(rand() * 256));
      try {
        await client.setInput(0, input);
        await client.invoke(1);
        const out = await client.getOutput(0);
        expect(Array.from(out)).toEqual(Array.from(expected(input, 600)));
        ok++;
      } catch (e) {
        // A request may exhaust its retries on a bad stretch of line; it must say so clearly.
        expect(e).toBeInstanceOf(DeviceError);
        expect((e as Error).message).toMatch(/no valid reply to \w+ from \/dev\/faulty0 after 9 attempts/);
        failed++;
      }
    }
    const s = link.stats;
    const faults = (d: typeof s.toHost): number => d.dropped + d.duplicated + d.corrupted + d.stalls;
    expect(faults(s.toDevice)).toBeGreaterThan(5);
    expect(faults(s.toHost)).toBeGreaterThan(5);
    expect(client.stats.retries).toBeGreaterThan(5);
    expect(ok).toBeGreaterThanOrEqual(38);
    expect(ok + failed).toBe(40);
    await client.close();
  });

  it('ignores late replies to attempts that timed out (stall longer than the timeout)', async () => {
    const { client, link, dev } = setup({ seed: 1 }, { inBytes: 8, outBytes: 8, timeoutMs: 80 });
    const input = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    await client.setInput(0, input);
    link.toHost.hold(200); // the INVOKE reply arrives after the first attempt timed out
    expect(await client.invoke(1)).toEqual([1234]);
    expect(client.stats.retries).toBeGreaterThanOrEqual(1);
    // The second output read gets a stale copy first: it must take only its own reply.
    dev.sendStale = true;
    expect(Array.from(await client.getOutput(0))).toEqual(Array.from(expected(input, 8)));
    expect(client.stats.ignoredFrames).toBeGreaterThanOrEqual(1);
    await client.close();
  });

  it('is not wedged by a reply whose length field was corrupted upwards', async () => {
    // The first reply's length becomes 0x3xx: a decoder that keeps waiting for those bytes would
    // swallow every later (short) reply, and all retries would time out.
    const { client, link } = setup({ seed: 2 }, { inBytes: 8, outBytes: 8 });
    let hit = 0;
    link.toHost.tap = (chunk) => {
      if (hit++ === 0 && chunk.length >= 6 && chunk[0] === 0xa5 && chunk[1] === 0x5a) {
        const c = Buffer.from(chunk);
        c[5] = 0x03;
        return c;
      }
      return chunk;
    };
    expect(await client.invoke(1)).toEqual([1234]);
    expect(client.stats.retries).toBe(1);
    await client.close();
  });

  it('never uses seq 0, which the device reserves for unsolicited reports', async () => {
    const { client, dev } = setup({ seed: 3 }, { inBytes: 4, outBytes: 4 });
    for (let i = 0; i < 300; i++) await client.request(MSG.INFO, new Uint8Array(0));
    expect(dev.received).toHaveLength(300);
    expect(dev.received.some((f) => f.seq === 0)).toBe(false);
    await client.close();
  });

  it('does not take an unsolicited seq-0 report for the answer to the current request', async () => {
    const { client, link } = setup({ seed: 4 }, { inBytes: 4, outBytes: 4, timeoutMs: 200 });
    // Before every reply, the "device" reports a stalled frame header (seq 0, type 0) unasked.
    link.toHost.tap = (chunk) => Buffer.concat([Buffer.from(encodeFrame(MSG.ERROR, 0, new Uint8Array([ERR.TIMEOUT, 0, 0x78]))), chunk]);
    for (let i = 0; i < 260; i++) await client.request(MSG.INFO, new Uint8Array(0));
    expect(client.stats.retries).toBe(0);
    await client.close();
  });

  it('fails with a clear DeviceError, in bounded time, when nothing gets through', async () => {
    const { client, link } = setup({ seed: 5, toHost: { drop: 1 } }, { timeoutMs: 50, retries: 3 });
    const t0 = Date.now();
    const err = await client.invoke(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/no valid reply to INVOKE from \/dev\/faulty0 after 4 attempts \(50 ms each/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(link.stats.toHost.dropped).toBeGreaterThan(0);
    await client.close();
  });

  it('fails with a clear DeviceError when every reply is corrupted, naming the bad CRCs', async () => {
    const { client } = setup({ seed: 6, toHost: { corrupt: 0.2 } }, { timeoutMs: 50, retries: 2 });
    const err = await client.invoke(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/after 3 attempts.*(bad CRC were discarded|noise were discarded)/);
    await client.close();
  });
});
