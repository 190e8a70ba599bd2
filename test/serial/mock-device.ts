/**
 * An in-memory device speaking the tinyml protocol like firmware/runtime/main.c, with fault
 * injection, for testing DeviceClient without hardware or QEMU.
 */
import { Duplex } from 'node:stream';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/serial/frame.js';
import { DTYPE_CODES, ERR, MSG, type DeviceTensorInfo } from '../../src/serial/protocol.js';

export interface MockTensor extends DeviceTensorInfo {
  data: Uint8Array;
}

export class MockDevice {
  /** The stream a DeviceClient uses. */
  readonly hostSide: Duplex;
  readonly received: Frame[] = [];
  /** Requests to leave unanswered. */
  dropNext = 0;
  /** Replies to send with a corrupted CRC. */
  corruptNext = 0;
  /** Noise to send before each reply. */
  noise = new Uint8Array(0);
  /** Send a reply with the previous seq before the real one. */
  sendStale = false;
  /** Answer the next request with this error code (once). */
  errorNext: { code: number; message: string } | undefined;
  invokeTicks = 1234;
  /** Delay before each reply, ms. */
  delayMs = 0;
  private lastSeq = 0;
  private readonly decoder = new FrameDecoder();

  constructor(
    readonly inputs: MockTensor[],
    readonly outputs: MockTensor[],
    readonly board = 'mock-board',
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.hostSide = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        for (const f of self.decoder.push(new Uint8Array(chunk))) self.handle(f);
        cb();
      },
    });
  }

  private send(type: number, seq: number, payload: Uint8Array): void {
    if (this.dropNext > 0) {
      this.dropNext--;
      return;
    }
    const f = encodeFrame(type, seq, payload);
    if (this.corruptNext > 0) {
      this.corruptNext--;
      f[f.length - 1] ^= 0xff;
    }
    const out = new Uint8Array(this.noise.length + f.length);
    out.set(this.noise);
    out.set(f, this.noise.length);
    const push = (): void => void this.hostSide.push(Buffer.from(out));
    if (this.delayMs > 0) setTimeout(push, this.delayMs);
    else setImmediate(push);
  }

  private error(seq: number, reqType: number, code: number, message: string): void {
    const m = new TextEncoder().encode(message);
    this.send(MSG.ERROR, seq, new Uint8Array([code, reqType, ...m]));
  }

  private handle(f: Frame): void {
    this.received.push(f);
    if (this.sendStale) {
      this.sendStale = false;
      this.send(f.type | MSG.REPLY, (f.seq - 1) & 0xff, new Uint8Array(0));
    }
    if (this.errorNext) {
      const e = this.errorNext;
      this.errorNext = undefined;
      this.error(f.seq, f.type, e.code, e.message);
      return;
    }
    const p = f.payload;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    switch (f.type) {
      case MSG.INFO:
        return this.send(MSG.INFO | MSG.REPLY, f.seq, this.info(p.length ? p[0] : 0));
      case MSG.SET_INPUT: {
        const t = this.inputs[p[0]];
        const off = v.getUint32(1, true);
        if (!t) return this.error(f.seq, f.type, ERR.BAD_INDEX, 'no such input');
        t.data.set(p.subarray(5), off);
        const ack = new Uint8Array(7);
        const av = new DataView(ack.buffer);
        ack[0] = p[0];
        av.setUint32(1, off, true);
        av.setUint16(5, p.length - 5, true);
        return this.send(MSG.SET_INPUT | MSG.REPLY, f.seq, ack);
      }
      case MSG.INVOKE: {
        const n = v.getUint16(0, true);
        const out = new Uint8Array(2 + 4 * n);
        const ov = new DataView(out.buffer);
        ov.setUint16(0, n, true);
        for (let i = 0; i < n; i++) ov.setUint32(2 + 4 * i, this.invokeTicks + i, true);
        // The "model": every output byte = input 0 byte + 1 (wrapping), for testing.
        for (const o of this.outputs) for (let i = 0; i < o.data.length; i++) o.data[i] = (this.inputs[0].data[i % this.inputs[0].data.length] + 1) & 0xff;
        return this.send(MSG.INVOKE | MSG.REPLY, f.seq, out);
      }
      case MSG.GET_OUTPUT: {
        const t = this.outputs[p[0]];
        const off = v.getUint32(1, true);
        const len = v.getUint16(5, true);
        if (!t) return this.error(f.seq, f.type, ERR.BAD_INDEX, 'no such output');
        return this.send(MSG.GET_OUTPUT | MSG.REPLY, f.seq, new Uint8Array([...p.subarray(0, 5), ...t.data.subarray(off, off + len)]));
      }
      default:
        return this.error(f.seq, f.type, ERR.UNKNOWN_TYPE, `unknown request type ${f.type}`);
    }
  }

  private info(first: number): Uint8Array {
    const enc = new TextEncoder();
    const out: number[] = [];
    const u8 = (x: number) => out.push(x & 0xff);
    const u16 = (x: number) => out.push(x & 0xff, (x >>> 8) & 0xff);
    const u32 = (x: number) => out.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff);
    const str = (s: string) => {
      const b = enc.encode(s);
      u8(b.length);
      out.push(...b);
    };
    u8(1);
    u8(0);
    u16(1024);
    u32(25_000_000);
    u32(25_000_000);
    u32(16);
    u32(5);
    u32(19);
    u32(4096);
    u32(7);
    const all = [...this.inputs, ...this.outputs];
    u8(this.inputs.length);
    u8(this.outputs.length);
    u8(first);
    const countAt = out.length;
    u8(0);
    for (const s of [this.board, 'instructions', 'mock timer', 'mock_model', 'abcdef', '-O2']) str(s);
    let count = 0;
    for (let g = first; g < all.length; g++) {
      const t = all[g];
      const entry: number[] = [];
      const before = out.length;
      u8(DTYPE_CODES.indexOf(t.dtype));
      u8(t.shape.length);
      for (const d of t.shape) u32(d);
      u32(t.bytes);
      const f = new Uint8Array(new Float32Array([t.scale]).buffer);
      out.push(...f);
      u32(t.zeroPoint);
      str(t.name);
      if (out.length > 1024) {
        out.length = before;
        break;
      }
      void entry;
      count++;
    }
    out[countAt] = count;
    return new Uint8Array(out);
  }
}

export function tensor(name: string, bytes: number): MockTensor {
  return { name, dtype: 'int8', shape: [1, bytes], bytes, scale: 0.5, zeroPoint: -3, data: new Uint8Array(bytes) };
}
