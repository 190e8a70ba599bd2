/**
 * DeviceClient: the host side of the tinyml serial protocol over any Node Duplex stream, so the
 * same code drives any link (link/: a USB serial port, the pseudo-terminal of a QEMU board) and
 * an in-memory mock.
 *
 * Requests go one at a time. Each attempt gets a fresh sequence number and a timeout; a reply
 * counts only if it carries that sequence number and a valid CRC, so a late reply to an earlier
 * attempt, a corrupted frame or line noise can never be mistaken for the answer. Transport
 * failures (timeout, the device reporting a bad CRC or a stalled frame) are retried a bounded
 * number of times; every other device error is reported at once as a DeviceError.
 */
import type { Duplex } from 'node:stream';
import { DeviceError, InputError } from '../errors.js';
import { releaseStream, type Link } from '../link/link.js';
import { awaitReply, ExchangeQueue } from './exchange.js';
import { openSerialLink } from '../link/serial-port.js';
import { encodeFrame, type Frame, FrameDecoder, MAX_PAYLOAD } from './frame.js';
import {
  type DeviceInfo,
  type DeviceTensorInfo,
  encodeGetOutput,
  encodeInfoRequest,
  encodeInvoke,
  encodeProfile,
  encodeSetInput,
  ERR,
  ERR_NAMES,
  MAX_INVOKE_COUNT,
  MSG,
  MSG_NAMES,
  parseError,
  parseGetOutputReply,
  parseInfoPage,
  parseInvokeReply,
  parseProfilePage,
  parseSetInputAck,
  PayloadError,
  type ProfileResult,
} from './protocol.js';

export interface DeviceClientOptions {
  /** How the port is named in messages, e.g. '/dev/ttyACM0' or '/dev/pts/3'. */
  portName?: string;
  /** Per-attempt reply timeout, ms (default 2000). */
  timeoutMs?: number;
  /** Attempts after the first one when a reply times out or arrives corrupted (default 2). */
  retries?: number;
  /**
   * Per-attempt timeout for requests that run the model (INVOKE, the first PROFILE page), ms
   * (default: the larger of timeoutMs and 60000). Inference can take seconds on a big model
   * under QEMU; retrying a slow INVOKE early would only queue a second one behind it.
   */
  invokeTimeoutMs?: number;
  /** Called to release the stream on close() (default: the stream's close() if any, else destroy()). */
  closeStream?: () => Promise<void> | void;
  /** Diagnostic log (frames ignored, retries). */
  log?: (line: string) => void;
  /**
   * When the stream fails or closes on its own, called with the plain reason; what it returns
   * (e.g. "QEMU exited with code 1; it said: ...") becomes the error of pending and later
   * requests. Lets a runner explain why the link went away.
   */
  explainStreamEnd?: (reason: string) => Promise<string> | string;
}

export interface RequestOptions {
  timeoutMs?: number;
  retries?: number;
}

/** A device error reply, kept on DeviceError.cause for callers that want the code. */
export class DeviceErrorReply extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    readonly requestType: number,
    readonly deviceMessage: string,
  ) {
    super(`${codeName}: ${deviceMessage}`);
  }
}

interface Pending {
  type: number;
  seq: number;
  resolve(frame: Frame): void;
  reject(err: Error): void;
}

const hex = (b: Uint8Array, max = 24): string =>
  [...b.subarray(0, max)].map((x) => x.toString(16).padStart(2, '0')).join(' ') + (b.length > max ? ` ... (${b.length} bytes)` : '');

export class DeviceClient {
  readonly portName: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly invokeTimeoutMs: number;
  private readonly decoder: FrameDecoder;
  private seq = 0;
  private pending: Pending | undefined;
  private readonly queue = new ExchangeQueue();
  private closed = false;
  private released = false;
  private readonly frameListeners = new Set<(frame: Frame) => void>();
  private closeReason: string | undefined;
  private cachedInfo: DeviceInfo | undefined;
  /** Frames that arrived but answered nothing pending (stale replies, unsolicited errors). */
  readonly stats = { ignoredFrames: 0, retries: 0 };

