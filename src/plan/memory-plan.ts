/**
 * Static memory plan: every activation tensor, and every layer's kernel scratch, gets an offset
 * in one arena, so the arena is all the RAM the model needs at run time. Buffers whose lifetimes
 * (first write .. last read, in op order) do not overlap may share bytes; a layer's scratch is
 * alive during that layer alone, so it shares bytes with tensors dead by then and with the other
 * layers' scratch, never with its own layer's operands. RESHAPE and SQUEEZE outputs alias their
 * inputs (same bytes, no copy). Placement is greedy by size, largest first, each at the lowest
 * aligned offset free for its whole lifetime (the strategy TFLite Micro's greedy planner uses,
 * which is what we must not exceed), or two-ended when that is smaller.
 *
 * In-place layers (`PlanOptions.inPlace`, e.g. a depthwise convolution whose kernel keeps the
 * rows it still needs in scratch) put their output in their input's buffer when that input is
 * read by no later op and is not a graph input or output: the two tensors then share one buffer
 * whose lifetime is the union of theirs, below TFLite's op-order floor.
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
  /** Ops whose output shares its input 0's buffer (they run in place). */
  inPlace: Set<number>;
}

export interface PlanOptions {
  /** Offset alignment of every buffer (default 16: enough for int64 and LDRD/LDM accesses). */
  alignment?: number;
  /**
   * Bytes of kernel scratch each op needs while it runs, by op index (missing or 0: none), as
   * the kernels chosen for the target announce it (`layerScratchBytes`).
   */
  scratch?: readonly number[];
  /**
   * Ops whose kernel can write output 0 over input 0 (their `scratch` being what the kernel then
   * needs); each runs in place when `inPlaceAllowed` says the graph lets it.
   */
  inPlace?: readonly number[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Union-find over tensors sharing a buffer: RESHAPE-like views, then the in-place ops taken. */
function aliasGroups(graph: Graph, candidates: readonly number[]): { find: (t: number) => number; inPlace: Set<number> } {
  const nOps = graph.ops.length;
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
  // Last op reading each tensor (nOps for graph outputs: the caller reads them after the run).
  const lastRead = new Map<number, number>();
  graph.ops.forEach((op, k) => op.inputs.forEach((id) => id >= 0 && lastRead.set(id, k)));
  for (const id of graph.outputs) lastRead.set(id, nOps);
  const pinned = new Set([...graph.inputs, ...graph.outputs]);
  const inPlace = new Set<number>();
  for (const k of [...candidates].sort((a, b) => a - b)) {
    const op = graph.ops[k];
    const src = op.inputs[0];
    const out = op.outputs[0];
    if (src === undefined || src < 0 || graph.tensors[src].data || find(out) !== out) continue;
    const root = find(src);
    const members = graph.tensors.filter((t) => !t.data && find(t.id) === root).map((t) => t.id);
    // The input's bytes (all views of them) must be read by no op after k, nor by op k through
    // another operand, and belong to no graph input (the caller's data) or output.
    if (members.some((id) => pinned.has(id) || (lastRead.get(id) ?? -1) > k)) continue;
    if (op.inputs.slice(1).some((id) => id >= 0 && find(id) === root)) continue;
    parent.set(out, root);
    inPlace.add(k);
  }
  return { find, inPlace };
}

/** The ops among `candidates` the graph lets run in place (see the file comment). */
export function inPlaceAllowed(graph: Graph, candidates: readonly number[]): Set<number> {
  return aliasGroups(graph, candidates).inPlace;
}

export function planMemory(graph: Graph, options: PlanOptions = {}): MemoryPlan {
  const alignment = options.alignment ?? 16;
  const nOps = graph.ops.length;
  const { find, inPlace } = aliasGroups(graph, options.inPlace ?? []);
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
  return { arenaBytes, alignment, buffers: list, offsets, scratchOffsets, lowerBound, inPlace };
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

/**
 * Checks the placement tensor by tensor, independently of how the planner grouped buffers: two
 * activations whose bytes overlap must never be alive at the same op, except views of the same
 * data (RESHAPE-like ops) and an in-place op's input and output at that op alone (the input read
 * last there, the output written first there). A layer's scratch must overlap no tensor alive
 * at its layer. Throws naming the first conflict.
 */
export function checkTensorPlacement(graph: Graph, plan: MemoryPlan): void {
  const nOps = graph.ops.length;
  const views = aliasGroups(graph, []).find;
  interface Span { root: number; ids: number[]; offset: number; size: number; first: number; last: number }
  const spans = new Map<number, Span>();
  const span = (id: number): Span => {
    const root = views(id);
    let s = spans.get(root);
    if (!s) {
      const offset = plan.offsets.get(id);
      if (offset === undefined) throw new Error(`memory plan: tensor ${id} has no offset`);
      s = { root, ids: [], offset, size: 0, first: Infinity, last: -Infinity };
      spans.set(root, s);
    }
    if (plan.offsets.get(id) !== s.offset) throw new Error(`memory plan: views ${root} and ${id} of one tensor at different offsets`);
    if (!s.ids.includes(id)) s.ids.push(id);
    const t = graph.tensors[id];
    s.size = Math.max(s.size, elementCount(t.shape) * DTYPE_BYTES[t.dtype]);
    return s;
  };
  const use = (id: number, at: number): void => {
    const s = span(id);
    s.first = Math.min(s.first, at);
    s.last = Math.max(s.last, at);
  };
  for (const id of graph.inputs) use(id, -1);
  graph.ops.forEach((op, k) => {
    for (const id of op.inputs) if (id >= 0 && !graph.tensors[id].data) use(id, k);
    for (const id of op.outputs) use(id, k);
  });
  for (const id of graph.outputs) use(id, nOps);
  const list = [...spans.values()];
  const inSpace = (a: { offset: number; size: number }, b: { offset: number; size: number }) => a.offset < b.offset + b.size && b.offset < a.offset + a.size;
  const inPlaceAt = (a: Span, b: Span): boolean => {
    const k = a.last;
    if (b.first !== k || !plan.inPlace.has(k)) return false;
    const op = graph.ops[k];
    return a.ids.includes(op.inputs[0]) && b.ids.includes(op.outputs[0]);
  };
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i];
      const b = list[j];
      if (!inSpace(a, b) || a.last < b.first || b.last < a.first) continue;
      if (inPlaceAt(a, b) || inPlaceAt(b, a)) continue;
      throw new Error(`memory plan: tensors ${a.ids} and ${b.ids} overlap in the arena while both are alive`);
    }
  }
  for (const b of plan.buffers) {
    if (b.scratchOf === undefined) continue;
    const k = b.scratchOf;
    const hit = list.find((s) => s.first <= k && k <= s.last && inSpace(s, b));
    if (hit) throw new Error(`memory plan: scratch of op ${k} overlaps tensors ${hit.ids}, alive at that op`);
  }
}
