/**
 * Host side of the EEMBC / MLPerf Tiny DUT protocol (firmware/runtime/eembc_main.c): text
 * commands ending in '%', answered by lines starting "m-" (messages) or "e-" (errors) and closed
 * by "m-ready". Works over any Duplex: a serial port, or the pty of a QEMU board.
 *
 * The client follows what the EEMBC EnergyRunner does in performance and accuracy mode:
 * `name%`, `profile%`, `db load N%` then `db HEX...%` lines, `infer N W%` (timestamps
 * `m-lap-us-T` around the N timed inferences, then `m-results-[...]`), `results%`. Its `db` lines
 * carry at most 32 bytes by default, so they fit the reference DUT's 80-character command buffer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Board } from '../build/board.js';
import { loadBoard } from '../build/board.js';
import { findQemu } from '../build/toolchain.js';
import type { SessionOptions } from '../deploy/target-session.js';
import { randomInputs } from '../deploy/verify.js';
import { checkLinkPort, flashFirmware } from '../flash/index.js';
import { DeviceError, InputError, ToolFailedError } from '../errors.js';
import type { PreparedGraph } from '../interp/interpreter.js';
import { runGraph } from '../interp/interpreter.js';
import type { Tensor, TensorData } from '../ir/types.js';
import { allocTensorData, elementCount, tensorDataBytes } from '../ir/types.js';
import { qemuArgs } from '../runners/qemu.js';

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
  private queue: Promise<unknown> = Promise.resolve();
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
    if (this.options.closeStream) {
      await this.options.closeStream();
      return;
    }
    const s = this.stream as Duplex & { close?: (cb?: (err?: Error | null) => void) => void; isOpen?: boolean };
    if (typeof s.close === 'function' && s.isOpen !== false) await new Promise<void>((r) => s.close!(() => r()));
    else s.destroy();
  }

  private exchange(cmd: string, opts: { timeoutMs: number; after?: RegExp }): Promise<string[]> {
    const run = this.queue.then(() => this.doExchange(cmd, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private doExchange(cmd: string, opts: { timeoutMs: number; after?: RegExp }): Promise<string[]> {
    if (this.closed) return Promise.reject(new DeviceError(`cannot send '${cmd}%': ${this.closeReason}`));
    return new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        const got = this.waiter?.lines ?? [];
        this.waiter = undefined;
        reject(
          new DeviceError(
            `no m-ready from ${this.portName} within ${opts.timeoutMs} ms after '${cmd.length > 40 ? `${cmd.slice(0, 40)}...` : cmd}%'` +
              (got.length ? `; it said: ${got.slice(-5).join(' | ')}` : '; it said nothing'),
          ),
        );
      }, opts.timeoutMs);
      this.waiter = {
        lines: [],
        seenAfter: opts.after === undefined,
        ...(opts.after ? { after: opts.after } : {}),
        resolve: (lines) => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(lines);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(e);
        },
      };
      this.stream.write(`${cmd}%`, (err) => {
        if (err) this.waiter?.reject(new DeviceError(`write to ${this.portName} failed: ${err.message}`, { cause: err }));
      });
    });
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

export interface EembcCheckResult {
  cases: number;
  matched: number;
  mismatches: { case: number; output: number; index: number; expected: number; got: number }[];
}

/**
 * Accuracy mode against the reference interpreter: for each input set, `db load` it, `infer 1 0`,
 * and compare the m-results (recovered to quantized values) with the interpreter's outputs.
 */