  constructor(
    private readonly stream: Duplex,
    private readonly options: DeviceClientOptions = {},
  ) {
    this.portName = options.portName ?? 'the device stream';
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.retries = options.retries ?? 2;
    this.invokeTimeoutMs = options.invokeTimeoutMs ?? Math.max(this.timeoutMs, 60_000);
    this.decoder = new FrameDecoder();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err: Error) => this.streamEnded(`serial port ${this.portName} failed: ${err.message}`));
    stream.on('close', () => this.streamEnded(`serial port ${this.portName} was closed`));
  }

  /** Model, tensors, board, timer and build description (cached after the first call). */
  async info(options: RequestOptions & { refresh?: boolean } = {}): Promise<DeviceInfo> {
    if (this.cachedInfo && !options.refresh) return this.cachedInfo;
    const tensors: DeviceTensorInfo[] = [];
    let first = 0;
    let result: DeviceInfo | undefined;
    for (;;) {
      const reply = await this.request(MSG.INFO, encodeInfoRequest(first), options);
      const page = this.parse('INFO', () => parseInfoPage(reply.payload));
      const total = page.numInputs + page.numOutputs;
      if (page.firstTensor !== first || (page.tensors.length === 0 && first < total)) {
        throw new DeviceError(`INFO reply from ${this.portName} is inconsistent (asked for tensors from ${first}, got ${page.tensors.length} from ${page.firstTensor})`);
      }
      tensors.push(...page.tensors);
      first += page.tensors.length;
      if (first >= total) {
        result = { ...page.info, inputs: tensors.slice(0, page.numInputs), outputs: tensors.slice(page.numInputs, total) };
        break;
      }
    }
    this.cachedInfo = result;
    return result;
  }

  /** Writes input tensor `index` (its full byte size), in chunks. */
  async setInput(index: number, bytes: Uint8Array, options: RequestOptions = {}): Promise<void> {
    const info = await this.info();
    const t = info.inputs[index];
    if (t === undefined) throw new InputError(`input ${index} does not exist (the model on ${this.portName} has ${info.inputs.length} inputs)`);
    if (bytes.length !== t.bytes) {
      throw new InputError(`input ${index} '${t.name}' (${t.dtype} [${t.shape.join(',')}]) takes ${t.bytes} bytes, got ${bytes.length}`);
    }
    const chunk = Math.min(info.maxPayload, MAX_PAYLOAD) - 5;
    for (let off = 0; off < bytes.length || off === 0; off += chunk) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + chunk));
      const reply = await this.request(MSG.SET_INPUT, encodeSetInput(index, off, part), options);
      const ack = this.parse('SET_INPUT', () => parseSetInputAck(reply.payload));
      if (ack.index !== index || ack.offset !== off || ack.count !== part.length) {
        throw new DeviceError(`SET_INPUT acknowledgement from ${this.portName} does not match the request (input ${index}, offset ${off}, ${part.length} bytes)`);
      }
      if (bytes.length === 0) break;
    }
  }

  /** Runs `count` inferences; returns one raw timer reading (ticks) per inference. */
  async invoke(count = 1, options: RequestOptions = {}): Promise<number[]> {
    if (!Number.isInteger(count) || count < 1) throw new InputError(`invoke count must be a positive integer, got ${count}`);
    const ticks: number[] = [];
    while (ticks.length < count) {
      const n = Math.min(MAX_INVOKE_COUNT, count - ticks.length);
      const reply = await this.request(MSG.INVOKE, encodeInvoke(n), { timeoutMs: this.invokeTimeoutMs, ...options });
      const got = this.parse('INVOKE', () => parseInvokeReply(reply.payload));
      if (got.length !== n) throw new DeviceError(`INVOKE on ${this.portName} returned ${got.length} timings for ${n} runs`);
      ticks.push(...got);
    }
    return ticks;
  }

  /** Reads output tensor `index` in full, in chunks. */
  async getOutput(index: number, options: RequestOptions = {}): Promise<Uint8Array> {
    const info = await this.info();
    const t = info.outputs[index];
    if (t === undefined) throw new InputError(`output ${index} does not exist (the model on ${this.portName} has ${info.outputs.length} outputs)`);
    const out = new Uint8Array(t.bytes);
    const chunk = Math.min(info.maxPayload, MAX_PAYLOAD) - 5;
    for (let off = 0; off < t.bytes; off += chunk) {
      const n = Math.min(chunk, t.bytes - off);
      const reply = await this.request(MSG.GET_OUTPUT, encodeGetOutput(index, off, n), options);
      const r = this.parse('GET_OUTPUT', () => parseGetOutputReply(reply.payload));
      if (r.index !== index || r.offset !== off || r.data.length !== n) {
        throw new DeviceError(`GET_OUTPUT reply from ${this.portName} does not match the request (output ${index}, offset ${off}, ${n} bytes)`);
      }
      out.set(r.data, off);
    }
    return out;
  }

  /** One inference with per-layer timing (firmware built with PROFILE=1 / -DTINYML_PROFILE). */
  async profile(options: RequestOptions = {}): Promise<ProfileResult> {
    const layerTicks: number[] = [];
    let totalTicks = 0;
    let numLayers = 0;
    do {
      const first = layerTicks.length === 0;
      const reply = await this.request(MSG.PROFILE, encodeProfile(layerTicks.length), first ? { timeoutMs: this.invokeTimeoutMs, ...options } : options);
      const page = this.parse('PROFILE', () => parseProfilePage(reply.payload));
      if (page.first !== layerTicks.length || (page.ticks.length === 0 && page.numLayers > layerTicks.length)) {
        throw new DeviceError(`PROFILE reply from ${this.portName} is inconsistent`);
      }
      totalTicks = page.totalTicks;
      numLayers = page.numLayers;
      layerTicks.push(...page.ticks);
    } while (layerTicks.length < numLayers);
    return { totalTicks, layerTicks };
  }

  /**
   * Sends one request and waits for its reply (or error reply). Low level: the typed methods
   * above are built on it. Rejects with DeviceError on timeout (after retries), on an error
   * reply, or when the stream closes.
   */
  request(type: number, payload: Uint8Array, options: RequestOptions = {}): Promise<Frame> {
    return this.queue.run(() => this.doRequest(type, payload, options));
  }

  /** Writes raw bytes to the stream (diagnostics and tests: noise, hand-made frames). */
  async sendRaw(bytes: Uint8Array): Promise<void> {
    await this.write(bytes);
  }

  /** Releases the stream. Pending requests fail with DeviceError. */
  async close(): Promise<void> {
    this.fail(`serial port ${this.portName} was closed`);
    if (this.released) return;
    this.released = true;
    await releaseStream(this.stream, this.options.closeStream);
  }

  /** Fails the pending request and every later one with DeviceError(reason), e.g. when the
   * process behind the stream died. Does not release the stream (close() does). */
  abort(reason: string): void {
    this.fail(reason);
  }

  /** True once the client was closed or aborted. */
  get isClosed(): boolean {
    return this.closed;
  }

  private async doRequest(type: number, payload: Uint8Array, options: RequestOptions): Promise<Frame> {
    const name = MSG_NAMES[type] ?? `request 0x${type.toString(16)}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const attempts = 1 + (options.retries ?? this.retries);
    let lastFrame: Uint8Array = new Uint8Array(0);
    let lastProblem = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.closed) throw new DeviceError(`cannot send ${name}: ${this.closeReason}`);
      // 1..255: the device sends its unsolicited reports (FAULT, a stalled header) with seq 0.
      const seq = (this.seq = (this.seq % 255) + 1);
      lastFrame = encodeFrame(type, seq, payload);
      if (attempt > 1) {
        // Drop any partial frame the decoder holds: a header whose length field was corrupted
        // upwards would otherwise make it wait for bytes that never come and swallow every
        // later reply.
        this.decoder.reset();
        this.stats.retries++;
        this.options.log?.(`retrying ${name} on ${this.portName} (attempt ${attempt} of ${attempts}): ${lastProblem}`);
      }
      // No reply in time settles with undefined: the attempt is retried.
      const reply = awaitReply<Frame | undefined>(timeoutMs, (s) => s.resolve(undefined), () => (this.pending = undefined));
      this.pending = { type, seq, ...reply.settle };
      const replyPromise = reply.promise;
      // The reply can be rejected before it is awaited (the link's target dies while the write
      // below is in progress); it is awaited just after, so that rejection is not unhandled.
      replyPromise.catch(() => undefined);
      try {
        await this.write(lastFrame);
      } catch (err) {
        this.pending?.reject(err as Error);
      }
      const frame = await replyPromise;
      if (frame === undefined) {
        lastProblem = `no reply within ${timeoutMs} ms`;
        continue;
      }
      if (frame.type === MSG.ERROR) {
        const e = this.parse(name, () => parseError(frame.payload));
        const codeName = ERR_NAMES[e.code] ?? `error ${e.code}`;
        // A frame header whose length field exceeds the maximum (firmware/runtime/main.c says
        // "payload length N exceeds maximum", before checking the CRC) was corrupted on the way:
        // encodeFrame never sends more than MAX_PAYLOAD. A request of the wrong length for its type
        // ("SET_INPUT payload is ...") is a real error and is not retried.
        const damagedLength = e.code === ERR.BAD_LENGTH && e.message.startsWith('payload length ');
        if (e.code === ERR.BAD_CRC || e.code === ERR.TIMEOUT || damagedLength) {
          // The request was damaged or cut short in transit: sending it again is the fix.
          lastProblem = `device reported ${codeName}: ${e.message}`;
          continue;
        }
        throw new DeviceError(`device on ${this.portName} rejected ${name}: ${e.message} (${codeName})`, {
          cause: new DeviceErrorReply(e.code, codeName, e.requestType, e.message),
        });
      }
      return frame;
    }
    const totalMs = timeoutMs * attempts;
    throw new DeviceError(
      `no valid reply to ${name} from ${this.portName} after ${attempts} attempt${attempts > 1 ? 's' : ''} ` +
        `(${timeoutMs} ms each, ${(totalMs / 1000).toFixed(1)} s in all; last: ${lastProblem}); ` +
        `last request sent: ${hex(lastFrame)}` +
        (this.decoder.stats.badCrc > 0 ? `; ${this.decoder.stats.badCrc} frame(s) with a bad CRC were discarded` : '') +
        (this.decoder.stats.garbageBytes > 0 ? `; ${this.decoder.stats.garbageBytes} byte(s) of noise were discarded` : ''),
    );
  }

  private parse<T>(name: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof PayloadError) throw new DeviceError(`malformed ${name} reply from ${this.portName}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.stream.destroyed) {
        reject(new DeviceError(`cannot write to ${this.portName}: ${this.closeReason ?? 'stream is closed'}`));
        return;
      }
      this.stream.write(Buffer.from(bytes), (err) => {
        if (!err) return resolve();
        // A write that fails because the far end died (EIO on a pty whose QEMU is gone) is
        // explained the same way as the stream ending, so the user learns why.
        const reason = `write to ${this.portName} failed: ${err.message}`;
        const explain = this.options.explainStreamEnd;
        if (!explain) return reject(new DeviceError(reason, { cause: err }));
        void Promise.resolve()
          .then(() => explain(reason))
          .catch(() => reason)
          .then((why) => reject(new DeviceError(why, { cause: err })));
      });
    });
  }

  /**
   * Calls `listener` with every valid frame received, awaited or not (diagnostics, and tests that
   * provoke error replies with hand-made frames). Returns a function that removes the listener.
   */
  onFrame(listener: (frame: Frame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
      for (const l of this.frameListeners) l(frame);
      const p = this.pending;
      if (p && frame.seq === p.seq && (frame.type === (p.type | MSG.REPLY) || frame.type === MSG.ERROR)) {
        p.resolve(frame);
      } else {
        this.stats.ignoredFrames++;
        this.options.log?.(`ignoring frame type 0x${frame.type.toString(16)} seq ${frame.seq} from ${this.portName} (not the awaited reply)`);
      }
    }
  }

  private streamEnded(reason: string): void {
    const explain = this.options.explainStreamEnd;
    if (this.closed || !explain) {
      this.fail(reason);
      return;
    }
    // Refuse new requests now; fail the pending one once we know why.
    this.closed = true;
    this.closeReason = reason;
    void Promise.resolve()
      .then(() => explain(reason))
      .catch(() => reason)
      .then((why) => {
        this.closeReason = why;
        this.pending?.reject(new DeviceError(why));
      });
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.pending?.reject(new DeviceError(reason));
  }
}

/**
 * A client over `link`: named after it, and when the target behind the link goes away (QEMU
 * exited), pending and later requests fail with the link's explanation. close() releases the
 * stream only; the link's owner closes the link.
 */
export function connectDevice(link: Link, options: Omit<DeviceClientOptions, 'portName' | 'explainStreamEnd'> = {}): DeviceClient {
  const explain = link.explainEnd?.bind(link);
  const client = new DeviceClient(link.stream, { ...options, portName: link.name, ...(explain ? { explainStreamEnd: explain } : {}) });
  link.onLost?.((why) => client.abort(why));
  return client;
}

/** Opens a real serial port (e.g. '/dev/ttyACM0') and returns a client for it. */
export async function openSerialDevice(path: string, baudRate = 115200, options: Omit<DeviceClientOptions, 'portName'> = {}): Promise<DeviceClient> {
  return connectDevice(await openSerialLink(path, baudRate), options);
}
