/**
 * Execution order for memory: a graph with branches (ResNet's residual blocks) can run its ops in
 * any topological order, and the order decides which tensors are alive together. `memoryOrder`
 * finds the order whose largest live set (tensors and each op's scratch, the memory plan's lower
 * bound) is smallest, by dynamic programming over the sets of ops already run (the graph's
 * down-sets: few on networks made of chains and short branches). Reordering never changes what an
 * op computes, so results stay bit-exact.
 */
import type { Graph } from '../ir/types.js';
import { DTYPE_BYTES, elementCount } from '../ir/types.js';
import { getOpDef } from '../ops/registry.js';

/** Default bound on the sets of executed ops explored; past it the graph's own order is kept. */
export const MAX_ORDER_STATES = 200_000;

interface Model {
  n: number;
  /** Ops each op waits for (producers of its activation inputs). */
  deps: bigint[];
  /** Per buffer root: bytes, producing op (-1: graph input), ops reading it, kept to the end. */
  roots: { bytes: number; producer: number; readers: bigint; pinned: boolean }[];
  /** Bytes each op adds while it runs: its new outputs and its scratch. */
  adds: number[];
}

function model(graph: Graph, scratch: readonly number[]): Model {
  const n = graph.ops.length;
  const root = new Map<number, number>();
  const find = (t: number): number => root.get(t) ?? t;
  const producer = new Map<number, number>();
  const adds = new Array<number>(n).fill(0);
  const bytes = (id: number) => elementCount(graph.tensors[id].shape) * DTYPE_BYTES[graph.tensors[id].dtype];
  graph.ops.forEach((op, k) => {
    const src = op.inputs[0];
    const view = getOpDef(graph, op).aliasesInput && src !== undefined && src >= 0 && !graph.tensors[src].data;
    for (const id of op.outputs) {
      producer.set(id, k);
      if (view) root.set(id, find(src));
      else adds[k] += bytes(id);
    }
    adds[k] += scratch[k] ?? 0;
  });
  const byRoot = new Map<number, Model['roots'][number]>();
  const entry = (id: number) => {
    const r = find(id);
    let e = byRoot.get(r);
    if (!e) {
      e = { bytes: bytes(r), producer: producer.get(r) ?? -1, readers: 0n, pinned: false };
      byRoot.set(r, e);
    }
    return e;
  };
  const deps = new Array<bigint>(n).fill(0n);
  graph.ops.forEach((op, k) => {
    for (const id of op.inputs) {
      if (id < 0 || graph.tensors[id].data) continue;
      entry(id).readers |= 1n << BigInt(k);
      const p = producer.get(id);
      if (p !== undefined) deps[k] |= 1n << BigInt(p);
    }
    for (const id of op.outputs) entry(id);
  });
  for (const id of graph.inputs) entry(id);
  for (const id of graph.outputs) entry(id).pinned = true;
  return { n, deps, roots: [...byRoot.values()], adds };
}

/** Bytes alive between ops once the ops in `done` have run. */
function liveAfter(m: Model, done: bigint): number {
  let live = 0;
  for (const r of m.roots) {
    const made = r.producer < 0 || (done >> BigInt(r.producer)) & 1n;
    if (made && (r.pinned || (r.readers & ~done) !== 0n)) live += r.bytes;
  }
  return live;
}

/** Largest live set (scratch included) when the ops run in `order` (positions in graph.ops). */
export function orderPeak(graph: Graph, order: readonly number[], scratch: readonly number[] = []): number {
  const m = model(graph, scratch);
  let done = 0n;
  let peak = liveAfter(m, 0n);
  for (const k of order) {
    peak = Math.max(peak, liveAfter(m, done) + m.adds[k]);
    done |= 1n << BigInt(k);
  }
  return Math.max(peak, liveAfter(m, done));
}

/**
 * The topological order (positions in graph.ops) with the smallest largest live set: the graph's
 * own order when it is one of them; else, among the best, one whose later peaks are smallest too.
 * Undefined when more than `maxStates` sets of executed ops would be explored.
 */
export function memoryOrder(graph: Graph, scratch: readonly number[] = [], maxStates = MAX_ORDER_STATES): number[] | undefined {
  const m = model(graph, scratch);
  const all = (1n << BigInt(m.n)) - 1n;
  const best = new Map<bigint, { peak: number; next: number }>();
  // Iterative post-order DFS over down-sets (no recursion: graphs can be long chains).
  const solve = (start: bigint): boolean => {
    const stack: bigint[] = [start];
    while (stack.length) {
      const s = stack[stack.length - 1];
      if (best.has(s)) {
        stack.pop();
        continue;
      }
      if (s === all) {
        best.set(s, { peak: liveAfter(m, s), next: -1 });
        stack.pop();
        continue;
      }
      const ready: number[] = [];
      for (let k = 0; k < m.n; k++) if (!((s >> BigInt(k)) & 1n) && (m.deps[k] & ~s) === 0n) ready.push(k);
      const pending = ready.map((k) => s | (1n << BigInt(k))).filter((t) => !best.has(t));
      if (pending.length) {
        stack.push(...pending);
        if (best.size + stack.length > maxStates) return false;
        continue;
      }
      const live = liveAfter(m, s);
      let choice = { peak: Infinity, next: -1 };
      for (const k of ready) {
        const peak = Math.max(live + m.adds[k], best.get(s | (1n << BigInt(k)))!.peak);
        if (peak < choice.peak) choice = { peak, next: k };
      }
      best.set(s, choice);
      stack.pop();
    }
    return true;
  };
  if (!solve(0n)) return undefined;
  const natural = graph.ops.map((_, k) => k);
  if (orderPeak(graph, natural, scratch) <= best.get(0n)!.peak) return natural;
  const order: number[] = [];
  for (let s = 0n; s !== all; ) {
    const k = best.get(s)!.next;
    order.push(k);
    s |= 1n << BigInt(k);
  }
  return order;
}

/** The graph with its ops run in `order` (positions in graph.ops); tensors and op records are shared. */
export function withOpOrder(graph: Graph, order: readonly number[]): Graph {
  if (order.length !== graph.ops.length || new Set(order).size !== order.length) throw new Error('op order: not a permutation of the ops');
  return { ...graph, ops: order.map((k) => graph.ops[k]) };
}
