/**
 * Framing of the tinyml serial protocol (firmware/runtime/PROTOCOL.md):
 *
 *   0xA5 0x5A | type u8 | seq u8 | length u16 LE | payload[length] | CRC-32 u32 LE
 *
 * The CRC (IEEE 802.3, as zlib) covers type, seq, length and payload. A receiver scans for the
 * two sync bytes, so it resynchronizes after garbage; a candidate frame whose length is out of
 * range or whose CRC does not match is rejected and scanning resumes one byte after its first
 * sync byte, so a real frame hidden inside rejected bytes is still found.
 */

export const SYNC0 = 0xa5;
export const SYNC1 = 0x5a;
export const HEADER_BYTES = 6;
export const CRC_BYTES = 4;
/** Largest payload either side sends (firmware/runtime/tinyml_protocol.h TINYML_MAX_PAYLOAD). */
export const MAX_PAYLOAD = 1024;

export interface Frame {
  type: number;
  seq: number;
  payload: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3 / zlib): reflected 0xEDB88320, init and final XOR 0xFFFFFFFF. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Encodes one frame. */
export function encodeFrame(type: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`frame type ${type} is not a byte`);
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xff) throw new RangeError(`frame seq ${seq} is not a byte`);
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length + CRC_BYTES);
  out[0] = SYNC0;
  out[1] = SYNC1;
  out[2] = type;
  out[3] = seq;
  out[4] = payload.length & 0xff;
  out[5] = payload.length >>> 8;
  out.set(payload, HEADER_BYTES);
  const crc = crc32(out, 2, HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(HEADER_BYTES + payload.length, crc, true);
  return out;
}

/** Why bytes were skipped while looking for frames (for diagnostics; never fatal). */
export type RejectReason = 'garbage' | 'bad-length' | 'bad-crc';

export interface DecoderEvents {
  /** Bytes were discarded (noise before a sync, or a rejected candidate's first byte). */
  onReject?(reason: RejectReason, bytes: number): void;
}

/**
 * Streaming decoder: push() any chunking of the byte stream, get back the complete frames with
 * a valid CRC. Holds at most one maximal frame of unconsumed bytes.
 */
export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  /** Counters of rejected input, for error messages ("... 3 frames with a bad CRC"). */
  readonly stats = { garbageBytes: 0, badCrc: 0, badLength: 0, frames: 0 };

  constructor(
    private readonly events: DecoderEvents = {},
    private readonly maxPayload = MAX_PAYLOAD,
  ) {}

  push(chunk: Uint8Array): Frame[] {
    if (chunk.length === 0) return [];
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    const frames: Frame[] = [];
    let i = 0;
    for (;;) {
      // Find the next sync pair.
      let s = i;
      while (s < merged.length && !(merged[s] === SYNC0 && (s + 1 >= merged.length || merged[s + 1] === SYNC1))) s++;
      if (s > i) this.reject('garbage', s - i);
      i = s;
      if (merged.length - i < HEADER_BYTES) break; // need more bytes (possibly a lone SYNC0 at the end)
      const len = merged[i + 4] | (merged[i + 5] << 8);
      if (len > this.maxPayload) {
        this.stats.badLength++;
        this.reject('bad-length', 1);
        i += 1;
        continue;
      }
      const total = HEADER_BYTES + len + CRC_BYTES;
      if (merged.length - i < total) break;
      const want = new DataView(merged.buffer, merged.byteOffset + i + HEADER_BYTES + len, 4).getUint32(0, true);
      if (crc32(merged, i + 2, i + HEADER_BYTES + len) !== want) {
        this.stats.badCrc++;
        this.reject('bad-crc', 1);
        i += 1;
        continue;
      }
      frames.push({ type: merged[i + 2], seq: merged[i + 3], payload: merged.slice(i + HEADER_BYTES, i + HEADER_BYTES + len) });
      this.stats.frames++;
      i += total;
    }
    this.buf = merged.slice(i);
    return frames;
  }

  /** Drops any partial frame (e.g. before a retry). */
  reset(): void {
    this.buf = new Uint8Array(0);
  }

  /** Bytes held waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  private reject(reason: RejectReason, bytes: number): void {
    if (reason === 'garbage') this.stats.garbageBytes += bytes;
    this.events.onReject?.(reason, bytes);
  }
}

/** Decodes every frame in a complete buffer (convenience for tests and tools). */
export function decodeFrames(bytes: Uint8Array): Frame[] {
  return new FrameDecoder().push(bytes);
}
