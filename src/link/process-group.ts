/**
 * The one place tinyml starts a long-running process behind a link (QEMU): with execa, in a
 * process group of its own, and never left behind.
 *
 * No orphans: the command runs under a small shell wrapper that leads a new process group.
 * kill(), and this process's exit, kill the whole group; and if this process dies without
 * running any handler (SIGKILL), the wrapper sees its stdin pipe close and kills the command.
 */
import { execa, execaSync, type ResultPromise } from 'execa';
import { settleWithin, sleep } from './link.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessGroup {
  /** The command as started (executable first). */
  readonly command: string[];
  /** PID of the wrapper, the process group leader (-1 if it could not start). */
  readonly pid: number;
  /** What the command has printed so far (stdout and stderr, the last 64 KiB). */
  output(): string;
  /** Calls `listener` after each piece of output (with the whole output so far). */
  onOutput(listener: (output: string) => void): void;
  /** Settles when the wrapper has exited (with the command's status). */
  readonly exited: Promise<ProcessExit>;
  /** How it exited, or undefined while it runs. */
  exit(): ProcessExit | undefined;
  /** Kills the command and returns once nothing of the group is left; safe to call more than once. */
  kill(): Promise<void>;
}

// The wrapper: the command in the background; a watcher that kills it when our end of the stdin
// pipe closes (we exited, however abruptly); the wrapper exits with the command's status. The
// watcher reads a copy of stdin (fd 3) because a non-interactive shell gives background jobs
// /dev/null instead.
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

const OUTPUT_LIMIT = 64 * 1024;

const live = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Whether any live (non-zombie) process is still in the group led by `pid`. */
function groupHasMembers(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(-pid, 0);
  } catch {
    return false;
  }
  // Signal 0 also succeeds for zombies; ask ps for live members.
  const r = execaSync('ps', ['-e', '-o', 'pgid=,stat='], { reject: false });
  return String(r.stdout ?? '')
    .split('\n')
    .some((l) => {
      const [pgid, stat] = l.trim().split(/\s+/);
      return Number(pgid) === pid && stat !== undefined && !stat.startsWith('Z');
    });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live) killGroup(pid);
  });
}

/** Starts `command` (executable first) in its own process group; see the module comment. */
export function startProcessGroup(command: string[]): ProcessGroup {
  installExitHook();
  const child: ResultPromise = execa('/bin/sh', ['-c', WRAPPER, 'tinyml-process', ...command], {
    detached: true,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    // execa's own cleanup does not apply to detached processes; the exit hook above does it.
    cleanup: false,
  });
  // reject: false makes a failed start settle as a result, not a rejection; nothing to wait for here.
  void child.catch(() => undefined);
  const pid = child.pid ?? -1;
  if (pid > 0) live.add(pid);

  let output = '';
  let exit: ProcessExit | undefined;
  const listeners: Array<(output: string) => void> = [];
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(pid);
      resolve(exit);
    });
    // A spawn error (no /bin/sh) emits no 'exit'.
    child.on('error', () => {
      if (exit) return;
      exit = { code: 127, signal: null };
      live.delete(pid);
      resolve(exit);
    });
  });
  child.stdin?.on('error', () => undefined);
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
    for (const l of listeners) l(output);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  let killing: Promise<void> | undefined;
  const kill = (): Promise<void> =>
    (killing ??= (async () => {
      if (!exit) {
        // Closing the wrapper's stdin makes its watcher kill the command, and the wrapper then
        // reaps it and exits: no zombie is left behind. Killing the whole group is the fallback.
        child.stdin?.destroy();
        await settleWithin(exited, 2000);
      }
      // Whatever is left in the group (the wrapper's stdin watcher outlives a command that died
      // on its own for a moment) goes too, and kill() returns only once the group is empty.
      killGroup(pid);
      for (let i = 0; i < 40 && groupHasMembers(pid); i++) await sleep(25);
    })());

  return {
    command,
    pid,
    output: () => output,
    onOutput: (l) => void listeners.push(l),
    exited,
    exit: () => exit,
    kill,
  };
}
