/**
 * Runs a firmware ELF on a QEMU board and connects a DeviceClient to it.
 *
 * QEMU's first UART is a pseudo-terminal (-serial pty); we read its path from QEMU's "char
 * device redirected to /dev/pts/N" line, open it with serialport like any serial device, and
 * wait for the firmware to answer INFO.
 *
 * Timing: QEMU runs with -icount shift=S,align=off,sleep=off (S from board.json, 7 for every
 * board here). Each guest instruction then advances virtual time by exactly 2^S ns, and the
 * board's timer ticks in virtual time, so a timer interval divided by board.timer.ticksPerUnit
 * is the exact number of instructions executed. align=off lets QEMU run as fast as the host can
 * (virtual time is decoupled from wall time); sleep=off keeps virtual time from jumping while
 * the CPU is idle.
 *
 * No orphans: QEMU runs under a small shell wrapper in its own process group. close(), an error
 * during start-up, and this process's exit kill the whole group; and if this process dies
 * without running any handler (SIGKILL), the wrapper sees its stdin pipe close and kills QEMU.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeviceError, InputError, ToolFailedError } from '../errors.js';
import { type Board, loadBoard } from '../build/board.js';
import { type Env, findQemu } from '../build/toolchain.js';
import { DeviceClient } from '../serial/client.js';
import type { DeviceInfo } from '../serial/protocol.js';

export interface QemuOptions {
  /** Board name or loaded board; must have a "qemu" section. */
  board: string | Board;
  /** Firmware ELF built for that board. */
  elf: string;
  /** How long to wait for the firmware's first INFO reply, ms (default 5000). */
  bootTimeoutMs?: number;
  /** Per-attempt request timeout for the returned client, ms (default 2000). */
  timeoutMs?: number;
  /** Request retries for the returned client (default 2). */
  retries?: number;
  /** Per-attempt timeout of INVOKE/PROFILE for the returned client, ms (default 60000). */
  invokeTimeoutMs?: number;
  /** Extra QEMU arguments (after the board's). */
  extraArgs?: string[];
  /** Environment for finding QEMU (TINYML_QEMU, PATH). */
  env?: Env;
  log?: (line: string) => void;
}

export interface QemuSession {
  client: DeviceClient;
  /** The firmware's INFO reply. */
  info: DeviceInfo;
  board: Board;
  /** Path of the pseudo-terminal the UART is connected to. */
  ptyPath: string;
  /** QEMU's command line. */
  command: string[];
  /** PID of the wrapper (the process group leader). */
  pid: number;
  /** What QEMU has printed so far (stdout and stderr). */
  output(): string;
  /** Closes the serial link and kills QEMU; safe to call more than once. */
  close(): Promise<void>;
}

/** The QEMU command line (without the executable) for running `elf` on `board`. */
export function qemuArgs(board: Board, elf: string, extraArgs: string[] = []): string[] {
  if (!board.qemu) throw new InputError(`board ${board.name} is a physical board; it cannot run under QEMU`);
  const q = board.qemu;
  return [
    '-M', q.machine,
    '-cpu', q.cpu,
    '-nographic',
    '-monitor', 'none',
    '-serial', 'pty',
    '-icount', `shift=${q.icountShift},align=off,sleep=off`,
    '-kernel', elf,
    ...q.extraArgs,
    ...extraArgs,
  ];
}

// The wrapper: QEMU in the background; a watcher that kills it when our end of the stdin pipe
// closes (we exited, however abruptly); the wrapper exits with QEMU's status. The watcher reads a
// copy of stdin (fd 3) because a non-interactive shell gives background jobs /dev/null instead.
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
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Whether any live (non-zombie) process is still in the child's process group. */
function groupHasMembers(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
  } catch {
    return false;
  }
  // Signal 0 also succeeds for zombies; ask ps for live members.
  const r = spawnSync('ps', ['-e', '-o', 'pgid=,stat='], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').some((l) => {
    const [pgid, stat] = l.trim().split(/\s+/);
    return Number(pgid) === child.pid && stat !== undefined && !stat.startsWith('Z');
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child);
  });
}

