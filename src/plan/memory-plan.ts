/**
 * Static memory plan: every activation tensor, and every layer's kernel scratch, gets an offset
 * in one arena, so the arena is all the RAM the model needs at run time. Buffers whose lifetimes
 * (first write .. last read, in op order) do not overlap may share bytes; a layer's scratch is
 * alive during that layer alone, so it shares bytes with tensors dead by then and with the other
 * layers' scratch, never with its own layer's operands. RESHAPE and SQUEEZE outputs alias their
 * inputs (same bytes, no copy). Placement is greedy by size, largest first, each at the lowest
 * aligned offset free for its whole lifetime (the strategy TFLite Micro's greedy planner uses,
 * which is what we must not exceed), or two-ended when that is smaller.
 */
import type { Graph } from '../ir/types.js';
import { DTYPE_BYTES, elementCount } from '../ir/types.js';
import { getOpDef } from '../ops/registry.js';

export interface BufferPlan {
  /** Tensors stored in this buffer (more than one when aliased); none for a scratch buffer. */
  tensors: number[];
  /** For a layer's kernel scratch: the op index it belongs to (alive during that op only). */
  scratchOf?: number;
  offset: number;
  size: number;
  /** First op index that writes it (-1 for graph inputs) and last op index that reads it. */
  firstUse: number;
  lastUse: number;
}

export interface MemoryPlan {
  arenaBytes: number;
  alignment: number;
  buffers: BufferPlan[];
  /** Arena offset of every activation tensor, by tensor id. */
  offsets: Map<number, number>;
  /** Arena offset of each layer's kernel scratch, by op index (only layers that need scratch). */
  scratchOffsets: Map<number, number>;
  /** Largest total size of buffers (scratch included) alive at the same op: no plan can use less. */
  lowerBound: number;
}