export async function eembcCheckAgainstReference(client: EembcClient, prepared: PreparedGraph, inputSets: TensorData[][]): Promise<EembcCheckResult> {
  const { graph } = prepared;
  const outputs = graph.outputs.map((i) => graph.tensors[i]);
  const result: EembcCheckResult = { cases: inputSets.length, matched: 0, mismatches: [] };
  for (let c = 0; c < inputSets.length; c++) {
    const want = runGraph(prepared, inputSets[c]);
    await client.load(inputBytes(inputSets[c]));
    const got = resultsToOutputs((await client.infer(1, 0)).results, outputs);
    let ok = true;
    want.forEach((w, k) => {
      const tol = outputs[k].dtype === 'float32' ? 1e-6 : 0;
      for (let i = 0; i < w.length; i++) {
        const a = Number(w[i]);
        const b = Number(got[k][i]);
        if (Math.abs(a - b) > tol * Math.max(1, Math.abs(a))) {
          ok = false;
          if (result.mismatches.length < 5) result.mismatches.push({ case: c, output: k, index: i, expected: a, got: b });
          break;
        }
      }
    });
    if (ok) result.matched++;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Running EEMBC firmware under QEMU.

export interface EembcQemuSession {
  client: EembcClient;
  board: Board;
  ptyPath: string;
  /** The m-name content from the handshake, e.g. "dut-[tinyml]". */
  name: string;
  output(): string;
  close(): Promise<void>;
}

// As in src/runners/qemu.ts: QEMU in the background under a shell that kills it when our end of
// its stdin pipe closes, so no QEMU outlives this process however it ends.
const WRAPPER = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'q=$!',
  '( while read -r _; do :; done; kill -9 "$q" 2>/dev/null ) <&3 &',
  'w=$!',
  'exec 3<&-',
  'wait "$q"; rc=$?',
  'kill "$w" 2>/dev/null',
  'exit "$rc"',
].join('\n');

const live = new Set<ChildProcess>();
let exitHook = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/**
 * Boots EEMBC-protocol firmware (built with protocol 'eembc') on a QEMU board and connects an
 * EembcClient to its UART. The tinyml runner (startQemu) cannot be used: it greets the firmware
 * with binary INFO frames.
 */
export async function startEembcQemu(options: { board: string | Board; elf: string; bootTimeoutMs?: number; timeoutMs?: number; log?: (line: string) => void }): Promise<EembcQemuSession> {
  const board = typeof options.board === 'string' ? loadBoard(options.board) : options.board;
  if (!board.qemu) throw new InputError(`board ${board.name} is a physical board; open its serial port with openEembcSerial()`);
  const elf = resolve(options.elf);
  if (!existsSync(elf)) throw new InputError(`firmware ELF ${elf} does not exist; build it first`);
  const command = [findQemu(process.env), ...qemuArgs(board, elf)];
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) killGroup(c);
    });
  }
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'tinyml-qemu', ...command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  let exited = false;
  const exitPromise = new Promise<void>((r) =>
    child.on('exit', () => {
      exited = true;
      live.delete(child);
      r();
    }),
  );
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  const onOut = (b: Buffer): void => {
    output = (output + b.toString()).slice(-64 * 1024);
  };
  child.stdout?.on('data', onOut);
  child.stderr?.on('data', onOut);
  let client: EembcClient | undefined;
  const close = async (): Promise<void> => {
    if (client) await Promise.race([client.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    if (exited) return;
    child.stdin?.destroy();
    if (await Promise.race([exitPromise.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2000))])) return;
    killGroup(child);
    await Promise.race([exitPromise, new Promise((r) => setTimeout(r, 2000))]);
  };
  try {
    const ptyPath = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new ToolFailedError(`QEMU did not report its serial pty within 10 s; it said:\n${output}`)), 10_000);
      const check = (): void => {
        const m = /char device redirected to (\/dev\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      void exitPromise.then(() => {
        clearTimeout(timer);
        setTimeout(() => rej(new ToolFailedError(`QEMU exited at start; it said:\n${output}\n(command: ${command.join(' ')})`)), 50);
      });
    });
    const port = await openPort(ptyPath, board.uart.baud);
    client = new EembcClient(port, { portName: ptyPath, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.log ? { log: options.log } : {}) });
    const name = await client.handshake(options.bootTimeoutMs ?? 10_000).catch((e: unknown) => {
      throw exited ? new ToolFailedError(`QEMU exited; it said:\n${output}`, { cause: e }) : e;
    });
    return { client, board, ptyPath, name, output: () => output, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function openPort(path: string, baudRate: number): Promise<Duplex> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((err) => (err ? rej(new DeviceError(`cannot open serial port ${path}: ${err.message}`, { cause: err })) : res())));
  return port;
}

