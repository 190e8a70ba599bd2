/**
 * A faulty serial line for tests: a Duplex that sits between a DeviceClient (hostSide) and a
 * device stream (the mock device, or the pty of a QEMU board), and drops, duplicates and corrupts
 * bytes and stalls traffic, in either direction, from a seeded pseudo-random stream (so a failing
 * run can be replayed) or on command.
 *
 * Order is preserved: a stall holds back everything behind it, as on a real line.
 */
import { Duplex } from 'node:stream';
import { mulberry32 } from '../../src/random.js';

/** mulberry32 (src/random.ts): small, seedable, good enough for fault injection. */
export const seededRandom = mulberry32;

export interface DirectionFaults {
  /** Per-byte probabilities. */
  drop?: number;
  duplicate?: number;
  /** Replace the byte with a different random value. */
  corrupt?: number;
  /** Per-chunk probability of holding the chunk (and everything after it) for stallMs. */
  stall?: number;
  stallMs?: number;
}

export interface FaultPlan {
  seed: number;
  toDevice?: DirectionFaults;
  toHost?: DirectionFaults;
}

export type Direction = 'toDevice' | 'toHost';

export interface FaultStats {
  bytes: number;
  dropped: number;
  duplicated: number;
  corrupted: number;
  stalls: number;
}

/** Something that receives the bytes a direction delivers. */
type Sink = (bytes: Buffer) => void;

class Lane {
  readonly stats: FaultStats = { bytes: 0, dropped: 0, duplicated: 0, corrupted: 0, stalls: 0 };
  faults: DirectionFaults;
  /** One-shot commands: drop the next n bytes; hold traffic for ms. */
  dropNextBytes = 0;
  private queue: Buffer[] = [];
  private heldUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Called for every chunk before faults are applied: may replace it (return undefined to drop). */
  tap: ((chunk: Buffer) => Buffer | undefined) | undefined;

  constructor(
    faults: DirectionFaults | undefined,
    private readonly rand: () => number,
    private readonly sink: Sink,
  ) {
    this.faults = faults ?? {};
  }

  push(chunk: Buffer): void {
    const tapped = this.tap ? this.tap(chunk) : chunk;
    if (!tapped || tapped.length === 0) return;
    const f = this.faults;
    const out: number[] = [];
    for (const b of tapped) {
      this.stats.bytes++;
      if (this.dropNextBytes > 0) {
        this.dropNextBytes--;
        this.stats.dropped++;
        continue;
      }
      if (f.drop && this.rand() < f.drop) {
        this.stats.dropped++;
        continue;
      }
      let v = b;
      if (f.corrupt && this.rand() < f.corrupt) {
        v = (b ^ (1 + Math.floor(this.rand() * 255))) & 0xff;
        this.stats.corrupted++;
      }
      out.push(v);
      if (f.duplicate && this.rand() < f.duplicate) {
        out.push(v);
        this.stats.duplicated++;
      }
    }
    if (out.length === 0) return;
    if (f.stall && this.rand() < f.stall) this.hold(f.stallMs ?? 100);
    this.queue.push(Buffer.from(out));
    this.flush();
  }

  /** Holds all traffic (queued and future) for `ms` from now. */
  hold(ms: number): void {
    this.stats.stalls++;
    this.heldUntil = Math.max(this.heldUntil, Date.now() + ms);
  }

  private flush(): void {
    const wait = this.heldUntil - Date.now();
    if (wait > 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.flush();
        }, wait);
      }
      return;
    }
    const q = this.queue;
    this.queue = [];
    for (const c of q) this.sink(c);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }
}

export class FaultyLink {
  /** The stream to give the DeviceClient. */
  readonly hostSide: Duplex;
  readonly toDevice: Lane;
  readonly toHost: Lane;
  private closed = false;

  constructor(
    private readonly device: Duplex,
    plan: FaultPlan,
  ) {
    const rand = seededRandom(plan.seed);
    this.toDevice = new Lane(plan.toDevice, rand, (b) => {
      if (!this.closed && !device.destroyed) device.write(b);
    });
    this.toHost = new Lane(plan.toHost, rand, (b) => {
      if (!this.closed) this.hostSide.push(b);
    });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.hostSide = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        self.toDevice.push(chunk);
        cb();
      },
    });
    device.on('data', (chunk: Buffer) => this.toHost.push(chunk));
  }

  /** Changes the random faults of both directions (e.g. none while booting). */
  setFaults(toDevice: DirectionFaults | undefined, toHost: DirectionFaults | undefined): void {
    this.toDevice.faults = toDevice ?? {};
    this.toHost.faults = toHost ?? {};
  }

  get stats(): { toDevice: FaultStats; toHost: FaultStats } {
    return { toDevice: this.toDevice.stats, toHost: this.toHost.stats };
  }

  /** Stops forwarding (the device stream is left to its owner). */
  close(): void {
    this.closed = true;
    this.toDevice.stop();
    this.toHost.stop();
    this.hostSide.push(null);
  }
}
