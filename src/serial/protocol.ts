/**
 * Messages of the tinyml serial protocol: the host's copy of firmware/runtime/tinyml_protocol.h
 * and the payload layouts of firmware/runtime/PROTOCOL.md. All multi-byte fields little-endian.
 */
import type { DType } from '../ir/types.js';

export const PROTOCOL_VERSION = 1;

export const MSG = {
  INFO: 0x01,
  SET_INPUT: 0x02,
  INVOKE: 0x03,
  GET_OUTPUT: 0x04,
  PROFILE: 0x05,
  /** Reply type = request type | REPLY. */
  REPLY: 0x80,
  ERROR: 0x7f,
} as const;

export const MSG_NAMES: Record<number, string> = {
  [MSG.INFO]: 'INFO',
  [MSG.SET_INPUT]: 'SET_INPUT',
  [MSG.INVOKE]: 'INVOKE',
  [MSG.GET_OUTPUT]: 'GET_OUTPUT',
  [MSG.PROFILE]: 'PROFILE',
};

export const ERR = {
  BAD_CRC: 1,
  BAD_LENGTH: 2,
  UNKNOWN_TYPE: 3,
  BAD_INDEX: 4,
  BAD_RANGE: 5,
  BAD_ARG: 6,
  INVOKE_FAILED: 7,
  NOT_SUPPORTED: 8,
  TIMEOUT: 9,
  FAULT: 10,
} as const;

export const ERR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(ERR).map(([k, v]) => [v, k]));

export const INFO_FLAG_PROFILE = 0x01;
/** Most timer readings one INVOKE returns. */
export const MAX_INVOKE_COUNT = 255;

/** tinyml_dtype_t numbering (firmware/runtime/tinyml_model.h). */
export const DTYPE_CODES: readonly DType[] = ['int8', 'uint8', 'int16', 'int32', 'float32', 'int64', 'bool'];

export interface DeviceTensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Size in bytes. */
  bytes: number;
  /** Quantization scale, 0 when not quantized. */
  scale: number;
  zeroPoint: number;
}

export interface DeviceTimerInfo {
  /** What the timer is, e.g. "CMSDK TIMER0, free-running 32-bit at 25 MHz". */
  name: string;
  /** Raw tick rate, Hz. */
  hz: number;
  /** What latencies are counted in: 'instructions' (QEMU) or 'cycles' (hardware). */
  latencyUnit: string;
  /** Raw ticks per latency unit as an exact fraction, and its value. */
  ticksPerUnitNum: number;
  ticksPerUnitDen: number;
  ticksPerUnit: number;
  /** Ticks two back-to-back timer reads measure: the floor of any interval. */
  overheadTicks: number;
}

export interface DeviceInfo {
  protocolVersion: number;
  /** Firmware built with TINYML_PROFILE (PROFILE works). */
  profiling: boolean;
  maxPayload: number;
  board: string;
  /** Core clock, Hz (for QEMU boards: the emulated board's). */
  clockHz: number;
  /** Compiler flags the firmware was built with, e.g. "-O2 -mcpu=cortex-m4 ...". */
  buildFlags: string;
  timer: DeviceTimerInfo;
  model: { name: string; hash: string; arenaBytes: number; numLayers: number };
  inputs: DeviceTensorInfo[];
  outputs: DeviceTensorInfo[];
}

export interface ProfileResult {
  /** Raw ticks of the whole invoke (includes the hook calls). */
  totalTicks: number;
  /** Raw ticks per layer, in execution order. */
  layerTicks: number[];
}

/** One page of an INFO reply: the fixed part plus `tensors` starting at global index `firstTensor`. */
export interface InfoPage {
  info: Omit<DeviceInfo, 'inputs' | 'outputs'>;
  numInputs: number;
  numOutputs: number;
  firstTensor: number;
  tensors: DeviceTensorInfo[];
}

/** Thrown by the parsers on a malformed payload (the client turns it into a DeviceError). */
export class PayloadError extends Error {}

class Reader {
  private off = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.off + n > this.bytes.length) throw new PayloadError(`payload too short (${this.bytes.length} bytes)`);
  }
  /** The next `n` bytes as `read` decodes them (little-endian), after checking that they are there. */
  private field(n: number, read: (at: number) => number): number {
    this.need(n);
    const v = read(this.off);
    this.off += n;
    return v;
  }
  u8(): number {
    return this.field(1, (at) => this.bytes[at]);
  }
  u16(): number {
    return this.field(2, (at) => this.view.getUint16(at, true));
  }
  u32(): number {
    return this.field(4, (at) => this.view.getUint32(at, true));
  }
  i32(): number {
    return this.field(4, (at) => this.view.getInt32(at, true));
  }
  f32(): number {
    return this.field(4, (at) => this.view.getFloat32(at, true));
  }
  str(): string {
    const n = this.u8();
    this.need(n);
    const s = new TextDecoder().decode(this.bytes.subarray(this.off, this.off + n));
    this.off += n;
    return s;
  }
  rest(): Uint8Array {
    const r = this.bytes.slice(this.off);
    this.off = this.bytes.length;
    return r;
  }
  get remaining(): number {
    return this.bytes.length - this.off;
  }
}

