import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32, decodeFrames, encodeFrame, FrameDecoder, MAX_PAYLOAD } from '../../src/serial/frame.js';
import { ERR, MSG, PROTOCOL_VERSION } from '../../src/serial/protocol.js';
import { firmwareDir } from '../../src/build/paths.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it('matches the IEEE 802.3 / zlib check values', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(new Uint8Array([0]))).toBe(0xd202ef8d);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it('covers a sub-range', () => {
    const b = ascii('xx123456789yy');
    expect(crc32(b, 2, 11)).toBe(0xcbf43926);
  });
});

describe('encodeFrame', () => {
  it('lays out sync, type, seq, length, payload, CRC over type..payload', () => {
    const f = encodeFrame(0x02, 0x17, new Uint8Array([1, 2, 3]));
    expect([...f.subarray(0, 9)]).toEqual([0xa5, 0x5a, 0x02, 0x17, 3, 0, 1, 2, 3]);
    const crc = new DataView(f.buffer).getUint32(9, true);
    expect(crc).toBe(crc32(f, 2, 9));
    expect(f.length).toBe(13);
  });

  it('rejects payloads over the maximum and non-byte fields', () => {
    expect(() => encodeFrame(1, 0, new Uint8Array(MAX_PAYLOAD + 1))).toThrow(RangeError);
    expect(() => encodeFrame(256, 0)).toThrow(RangeError);
    expect(() => encodeFrame(1, -1)).toThrow(RangeError);
  });
});

describe('FrameDecoder', () => {
  const a = encodeFrame(0x81, 1, ascii('hello'));
  const b = encodeFrame(0x83, 2, new Uint8Array(MAX_PAYLOAD).map((_, i) => i & 0xff));
  const c = encodeFrame(0x7f, 3);

  it('round-trips frames, including empty and maximal payloads', () => {
    const frames = decodeFrames(new Uint8Array([...a, ...b, ...c]));
    expect(frames.map((f) => [f.type, f.seq, f.payload.length])).toEqual([
      [0x81, 1, 5],
      [0x83, 2, MAX_PAYLOAD],
      [0x7f, 3, 0],
    ]);
    expect(new TextDecoder().decode(frames[0].payload)).toBe('hello');
    expect(frames[1].payload[1000]).toBe(1000 & 0xff);
  });

  it('reassembles frames pushed one byte at a time', () => {
    const d = new FrameDecoder();
    const got = [];
    for (const byte of [...a, ...c]) got.push(...d.push(new Uint8Array([byte])));
    expect(got.map((f) => f.seq)).toEqual([1, 3]);
    expect(d.pending).toBe(0);
  });

  it('resynchronizes after garbage, including stray sync bytes', () => {
    const garbage = new Uint8Array([0x00, 0xa5, 0xa5, 0x13, 0x5a, 0xff, 0xa5]);
    const d = new FrameDecoder();
    const frames = d.push(new Uint8Array([...garbage, ...a, 0x42, 0x42, ...c]));
    expect(frames.map((f) => f.seq)).toEqual([1, 3]);
    expect(d.stats.garbageBytes).toBeGreaterThanOrEqual(garbage.length);
  });

  it('rejects a corrupted frame and still finds the next one', () => {
    for (const pos of [2, 3, 4, 7, a.length - 1]) {
      const bad = a.slice();
      bad[pos] ^= 0x10;
      const d = new FrameDecoder();
      // A corrupted length byte makes the candidate look longer; more traffic (here: padding)
      // completes it, its CRC fails, and the frame behind it is found.
      const frames = d.push(new Uint8Array([...bad, ...c, ...new Uint8Array(32)]));
      expect(frames.map((f) => f.seq), `corrupt byte ${pos}`).toEqual([3]);
    }
    const bad = a.slice();
    bad[6] ^= 1;
    const d = new FrameDecoder();
    d.push(bad);
    expect(d.stats.badCrc).toBe(1);
    expect(d.stats.frames).toBe(0);
  });

  it('rejects an impossible length without waiting for the claimed payload', () => {
    const d = new FrameDecoder();
    const fake = new Uint8Array([0xa5, 0x5a, 0x01, 0x00, 0xff, 0xff]);
    const frames = d.push(new Uint8Array([...fake, ...c]));
    expect(frames.map((f) => f.seq)).toEqual([3]);
    expect(d.stats.badLength).toBe(1);
  });

  it('finds a real frame that starts inside a false header', () => {
    // A sync pair whose "length" swallows the real frame: the CRC fails and scanning restarts
    // one byte after the false sync, where the real frame is found.
    const d = new FrameDecoder();
    const fake = new Uint8Array([0xa5, 0x5a, 0x01, 0x00, a.length, 0x00]);
    const frames = d.push(new Uint8Array([...fake, ...a, 0, 0, 0, 0]));
    expect(frames.map((f) => f.seq)).toEqual([1]);
  });

  it('holds an incomplete frame until the rest arrives', () => {
    const d = new FrameDecoder();
    expect(d.push(b.subarray(0, 500))).toEqual([]);
    expect(d.pending).toBe(500);
    expect(d.push(b.subarray(500)).map((f) => f.seq)).toEqual([2]);
  });
});

describe('protocol constants', () => {
  it('agree with firmware/runtime/tinyml_protocol.h', () => {
    const h = readFileSync(join(firmwareDir(), 'runtime', 'tinyml_protocol.h'), 'utf8');
    const def = (name: string): number => {
      const m = new RegExp(`#define ${name} (0x[0-9A-Fa-f]+|\\d+)u?\\b`).exec(h);
      if (!m) throw new Error(`${name} not in tinyml_protocol.h`);
      return Number(m[1]);
    };
    expect(def('TINYML_PROTOCOL_VERSION')).toBe(PROTOCOL_VERSION);
    expect(def('TINYML_SYNC0')).toBe(0xa5);
    expect(def('TINYML_SYNC1')).toBe(0x5a);
    expect(def('TINYML_MAX_PAYLOAD')).toBe(MAX_PAYLOAD);
    for (const [k, v] of Object.entries(MSG)) expect(def(`TINYML_MSG_${k}`), k).toBe(v);
    for (const [k, v] of Object.entries(ERR)) expect(def(`TINYML_ERR_${k}`), k).toBe(v);
  });
});
