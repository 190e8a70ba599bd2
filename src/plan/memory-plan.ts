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
 * read by no later op and is not a graph output: the two tensors then share one buffer
 * whose lifetime is the union of theirs, below TFLite's op-order floor.
 *
 * Streamed pairs (`PlanOptions.streamed`, e.g. a pointwise convolution whose output only the next
 * depthwise layer reads, run together row by row) never store the tensor between them: the
 * consumer runs both layers, reading the producer's input, so the planner sees the pair as one
 * op at the consumer's place (the producer's input alive until then, the consumer's scratch
 * holding the rows in flight), which may also run in place over that input.
 *
 * Scratch room (`growScratchIntoRoom`): once placed, a layer whose kernel has a faster form with
 * more scratch may have its scratch moved into the largest run of bytes free at its step and grown
 * to fill it; the arena and every other buffer stay where they are.
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
  /**
   * The bytes it holds over time, from its offset: one span per tensor stored in it (an in-place
   * chain's buffer shrinks when a small output replaces a large input, and the bytes past the
   * output are free for others from then on). Absent: `size` for its whole lifetime.
   */
  spans?: BufferSpan[];
}

/** `size` bytes from the buffer's offset, alive from op `firstUse` to op `lastUse`. */
export interface BufferSpan {
  firstUse: number;
  lastUse: number;
  size: number;
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
  /** Ops whose output shares its input 0's buffer (they run in place; a streamed pair's consumer: its producer's input 0). */
  inPlace: Set<number>;
  /** Streamed pairs: the tensor between them has no place in the arena. */
  streamed: StreamedPair[];
  /**
   * In-place ops (of `inPlace`) whose kernel runs in its tight form, with no scratch (their
   * scratch given as 0); set by the caller that chose that form (codegen/plan-model.ts).
   */
  tightInPlace?: Set<number>;
}