function bytesLE(...fields: Array<[number, 1 | 2 | 4]>): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, [, w]) => n + w, 0));
  const v = new DataView(out.buffer);
  let off = 0;
  for (const [x, w] of fields) {
    if (w === 1) v.setUint8(off, x);
    else if (w === 2) v.setUint16(off, x, true);
    else v.setUint32(off, x, true);
    off += w;
  }
  return out;
}

export function encodeInfoRequest(firstTensor: number): Uint8Array {
  return firstTensor === 0 ? new Uint8Array(0) : bytesLE([firstTensor, 1]);
}

export function encodeSetInput(index: number, offset: number, data: Uint8Array): Uint8Array {
  const head = bytesLE([index, 1], [offset, 4]);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

export function encodeInvoke(count: number): Uint8Array {
  return bytesLE([count, 2]);
}

export function encodeGetOutput(index: number, offset: number, length: number): Uint8Array {
  return bytesLE([index, 1], [offset, 4], [length, 2]);
}

export function encodeProfile(firstLayer: number): Uint8Array {
  return firstLayer === 0 ? new Uint8Array(0) : bytesLE([firstLayer, 2]);
}

export function parseInfoPage(payload: Uint8Array): InfoPage {
  const r = new Reader(payload);
  const protocolVersion = r.u8();
  if (protocolVersion !== PROTOCOL_VERSION) {
    throw new PayloadError(`firmware speaks protocol version ${protocolVersion}, this host speaks ${PROTOCOL_VERSION}; rebuild the firmware with this tinyml`);
  }
  const flags = r.u8();
  const maxPayload = r.u16();
  const clockHz = r.u32();
  const timerHz = r.u32();
  const num = r.u32();
  const den = r.u32();
  const overheadTicks = r.u32();
  const arenaBytes = r.u32();
  const numLayers = r.u32();
  const numInputs = r.u8();
  const numOutputs = r.u8();
  const firstTensor = r.u8();
  const count = r.u8();
  const board = r.str();
  const latencyUnit = r.str();
  const timerName = r.str();
  const modelName = r.str();
  const hash = r.str();
  const buildFlags = r.str();
  if (den === 0) throw new PayloadError('ticks-per-unit denominator is 0');
  const tensors: DeviceTensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const code = r.u8();
    const dtype = DTYPE_CODES[code];
    if (dtype === undefined) throw new PayloadError(`unknown dtype code ${code}`);
    const rank = r.u8();
    const shape: number[] = [];
    for (let d = 0; d < rank; d++) shape.push(r.i32());
    const bytes = r.u32();
    const scale = r.f32();
    const zeroPoint = r.i32();
    const name = r.str();
    tensors.push({ name, dtype, shape, bytes, scale, zeroPoint });
  }
  return {
    info: {
      protocolVersion,
      profiling: (flags & INFO_FLAG_PROFILE) !== 0,
      maxPayload,
      board,
      clockHz,
      buildFlags,
      timer: { name: timerName, hz: timerHz, latencyUnit, ticksPerUnitNum: num, ticksPerUnitDen: den, ticksPerUnit: num / den, overheadTicks },
      model: { name: modelName, hash, arenaBytes, numLayers },
    },
    numInputs,
    numOutputs,
    firstTensor,
    tensors,
  };
}

export function parseSetInputAck(payload: Uint8Array): { index: number; offset: number; count: number } {
  const r = new Reader(payload);
  return { index: r.u8(), offset: r.u32(), count: r.u16() };
}

export function parseInvokeReply(payload: Uint8Array): number[] {
  const r = new Reader(payload);
  const n = r.u16();
  const ticks: number[] = [];
  for (let i = 0; i < n; i++) ticks.push(r.u32());
  if (r.remaining !== 0) throw new PayloadError(`INVOKE reply has ${r.remaining} trailing bytes`);
  return ticks;
}

export function parseGetOutputReply(payload: Uint8Array): { index: number; offset: number; data: Uint8Array } {
  const r = new Reader(payload);
  return { index: r.u8(), offset: r.u32(), data: r.rest() };
}

export function parseProfilePage(payload: Uint8Array): { totalTicks: number; numLayers: number; first: number; ticks: number[] } {
  const r = new Reader(payload);
  const totalTicks = r.u32();
  const numLayers = r.u32();
  const first = r.u16();
  const count = r.u16();
  const ticks: number[] = [];
  for (let i = 0; i < count; i++) ticks.push(r.u32());
  return { totalTicks, numLayers, first, ticks };
}

export function parseError(payload: Uint8Array): { code: number; requestType: number; message: string } {
  const r = new Reader(payload);
  const code = r.u8();
  const requestType = r.u8();
  return { code, requestType, message: new TextDecoder().decode(r.rest()) };
}