export interface PlanOptions {
  /** Offset alignment of every buffer (default 16: enough for int64 and LDRD/LDM accesses). */
  alignment?: number;
  /**
   * Bytes of kernel scratch each op needs while it runs, by op index (missing or 0: none), as
   * the kernels chosen for the target announce it (`layerScratchBytes`).
   */
  scratch?: readonly number[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export function planMemory(graph: Graph, options: PlanOptions = {}): MemoryPlan {
  const alignment = options.alignment ?? 16;
  const nOps = graph.ops.length;
  // Union-find over aliases: a tensor maps to the root whose buffer it lives in.
  const parent = new Map<number, number>();
  const find = (t: number): number => {
    let r = t;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  for (const op of graph.ops) {
    const def = getOpDef(graph, op);
    const src = op.inputs[0];
    if (def.aliasesInput && src !== undefined && src >= 0 && !graph.tensors[src].data) parent.set(op.outputs[0], find(src));
  }
  const isActivation = (id: number): boolean => id >= 0 && !graph.tensors[id].data;
  const buffers = new Map<number, BufferPlan>();
  const touch = (id: number, at: number): void => {
    const root = find(id);
    let b = buffers.get(root);
    if (!b) {
      b = { tensors: [], offset: 0, size: 0, firstUse: at, lastUse: at };
      buffers.set(root, b);
    }
    if (!b.tensors.includes(id)) b.tensors.push(id);
    const t = graph.tensors[id];
    b.size = Math.max(b.size, elementCount(t.shape) * DTYPE_BYTES[t.dtype]);
    b.firstUse = Math.min(b.firstUse, at);
    b.lastUse = Math.max(b.lastUse, at);
  };
  for (const id of graph.inputs) touch(id, -1);
  graph.ops.forEach((op, k) => {
    for (const id of op.inputs) if (isActivation(id)) touch(id, k);
    for (const id of op.outputs) touch(id, k);
  });
  for (const id of graph.outputs) touch(id, nOps);

  const list = [...buffers.values()];
  (options.scratch ?? []).forEach((bytes, k) => {
    if (k >= nOps) throw new Error(`memory plan: scratch given for op ${k}, the graph has ${nOps} ops`);
    if (bytes > 0) list.push({ tensors: [], scratchOf: k, offset: 0, size: bytes, firstUse: k, lastUse: k });
  });
  let lowerBound = 0;
  for (let k = -1; k <= nOps; k++) {
    let live = 0;
    for (const b of list) if (b.firstUse <= k && k <= b.lastUse) live += b.size;
    lowerBound = Math.max(lowerBound, live);
  }
  // Two strategies; keep the smaller arena. Greedy-by-size is robust on branching graphs;
  // two-ended placement reaches the lower bound on chains, where greedy fragments.
  const greedy = placeGreedyBySize(list, alignment);
  const twoEnded = placeTwoEnded(list, alignment, alignUp(lowerBound, alignment));
  const best = twoEnded && twoEnded.arena < greedy.arena ? twoEnded : greedy;
  list.forEach((b, i) => (b.offset = best.offsets[i]));
  const arenaBytes = best.arena;
  const offsets = new Map<number, number>();
  const scratchOffsets = new Map<number, number>();
  for (const b of list) {
    for (const t of b.tensors) offsets.set(t, b.offset);
    if (b.scratchOf !== undefined) scratchOffsets.set(b.scratchOf, b.offset);
  }
  return { arenaBytes, alignment, buffers: list, offsets, scratchOffsets, lowerBound };
}

interface Placement {
  offsets: number[];
  arena: number;
}

const overlapsInTime = (a: BufferPlan, b: BufferPlan): boolean => a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;

/** Largest first, each at the lowest aligned offset free for its whole lifetime (TFLM's greedy planner). */
function placeGreedyBySize(list: BufferPlan[], alignment: number): Placement {
  const order = list.map((_, i) => i).sort((a, b) => list[b].size - list[a].size || list[a].firstUse - list[b].firstUse);
  const offsets = new Array<number>(list.length).fill(0);
  const placed: number[] = [];
  let arena = 0;
  for (const i of order) {
    const b = list[i];
    const conflicts = placed.filter((j) => overlapsInTime(list[j], b)).sort((x, y) => offsets[x] - offsets[y]);
    let offset = 0;
    for (const j of conflicts) {
      if (offset + b.size <= offsets[j]) break;
      offset = Math.max(offset, alignUp(offsets[j] + list[j].size, alignment));
    }
    offsets[i] = offset;
    placed.push(i);
    arena = Math.max(arena, alignUp(offset + b.size, alignment));
  }
  return { offsets, arena };
}

/**
 * In order of first use, each buffer goes to the lowest or the highest free place inside a fixed
 * arena of `target` bytes, on the side away from the buffer placed just before it (which is
 * usually its producer's input). On a chain this ping-pongs between the two ends and fits in the
 * lower bound; returns null when some buffer does not fit.
 */
function placeTwoEnded(list: BufferPlan[], alignment: number, target: number): Placement | null {
  const order = list.map((_, i) => i).sort((a, b) => list[a].firstUse - list[b].firstUse || list[b].size - list[a].size);
  const offsets = new Array<number>(list.length).fill(0);
  const placed: number[] = [];
  let lastCenter = target; // first buffer goes to the bottom
  for (const i of order) {
    const b = list[i];
    const busy = placed
      .filter((j) => overlapsInTime(list[j], b))
      .map((j) => [offsets[j], offsets[j] + list[j].size] as const)
      .sort((x, y) => x[0] - y[0]);
    // Free gaps inside [0, target).
    const gaps: [number, number][] = [];
    let cursor = 0;
    for (const [lo, hi] of busy) {
      if (lo > cursor) gaps.push([cursor, lo]);
      cursor = Math.max(cursor, alignUp(hi, alignment));
    }
    if (cursor < target) gaps.push([cursor, target]);
    const fits = gaps.filter(([lo, hi]) => lo + b.size <= hi);
    if (fits.length === 0) return null;
    const low = fits[0][0];
    const topGap = fits[fits.length - 1];
    const high = Math.floor((topGap[1] - b.size) / alignment) * alignment;
    const useHigh = lastCenter < target / 2 && high >= topGap[0];
    offsets[i] = useHigh ? high : low;
    lastCenter = offsets[i] + b.size / 2;
    placed.push(i);
  }
  return { offsets, arena: target };
}

/** Throws if two tensors that are alive at the same time overlap in the arena (a planner bug). */
export function checkPlan(plan: MemoryPlan): void {
  const bs = plan.buffers;
  for (let i = 0; i < bs.length; i++) {
    for (let j = i + 1; j < bs.length; j++) {
      const a = bs[i];
      const b = bs[j];
      const timeOverlap = a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
      const spaceOverlap = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
      if (timeOverlap && spaceOverlap) throw new Error(`memory plan overlap: ${bufferName(a)} and ${bufferName(b)}`);
    }
    if (bs[i].offset % plan.alignment !== 0 || bs[i].offset + bs[i].size > plan.arenaBytes) throw new Error(`memory plan: ${bufferName(bs[i])} misplaced`);
  }
}

function bufferName(b: BufferPlan): string {
  return b.scratchOf !== undefined ? `scratch of op ${b.scratchOf}` : `tensors ${b.tensors}`;
}
