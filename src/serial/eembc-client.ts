/**
 * Host side of the EEMBC / MLPerf Tiny DUT protocol (firmware/runtime/eembc_main.c): text
 * commands ending in '%', answered by lines starting "m-" (messages) or "e-" (errors) and closed
 * by "m-ready". Works over any Duplex: any link (link/: a serial port, the pty of a QEMU board).
 *
 * The client follows what the EEMBC EnergyRunner does in performance and accuracy mode:
 * `name%`, `profile%`, `db load N%` then `db HEX...%` lines, `infer N W%` (timestamps
 * `m-lap-us-T` around the N timed inferences, then `m-results-[...]`), `results%`. Its `db` lines
 * carry at most 32 bytes by default, so they fit the reference DUT's 80-character command buffer.
 */
import type { Duplex } from 'node:stream';
import { DeviceError, InputError } from '../errors.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount, tensorDataBytes } from '../ir/types.js';
import { releaseStream, type Link } from '../link/link.js';
import { awaitReply, ExchangeQueue } from './exchange.js';

export interface EembcClientOptions {
  /** How the link is named in messages. */
  portName?: string;
  /** Time to wait for a command's "m-ready", ms (default 5000). `infer` scales it (see there). */
  timeoutMs?: number;
  /** Called to release the stream on close() (default: its close() if any, else destroy()). */
  closeStream?: () => Promise<void> | void;
  /** Every line received (diagnostics). */
  log?: (line: string) => void;
}

export interface EembcInferResult {
  warmups: number;
  count: number;
  /** The two m-lap-us timestamps around the timed inferences, µs. */
  lapUs: [number, number];
  /** (lapUs[1] - lapUs[0]) / count. */
  perInferenceUs: number;
  /** The m-results values after the last inference. */
  results: number[];
  lines: string[];
}

interface Waiter {
  lines: string[];
  resolve(lines: string[]): void;
  reject(e: Error): void;
  /** Line that must be seen before the closing m-ready counts (handshake). */
  after?: RegExp;
  seenAfter: boolean;
}

/** The model names MLPerf Tiny's runner expects in `profile%` (m-model-[...]). */
export const MLPERF_TINY_MODELS: Record<string, string> = {
  kws_ref_model: 'kws01',
  vww_96_int8: 'vww01',
  pretrainedResnet_quant: 'ic01',
  ad01_int8: 'ad01',
};

/** The `m-model-[...]` name for a model: its MLPerf Tiny name when it is one of theirs, else undefined. */
export function eembcModelVersion(modelName: string): string | undefined {
  return MLPERF_TINY_MODELS[modelName];
}

export class EembcClient {
  readonly portName: string;
  private readonly timeoutMs: number;
  private text = '';
  private waiter: Waiter | undefined;
  private readonly queue = new ExchangeQueue();
  private closed = false;
  private closeReason = '';
  private released = false;
  /** Lines that arrived while no command was waiting (boot banner, stray output). */
  readonly unsolicited: string[] = [];

  constructor(
    private readonly stream: Duplex,
    private readonly options: EembcClientOptions = {},
  ) {
    this.portName = options.portName ?? 'the device stream';
    this.timeoutMs = options.timeoutMs ?? 5000;
    stream.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    stream.on('error', (err: Error) => this.fail(`serial port ${this.portName} failed: ${err.message}`));
    stream.on('close', () => this.fail(`serial port ${this.portName} was closed`));
  }

  /**
   * Synchronizes with the firmware: sends `name%` and waits for its m-name line and the m-ready
   * after it, discarding anything before (a boot banner, a half-received line).
   */
  async handshake(timeoutMs = this.timeoutMs): Promise<string> {
    const lines = await this.exchange('name', { timeoutMs, after: /^m-name-/ });
    return parseName(lines, this.portName);
  }

  /** Sends `cmd%` and returns the lines up to (not including) m-ready. Error lines throw DeviceError. */
  async command(cmd: string, options: { timeoutMs?: number; allowErrors?: boolean } = {}): Promise<string[]> {
    if (cmd.includes('%')) throw new InputError(`EEMBC command '${cmd}' contains the terminator '%'`);
    const lines = await this.exchange(cmd, { timeoutMs: options.timeoutMs ?? this.timeoutMs });
    const errors = lines.filter((l) => l.startsWith('e-'));
    if (errors.length > 0 && !options.allowErrors) {
      throw new DeviceError(`device on ${this.portName} rejected '${cmd.length > 40 ? `${cmd.slice(0, 40)}...` : cmd}': ${errors.join('; ')}`);
    }
    return lines;
  }

  /** `name%`: the m-name line's content, e.g. "dut-[tinyml]". */
  async name(): Promise<string> {
    return parseName(await this.command('name'), this.portName);
  }