/** Starts QEMU for `options.board` with `options.elf` and returns a connected session. */
export async function startQemu(options: QemuOptions): Promise<QemuSession> {
  const board = typeof options.board === 'string' ? loadBoard(options.board) : options.board;
  if (!board.qemu) throw new InputError(`board ${board.name} is a physical board; use openSerialDevice() with its serial port instead of QEMU`);
  const elf = resolve(options.elf);
  if (!existsSync(elf)) throw new InputError(`firmware ELF ${elf} does not exist; build it first`);
  const qemu = findQemu(options.env ?? process.env);
  const args = qemuArgs(board, elf, options.extraArgs);
  const command = [qemu, ...args];
  const bootTimeoutMs = options.bootTimeoutMs ?? 5000;
  const log = options.log;

  installExitHook();
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'tinyml-qemu', ...command], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let closing = false;
  const exitPromise = new Promise<void>((res) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      res();
    });
  });
  child.on('error', () => undefined); // spawn errors surface as an exit
  child.stdin?.on('error', () => undefined);
  const onOutput = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > 64 * 1024) output = output.slice(-64 * 1024);
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);

  const machineDesc = `QEMU ${board.qemu.machine} (board ${board.name})`;
  const describeExit = (): string => {
    // The wrapper reports QEMU's death by signal N as exit status 128+N.
    const code = exited?.code ?? null;
    const how = exited?.signal
      ? `was killed by ${exited.signal}`
      : code !== null && code > 128
        ? `was killed by signal ${code - 128}`
        : `exited with code ${code}`;
    const text = output.trim();
    return `${machineDesc} ${how}${text ? `; it said:\n${text}` : ' without printing anything'}`;
  };

  let client: DeviceClient | undefined;
  const sleep = (ms: number): Promise<false> => new Promise((r) => setTimeout(() => r(false), ms));
  const kill = async (): Promise<void> => {
    closing = true;
    if (!exited) {
      // Closing the wrapper's stdin makes its watcher kill QEMU, and the wrapper then reaps it and
      // exits: no zombie is left behind. Killing the whole group is the fallback.
      child.stdin?.destroy();
      await Promise.race([exitPromise, sleep(2000)]);
    }
    // Whatever is left in the group (the wrapper's stdin watcher outlives a QEMU that died on
    // its own for a moment) goes too, and close() returns only once the group is empty.
    killGroup(child);
    for (let i = 0; i < 40 && groupHasMembers(child); i++) await sleep(25);
  };
  const close = async (): Promise<void> => {
    closing = true;
    if (client) await Promise.race([client.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    await kill();
  };

  try {
    // 1. The pty path.
    const ptyPath = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new ToolFailedError(`${machineDesc} did not report its serial pty within 10 s; output so far:\n${output}`)), 10_000);
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
        // Give the last output a moment to arrive before judging.
        setTimeout(() => rej(new ToolFailedError(`${describeExit()}\n(command: ${command.join(' ')})`)), 50);
      });
    });
    log?.(`${machineDesc}: UART0 on ${ptyPath} (pid ${child.pid})`);

    // 2. The serial link.
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path: ptyPath, baudRate: board.uart.baud, autoOpen: false });
    await new Promise<void>((res, rej) =>
      port.open((err) => (err ? rej(new DeviceError(`cannot open ${ptyPath} (UART of ${machineDesc}): ${err.message}`, { cause: err })) : res())),
    );
    client = new DeviceClient(port, {
      portName: ptyPath,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      invokeTimeoutMs: options.invokeTimeoutMs,
      log,
      // The pty closes when QEMU dies; say why, with what QEMU printed.
      explainStreamEnd: async (reason) => {
        if (closing) return reason;
        await Promise.race([exitPromise, sleep(1000)]);
        return exited ? `${describeExit()}\n(${reason})` : reason;
      },
    });
    const c = client;
    void exitPromise.then(() => {
      if (!closing) c.abort(`${describeExit()}`);
    });

    // 3. The firmware's first answer.
    const attempts = 3;
    let info: DeviceInfo;
    try {
      info = await client.info({ timeoutMs: Math.ceil(bootTimeoutMs / attempts), retries: attempts - 1 });
    } catch (err) {
      if (exited) throw new ToolFailedError(describeExit(), { cause: err });
      if (err instanceof DeviceError && /no valid reply/.test(err.message)) {
        throw new DeviceError(
          `no answer from firmware on ${ptyPath} after ${(bootTimeoutMs / 1000).toFixed(0)} s (sent INFO ${attempts} times); ` +
            `is the ELF built for board ${board.name}? (${elf})`,
          { cause: err },
        );
      }
      throw err;
    }
    if (info.board !== board.name) {
      throw new DeviceError(
        `the firmware on ${ptyPath} was built for board '${info.board}', but QEMU is emulating ${board.name} (${board.qemu.machine}); ` +
          `its timer and clock figures would be wrong: rebuild it for ${board.name}`,
      );
    }
    return {
      client,
      info,
      board,
      ptyPath,
      command,
      pid: child.pid ?? -1,
      output: () => output,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