/** A producer op whose output 0 only the consumer op reads (its input 0), the two run as one at the consumer. */
export interface StreamedPair {
  producer: number;
  consumer: number;
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
  /** Pairs run as one op at the consumer's place (see the file comment). */
  streamed?: readonly StreamedPair[];
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
  // A graph input's bytes are the model's to reuse after its last read, as any tensor's (the
  // runtime writes the inputs before every inference); an output must survive the run.
  const pinned = new Set(graph.outputs);
  const inPlace = new Set<number>();
  for (const k of [...candidates].sort((a, b) => a - b)) {
    const op = graph.ops[k];
    const src = op.inputs[0];
    const out = op.outputs[0];
    if (src === undefined || src < 0 || graph.tensors[src].data || find(out) !== out) continue;
    const root = find(src);
    const members = graph.tensors.filter((t) => !t.data && find(t.id) === root).map((t) => t.id);
    // The input's bytes (all views of them) must be read by no op after k, nor by op k through
    // another operand, and belong to no graph output.
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

/**
 * The graph as the planner sees it with `pairs` streamed: each producer reads and writes nothing,
 * each consumer reads the producer's input 0 in place of the tensor between them (ops are copies;
 * tensors and everything else shared). Throws when a pair is not one (a planner bug).
 */
export function streamedView(graph: Graph, pairs: readonly StreamedPair[]): Graph {
  if (pairs.length === 0) return graph;
  const ops = [...graph.ops];
  for (const { producer, consumer } of pairs) {
    const p = graph.ops[producer];
    const c = graph.ops[consumer];
    const mid = p?.outputs[0];
    const readers = graph.ops.filter((op) => op.inputs.includes(mid));
    if (!p || !c || producer >= consumer || c.inputs[0] !== mid || p.outputs.length !== 1 || readers.length !== 1 || graph.outputs.includes(mid)) {
      throw new Error(`memory plan: ops ${producer} and ${consumer} are not a streamed pair`);
    }
    ops[producer] = { ...p, inputs: [], outputs: [] };
    ops[consumer] = { ...c, inputs: [p.inputs[0], ...c.inputs.slice(1)] };
  }
  return { ...graph, ops };
}

export function planMemory(model: Graph, options: PlanOptions = {}): MemoryPlan {
  const streamed = [...(options.streamed ?? [])];
  const graph = streamedView(model, streamed);
  const alignment = options.alignment ?? 16;
  const nOps = graph.ops.length;
  const { find, inPlace } = aliasGroups(graph, options.inPlace ?? []);
  const isActivation = (id: number): boolean => id >= 0 && !graph.tensors[id].data;
  const buffers = new Map<number, BufferPlan>();
  const spanOf = new Map<number, BufferSpan>();
  const touch = (id: number, at: number): void => {
    const root = find(id);
    let b = buffers.get(root);
    if (!b) {
      b = { tensors: [], offset: 0, size: 0, firstUse: at, lastUse: at, spans: [] };
      buffers.set(root, b);
    }
    const t = graph.tensors[id];
    const bytes = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
    let span = spanOf.get(id);
    if (!span) {
      span = { firstUse: at, lastUse: at, size: bytes };
      spanOf.set(id, span);
      b.spans!.push(span);
    }
    span.firstUse = Math.min(span.firstUse, at);
    span.lastUse = Math.max(span.lastUse, at);
    if (!b.tensors.includes(id)) b.tensors.push(id);
    b.size = Math.max(b.size, bytes);
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
    for (const b of list) live += sizeAt(b, k);
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
  return { arenaBytes, alignment, buffers: list, offsets, scratchOffsets, lowerBound, inPlace, streamed };
}

/**
 * The plan with op `k`'s scratch moved into the largest free run of bytes the arena has at that
 * op and grown to fill it, up to `most` bytes (never below its size): a kernel with a faster
 * form that needs more scratch (conv2d_dsp.c's decoded rows in place) gets the arena's slack at
 * its step and no byte more. The scratch is alive during op `k` alone and every other buffer
 * keeps its place, so the arena and every other offset are unchanged; returns `plan` itself when
 * there is no larger run. The lower bound stays that of the announced sizes.
 */
export function growScratchIntoRoom(plan: MemoryPlan, k: number, most: number): MemoryPlan {
  const i = plan.buffers.findIndex((b) => b.scratchOf === k);
  if (i < 0 || most <= plan.buffers[i].size) return plan;
  const taken = plan.buffers
    .filter((b, j) => j !== i && sizeAt(b, k) > 0)
    .map((b) => [b.offset, b.offset + sizeAt(b, k)] as const)
    .sort((x, y) => x[0] - y[0]);
  let best = { offset: plan.buffers[i].offset, size: plan.buffers[i].size };
  let from = 0;
  for (const [lo, hi] of [...taken, [plan.arenaBytes, plan.arenaBytes] as const]) {
    const start = alignUp(from, plan.alignment);
    if (lo - start > best.size) best = { offset: start, size: lo - start };
    from = Math.max(from, hi);
  }
  if (best.size <= plan.buffers[i].size) return plan;
  const buffers = plan.buffers.map((b, j) => (j === i ? { ...b, offset: best.offset, size: Math.min(best.size, most) } : b));
  return { ...plan, buffers, scratchOffsets: new Map([...plan.scratchOffsets, [k, best.offset]]) };
}

interface Placement {
  offsets: number[];
  arena: number;
}

const overlapsInTime = (a: { firstUse: number; lastUse: number }, b: { firstUse: number; lastUse: number }): boolean => a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;

const spansOf = (b: BufferPlan): BufferSpan[] => b.spans ?? [{ firstUse: b.firstUse, lastUse: b.lastUse, size: b.size }];

/** Bytes of `b` in use at op `k` (from its offset). */
function sizeAt(b: BufferPlan, k: number): number {
  let size = 0;
  for (const s of spansOf(b)) if (s.firstUse <= k && k <= s.lastUse) size = Math.max(size, s.size);
  return size;
}

/**
 * Offsets `b` may not take given the placed buffers: for every two spans alive together, the open
 * interval (placed offset - b's span size, placed offset + placed span size).
 */
function forbiddenOffsets(b: BufferPlan, placed: readonly number[], list: readonly BufferPlan[], offsets: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const j of placed) {
    if (!overlapsInTime(list[j], b)) continue;
    for (const sj of spansOf(list[j])) {
      for (const sb of spansOf(b)) if (overlapsInTime(sj, sb)) out.push([offsets[j] - sb.size, offsets[j] + sj.size]);
    }
  }
  return out.sort((x, y) => x[0] - y[0]);
}

/** Lowest aligned offset >= `from` outside every forbidden interval. */
function lowestFree(forbidden: readonly [number, number][], alignment: number, from = 0): number {
  let offset = from;
  for (let moved = true; moved; ) {
    moved = false;
    for (const [lo, hi] of forbidden) {
      if (offset > lo && offset < hi) {
        offset = alignUp(hi, alignment);
        moved = true;
      }
    }
  }
  return offset;
}

/** Largest first, each at the lowest aligned offset free for its whole lifetime (TFLM's greedy planner). */
function placeGreedyBySize(list: BufferPlan[], alignment: number): Placement {
  const order = list.map((_, i) => i).sort((a, b) => list[b].size - list[a].size || list[a].firstUse - list[b].firstUse);
  const offsets = new Array<number>(list.length).fill(0);
  const placed: number[] = [];
  let arena = 0;
  for (const i of order) {
    const b = list[i];
    const offset = lowestFree(forbiddenOffsets(b, placed, list, offsets), alignment);
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
    const forbidden = forbiddenOffsets(b, placed, list, offsets);
    // Aligned offsets in [0, top] outside the forbidden intervals: the lowest, and the highest.
    const top = Math.floor((target - b.size) / alignment) * alignment;
    const low = lowestFree(forbidden, alignment);
    if (low > top) return null;
    let high = top;
    for (let moved = true; moved; ) {
      moved = false;
      for (const [lo, hi] of forbidden) {
        if (high > lo && high < hi) {
          high = Math.floor(lo / alignment) * alignment;
          moved = true;
        }
      }
    }
    const useHigh = lastCenter < target / 2 && high >= low;
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
      const clash = spansOf(a).some((sa) => spansOf(b).some((sb) => overlapsInTime(sa, sb) && a.offset < b.offset + sb.size && b.offset < a.offset + sa.size));
      if (clash) throw new Error(`memory plan overlap: ${bufferName(a)} and ${bufferName(b)}`);
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
export function checkTensorPlacement(model: Graph, plan: MemoryPlan): void {
  const graph = streamedView(model, plan.streamed);
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