/** Connects to EEMBC-protocol firmware on a physical board's serial port (115200 8N1). */
export async function openEembcSerial(path: string, baudRate = 115200, options: Omit<EembcClientOptions, 'portName'> & { bootTimeoutMs?: number } = {}): Promise<EembcClient> {
  const client = new EembcClient(await openPort(path, baudRate), { ...options, portName: path });
  try {
    await client.handshake(options.bootTimeoutMs ?? 10_000);
  } catch (e) {
    await client.close();
    throw e;
  }
  return client;
}

// ---------------------------------------------------------------------------------------------
// Any board, and what `deploy --protocol eembc` measures.

export interface EembcTarget {
  client: EembcClient;
  board: Board;
  /** Where the link is: a pty under QEMU, or the serial port. */
  port: string;
  /** m-name content from the handshake. */
  name: string;
  close(): Promise<void>;
}

/**
 * Boots (QEMU) or flashes and connects (a physical board, like openTargetSession: flashed first
 * when board.json has a flasher, unless `flash` is false) EEMBC-protocol firmware.
 */
export async function openEembcTarget(board: Board, elf: string, options: SessionOptions = {}): Promise<EembcTarget> {
  if (board.qemu) {
    const s = await startEembcQemu({ board, elf, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    return { client: s.client, board, port: s.ptyPath, name: s.name, close: () => s.close() };
  }
  if (!options.port) throw new InputError(`board ${board.name} is a physical board: give its serial port with --port`);
  if (board.flasher && options.flash !== false) {
    await checkLinkPort(board, options.port, options.flashOptions?.listPorts);
    const flashPort = options.flashPort ?? process.env.TINYML_FLASH_PORT;
    await (options.flasher ?? flashFirmware)(board, elf, {
      ...options.flashOptions,
      ...(flashPort ? { port: flashPort } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    await new Promise((r) => setTimeout(r, options.bootDelayMs ?? 1500));
  }
  const client = await openEembcSerial(options.port, options.baud ?? board.uart.baud, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
  const name = await client.name();
  return { client, board, port: options.port, name, close: () => client.close() };
}

export interface EembcReport {
  /** m-name content, e.g. "dut-[tinyml]". */
  name: string;
  profile: { firmware: string; model: string };
  /** Accuracy mode on seeded random inputs against the reference interpreter. */
  check: EembcCheckResult;
  /** Performance mode: `infer runs warmups`, timed by the DUT's m-lap-us stamps. */
  latency: { runs: number; warmups: number; perInferenceUs: number; ms: number; lapUs: [number, number] };
}

/**
 * What `deploy --protocol eembc` reports: name and profile, `cases` random inputs checked against
 * the reference interpreter (accuracy mode), and one performance-mode run of `runs` inferences
 * after `warmups` warm-ups on the first of them.
 */
export async function eembcReport(client: EembcClient, prepared: PreparedGraph, options: { cases?: number; seed?: number; runs?: number; warmups?: number } = {}): Promise<EembcReport> {
  const { graph } = prepared;
  const inputTensors = graph.inputs.map((i) => graph.tensors[i]);
  const seed = options.seed ?? 1;
  const sets = Array.from({ length: Math.max(1, options.cases ?? 3) }, (_, c) => randomInputs(inputTensors, seed + c));
  const name = await client.name();
  const profile = await client.profile();
  const check = await eembcCheckAgainstReference(client, prepared, options.cases === 0 ? [] : sets);
  await client.load(inputBytes(sets[0]));
  const runs = options.runs ?? 5;
  const warmups = options.warmups ?? 1;
  const r = await client.infer(runs, warmups);
  return { name, profile, check, latency: { runs, warmups, perInferenceUs: r.perInferenceUs, ms: r.perInferenceUs / 1000, lapUs: r.lapUs } };
}