  /** `profile%`: firmware version and model name. */
  async profile(): Promise<{ firmware: string; model: string }> {
    const lines = await this.command('profile');
    const firmware = lines.map((l) => /^m-profile-\[(.*)\]$/.exec(l)?.[1]).find((x) => x !== undefined);
    const model = lines.map((l) => /^m-model-\[(.*)\]$/.exec(l)?.[1]).find((x) => x !== undefined);
    if (firmware === undefined || model === undefined) throw new DeviceError(`unexpected answer to profile% from ${this.portName}: ${lines.join(' | ')}`);
    return { firmware, model };
  }

  /** `timestamp%`: µs since boot. */
  async timestamp(): Promise<number> {
    const lines = await this.command('timestamp');
    const t = lines.map(parseLap).find((x) => x !== undefined);
    if (t === undefined) throw new DeviceError(`no m-lap-us line in the answer to timestamp% from ${this.portName}`);
    return t;
  }

  /** `db load N%` then `db HEX%` lines of at most `chunkBytes` bytes; checks m-load-done. */
  async load(bytes: Uint8Array, options: { chunkBytes?: number } = {}): Promise<void> {
    const chunk = options.chunkBytes ?? 32;
    if (!Number.isInteger(chunk) || chunk < 1) throw new InputError(`chunkBytes must be a positive integer, got ${chunk}`);
    if (bytes.length === 0) throw new InputError('nothing to load');
    const head = await this.command(`db load ${bytes.length}`);
    if (!head.some((l) => l === `m-[Expecting ${bytes.length} bytes]`)) {
      throw new DeviceError(`unexpected answer to db load from ${this.portName}: ${head.join(' | ')}`);
    }
    for (let off = 0; off < bytes.length; off += chunk) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + chunk));
      const lines = await this.command(`db ${Buffer.from(part).toString('hex')}`);
      const last = off + chunk >= bytes.length;
      if (last !== lines.includes('m-load-done')) {
        throw new DeviceError(`device on ${this.portName} ${last ? 'did not confirm the load (no m-load-done)' : `reported m-load-done after ${off + part.length} of ${bytes.length} bytes`}`);
      }
    }
  }

  /** `db print%`: the loaded bytes as the device holds them. */
  async printBuffer(): Promise<Uint8Array> {
    const lines = await this.command('db print');
    const hex = lines.filter((l) => l.startsWith('m-buffer-')).map((l) => l.slice('m-buffer-'.length).replace(/-/g, ''));
    return new Uint8Array(Buffer.from(hex.join(''), 'hex'));
  }

  /**
   * `infer N W%`: W warm-ups, then N timed inferences; returns the timestamps and the results.
   * The timeout is `perInferenceTimeoutMs` (default 60000) per inference, plus the base timeout.
   */
  async infer(count = 1, warmups = 0, options: { perInferenceTimeoutMs?: number } = {}): Promise<EembcInferResult> {
    if (!Number.isInteger(count) || count < 1) throw new InputError(`inference count must be a positive integer, got ${count}`);
    if (!Number.isInteger(warmups) || warmups < 0) throw new InputError(`warm-up count must be a non-negative integer, got ${warmups}`);
    const timeoutMs = this.timeoutMs + (count + warmups) * (options.perInferenceTimeoutMs ?? 60_000);
    const lines = await this.command(`infer ${count} ${warmups}`, { timeoutMs });
    const expect = (re: RegExp, what: string): RegExpExecArray => {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return m;
      }
      throw new DeviceError(`no ${what} line in the answer to infer from ${this.portName}: ${lines.join(' | ')}`);
    };
    const w = Number(expect(/^m-warmup-start-(\d+)$/, 'm-warmup-start')[1]);
    const n = Number(expect(/^m-infer-start-(\d+)$/, 'm-infer-start')[1]);
    expect(/^m-infer-done$/, 'm-infer-done');
    const laps = lines.map(parseLap).filter((x): x is number => x !== undefined);
    if (laps.length !== 2) throw new DeviceError(`expected 2 m-lap-us lines in the answer to infer from ${this.portName}, got ${laps.length}`);
    if (w !== warmups || n !== count) throw new DeviceError(`device on ${this.portName} ran ${n} inferences after ${w} warm-ups; asked for ${count} after ${warmups}`);
    return {
      warmups: w,
      count: n,
      lapUs: [laps[0], laps[1]],
      perInferenceUs: (laps[1] - laps[0]) / n,
      results: parseResults(lines, this.portName),
      lines,
    };
  }

  /** `results%`: the outputs of the last inference. */
  async results(): Promise<number[]> {
    return parseResults(await this.command('results'), this.portName);
  }

  async close(): Promise<void> {
    this.fail(`serial port ${this.portName} was closed`);
    if (this.released) return;
    this.released = true;
    await releaseStream(this.stream, this.options.closeStream);
  }

  private exchange(cmd: string, opts: { timeoutMs: number; after?: RegExp }): Promise<string[]> {
    return this.queue.run(() => this.doExchange(cmd, opts));
  }

  private doExchange(cmd: string, opts: { timeoutMs: number; after?: RegExp }): Promise<string[]> {
    if (this.closed) return Promise.reject(new DeviceError(`cannot send '${cmd}%': ${this.closeReason}`));
    const reply = awaitReply<string[]>(
      opts.timeoutMs,
      (s) => {
        const got = this.waiter?.lines ?? [];
        s.reject(
          new DeviceError(
            `no m-ready from ${this.portName} within ${opts.timeoutMs} ms after '${cmd.length > 40 ? `${cmd.slice(0, 40)}...` : cmd}%'` +
              (got.length ? `; it said: ${got.slice(-5).join(' | ')}` : '; it said nothing'),
          ),
        );
      },
      () => (this.waiter = undefined),
    );
    this.waiter = { lines: [], seenAfter: opts.after === undefined, ...(opts.after ? { after: opts.after } : {}), ...reply.settle };
    this.stream.write(`${cmd}%`, (err) => {
      if (err) this.waiter?.reject(new DeviceError(`write to ${this.portName} failed: ${err.message}`, { cause: err }));
    });
    return reply.promise;
  }

  private onData(s: string): void {
    this.text += s;
    let nl: number;
    while ((nl = this.text.indexOf('\n')) >= 0) {
      const line = this.text.slice(0, nl).replace(/\r$/, '');
      this.text = this.text.slice(nl + 1);
      this.options.log?.(line);
      const w = this.waiter;
      if (!w) {
        if (line) this.unsolicited.push(line);
        continue;
      }
      if (!w.seenAfter) {
        if (w.after!.test(line)) {
          w.seenAfter = true;
          w.lines.push(line);
        }
        continue;
      }
      if (line === 'm-ready') w.resolve(w.lines);
      else if (line) w.lines.push(line);
    }
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.waiter?.reject(new DeviceError(reason));
  }
}

