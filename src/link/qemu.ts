/**
 * A link to firmware running on an emulated board: QEMU with the board's first UART on a
 * pseudo-terminal (-serial pty). We read the pty's path from QEMU's "char device redirected to
 * /dev/pts/N" line and open it like any serial port.
 *
 * Timing: QEMU runs with -icount shift=S,align=off,sleep=off (S from board.json, 7 for every
 * board here). Each guest instruction then advances virtual time by exactly 2^S ns, and the
 * board's timer ticks in virtual time, so a timer interval divided by board.timer.ticksPerUnit
 * is the exact number of instructions executed. align=off lets QEMU run as fast as the host can
 * (virtual time is decoupled from wall time); sleep=off keeps virtual time from jumping while
 * the CPU is idle.
 *
 * QEMU runs in a process group of its own (process-group.ts): close() and this process's exit
 * kill it, and so does this process dying outright.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Board, loadBoard } from '../build/board.js';
import { type Env, findQemu } from '../build/toolchain.js';
import { InputError, ToolFailedError } from '../errors.js';
import { type Link, settleWithin } from './link.js';
import { startProcessGroup } from './process-group.js';
import { closeStream, openSerialPort } from './serial-port.js';

export interface QemuLinkOptions {
  /** Board name or loaded board; must have a "qemu" section. */
  board: string | Board;
  /** Firmware ELF built for that board. */
  elf: string;
  /** Extra QEMU arguments (after the board's). */
  extraArgs?: string[];
  /** Environment for finding QEMU (TINYML_QEMU, PATH). */
  env?: Env;
  log?: (line: string) => void;
}

export interface QemuLink extends Link {
  kind: 'qemu';
  board: Board;
  /** Absolute path of the ELF QEMU runs. */
  elf: string;
  /** Path of the pseudo-terminal the UART is connected to (also `name`). */
  ptyPath: string;
  /** QEMU's command line. */
  command: string[];
  /** PID of QEMU's wrapper (the process group leader). */
  pid: number;
  /** "QEMU mps2-an386 (board qemu-m4)". */
  machine: string;
  /** What QEMU has printed so far (stdout and stderr). */
  output(): string;
  /** How QEMU ended, with what it printed; undefined while it runs. */
  exitDescription(): string | undefined;
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

/** Starts QEMU for `options.board` with `options.elf` and opens its UART. */
export async function openQemuLink(options: QemuLinkOptions): Promise<QemuLink> {
  const board = typeof options.board === 'string' ? loadBoard(options.board) : options.board;
  if (!board.qemu) throw new InputError(`board ${board.name} is a physical board; open its serial port (openBoardLink with a port) instead of QEMU`);
  const elf = resolve(options.elf);
  if (!existsSync(elf)) throw new InputError(`firmware ELF ${elf} does not exist; build it first`);
  const command = [findQemu(options.env ?? process.env), ...qemuArgs(board, elf, options.extraArgs)];
  const machine = `QEMU ${board.qemu.machine} (board ${board.name})`;

  const qemu = startProcessGroup(command);
  const exitDescription = (): string | undefined => {
    const exit = qemu.exit();
    if (!exit) return undefined;
    // The wrapper reports QEMU's death by signal N as exit status 128+N.
    const { code, signal } = exit;
    const how = signal ? `was killed by ${signal}` : code !== null && code > 128 ? `was killed by signal ${code - 128}` : `exited with code ${code}`;
    const text = qemu.output().trim();
    return `${machine} ${how}${text ? `; it said:\n${text}` : ' without printing anything'}`;
  };

  let closing = false;
  let port: Awaited<ReturnType<typeof openSerialPort>> | undefined;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      if (port) await settleWithin(closeStream(port), 1000);
      await qemu.kill();
    })());

  try {
    // 1. The pty path.
    const ptyPath = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new ToolFailedError(`${machine} did not report its serial pty within 10 s; output so far:\n${qemu.output()}`)), 10_000);
      const check = (output: string): void => {
        const m = /char device redirected to (\/dev\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      };
      qemu.onOutput(check);
      void qemu.exited.then(() => {
        clearTimeout(timer);
        // Give the last output a moment to arrive before judging.
        setTimeout(() => rej(new ToolFailedError(`${exitDescription()}\n(command: ${command.join(' ')})`)), 50);
      });
    });
    options.log?.(`${machine}: UART0 on ${ptyPath} (pid ${qemu.pid})`);

    // 2. The serial link.
    port = await openSerialPort(ptyPath, board.uart.baud, `${ptyPath} (UART of ${machine})`);
    return {
      kind: 'qemu',
      stream: port,
      name: ptyPath,
      board,
      elf,
      ptyPath,
      command,
      pid: qemu.pid,
      machine,
      output: () => qemu.output(),
      exitDescription,
      // The pty closes when QEMU dies; say why, with what QEMU printed.
      explainEnd: async (reason) => {
        if (closing) return reason;
        await settleWithin(qemu.exited, 1000);
        const why = exitDescription();
        return why ? `${why}\n(${reason})` : reason;
      },
      onLost: (listener) => {
        void qemu.exited.then(() => {
          if (!closing) listener(exitDescription() ?? `${machine} exited`);
        });
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