function parseName(lines: string[], port: string): string {
  const m = lines.map((l) => /^m-name-(.*)$/.exec(l)?.[1]).find((x) => x !== undefined);
  if (m === undefined) throw new DeviceError(`no m-name line in the answer to name% from ${port}: ${lines.join(' | ')}`);
  return m;
}

function parseLap(line: string): number | undefined {
  const m = /^m-lap-us-(\d+)$/.exec(line);
  return m ? Number(m[1]) : undefined;
}

function parseResults(lines: string[], port: string): number[] {
  const m = lines.map((l) => /^m-results-\[(.*)\]$/.exec(l)?.[1]).find((x) => x !== undefined);
  if (m === undefined) throw new DeviceError(`no m-results line from ${port}: ${lines.join(' | ')}`);
  if (m.trim() === '') return [];
  return m.split(',').map((v) => {
    const x = Number(v.trim());
    if (!Number.isFinite(x) && !/^-?inf$/.test(v.trim())) throw new DeviceError(`m-results from ${port} has a value that is not a number: '${v}'`);
    return Number.isFinite(x) ? x : v.trim().startsWith('-') ? -Infinity : Infinity;
  });
}

/**
 * The m-results values (every output element, outputs in order, dequantized) back to the outputs'
 * own data: quantized values are recovered exactly (the firmware prints enough decimals); float
 * outputs come back rounded to 6 decimals; unquantized integers as printed.
 */
export function resultsToOutputs(values: number[], outputs: Tensor[]): TensorData[] {
  const total = outputs.reduce((n, t) => n + elementCount(t.shape), 0);
  if (values.length !== total) throw new DeviceError(`m-results has ${values.length} values; the model's outputs have ${total} elements`);
  let off = 0;
  return outputs.map((t) => {
    const n = elementCount(t.shape);
    const out = allocTensorData(t.dtype, n);
    const scale = t.quant && t.quant.scale.length === 1 ? t.quant.scale[0] : 0;
    const zp = t.quant && t.quant.zeroPoint.length === 1 ? t.quant.zeroPoint[0] : 0;
    for (let i = 0; i < n; i++) {
      const v = values[off + i];
      if (t.dtype === 'float32') (out as Float32Array)[i] = v;
      else if (t.dtype === 'int64') (out as BigInt64Array)[i] = BigInt(Math.round(scale > 0 ? v / scale + zp : v));
      else (out as Int8Array)[i] = Math.round(scale > 0 ? v / scale + zp : v);
    }
    off += n;
    return out;
  });
}

/** The input tensors' bytes, concatenated in order: what `db load` takes. */
export function inputBytes(inputs: TensorData[]): Uint8Array {
  const parts = inputs.map((d) => tensorDataBytes(d));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** An EEMBC client over `link`, named after it. close() releases the stream only; the link's owner closes the link. */
export function connectEembc(link: Link, options: Omit<EembcClientOptions, 'portName'> = {}): EembcClient {
  return new EembcClient(link.stream, { ...options, portName: link.name });
}
