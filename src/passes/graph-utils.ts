/**
 * Small helpers the graph passes share. Passes are pure: they clone the graph (tensor records and
 * ops are copied; constant data arrays are shared and never written in place), rewrite the copy
 * and return it compacted.
 */
import type { OpAttrs, OpType } from '../ir/attrs.js';
import type { DType, Graph, Op, Quantization, Tensor, TensorData } from '../ir/types.js';

export function cloneGraph(g: Graph): Graph {
  return {
    ...g,
    tensors: g.tensors.map((t) => ({ ...t, shape: [...t.shape], ...(t.quant ? { quant: cloneQuant(t.quant) } : {}) })),
    ops: g.ops.map((op) => ({ ...op, inputs: [...op.inputs], outputs: [...op.outputs], attrs: { ...op.attrs } }) as Op),
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    ...(g.meta ? { meta: { ...g.meta } } : {}),
  };
}

export function cloneQuant(q: Quantization): Quantization {
  return { scale: [...q.scale], zeroPoint: [...q.zeroPoint], quantizedDimension: q.quantizedDimension };
}

export function isConst(g: Graph, id: number): boolean {
  return id >= 0 && g.tensors[id].data !== undefined;
}

/**
 * The activation `x` and the constant `k` of a binary MUL/ADD/SUB with one constant operand (SUB
 * only as x - k); undefined when both or neither are constant.
 */
export function activationAndConstant(g: Graph, op: Op): { x: number; k: number } | undefined {
  if (op.inputs.length !== 2) return undefined;
  const [a, b] = op.inputs;
  if (a < 0 || b < 0) return undefined;
  if (!isConst(g, a) && isConst(g, b)) return { x: a, k: b };
  if (op.type !== 'SUB' && isConst(g, a) && !isConst(g, b)) return { x: b, k: a };
  return undefined;
}

/**
 * Runs `lowerOne` on a copy of a QDQ graph (one with DEQUANTIZE ops) until it changes nothing more;
 * returns the graph itself when nothing changed.
 */
export function lowerQdqIslands(graph: Graph, lowerOne: (g: Graph) => boolean): Graph {
  if (!graph.ops.some((op) => op.type === 'DEQUANTIZE')) return graph;
  const g = cloneGraph(graph);
  let changed = false;
  while (lowerOne(g)) changed = true;
  return changed ? compactGraph(g) : graph;
}

/** tensor id → the ops reading it (in op order; an op appears once per input slot). */
export function consumersOf(g: Graph): Map<number, Op[]> {
  const m = new Map<number, Op[]>();
  for (const op of g.ops) {
    for (const i of op.inputs) {
      if (i < 0) continue;
      const list = m.get(i);
      if (list) list.push(op);
      else m.set(i, [op]);
    }
  }
  return m;
}

/** tensor id → the op writing it. */
export function producersOf(g: Graph): Map<number, Op> {
  const m = new Map<number, Op>();
  for (const op of g.ops) for (const o of op.outputs) m.set(o, op);
  return m;
}

/** Unique consumers of a tensor (an op reading it twice counts once). */
export function uniqueConsumers(consumers: Map<number, Op[]>, id: number): Op[] {
  return [...new Set(consumers.get(id) ?? [])];
}

/** `base`, or `base_<k>` when taken (an existing `_<k>` suffix is replaced, not stacked). */
function uniqueName(g: Graph, base: string): string {
  const names = new Set(g.tensors.map((t) => t.name));
  if (!names.has(base)) return base;
  const stem = base.replace(/_\d+$/, '');
  let k = 1;
  while (names.has(`${stem}_${k}`)) k++;
  return `${stem}_${k}`;
}

export function addTensor(g: Graph, spec: { name: string; shape: number[]; dtype: DType; data?: TensorData; quant?: Quantization }): number {
  const id = g.tensors.length;
  const t: Tensor = { id, name: uniqueName(g, spec.name), shape: [...spec.shape], dtype: spec.dtype };
  if (spec.quant) t.quant = spec.quant;
  if (spec.data) t.data = spec.data;
  g.tensors.push(t);
  return id;
}

export function makeOp<T extends OpType>(type: T, inputs: number[], outputs: number[], attrs: OpAttrs[T]): Op {
  return { index: -1, type, inputs, outputs, attrs } as unknown as Op;
}

/** Every read of tensor `from` (op inputs and graph outputs) now reads `to`. */
export function replaceUses(g: Graph, from: number, to: number): void {
  for (const op of g.ops) op.inputs = op.inputs.map((i) => (i === from ? to : i));
  g.outputs = g.outputs.map((i) => (i === from ? to : i));
}

/**
 * Removes `op`, whose output 0 equals its input `src` (an identity), rewiring readers. When the
 * output is a graph output it keeps its tensor: the producer of `src` writes it directly, if that
 * is possible; otherwise the op stays and false is returned.
 */
export function bypassOp(g: Graph, op: Op, src: number): boolean {
  const out = op.outputs[0];
  if (g.outputs.includes(out)) {
    const producer = g.ops.find((o) => o !== op && o.outputs.includes(src));
    const otherReaders = g.ops.some((o) => o !== op && o.inputs.includes(src));
    if (!producer || otherReaders || g.outputs.includes(src) || g.inputs.includes(src)) return false;
    producer.outputs = producer.outputs.map((i) => (i === src ? out : i));
    g.ops = g.ops.filter((o) => o !== op);
    return true;
  }
  g.ops = g.ops.filter((o) => o !== op);
  replaceUses(g, out, src);
  return true;
}

/** Drops ops none of whose outputs is read or is a graph output (the IR's ops have no side effects). */
export function removeDeadOps(g: Graph): void {
  for (;;) {
    const read = new Set<number>(g.outputs);
    for (const op of g.ops) for (const i of op.inputs) if (i >= 0) read.add(i);
    const live = g.ops.filter((op) => op.outputs.some((o) => read.has(o)));
    if (live.length === g.ops.length) return;
    g.ops = live;
  }
}

/** Removes dead ops and unreferenced tensors, renumbers tensor ids and op indices. */
export function compactGraph(g: Graph): Graph {
  removeDeadOps(g);
  const used = new Set<number>([...g.inputs, ...g.outputs]);
  for (const op of g.ops) {
    for (const i of op.inputs) if (i >= 0) used.add(i);
    for (const o of op.outputs) used.add(o);
  }
  const remap = new Map<number, number>();
  const tensors: Tensor[] = [];
  g.tensors.forEach((t) => {
    if (!used.has(t.id)) return;
    remap.set(t.id, tensors.length);
    tensors.push({ ...t, id: tensors.length });
  });
  const m = (i: number): number => (i < 0 ? i : remap.get(i)!);
  return {
    ...g,
    tensors,
    ops: g.ops.map((op, index) => ({ ...op, index, inputs: op.inputs.map(m), outputs: op.outputs.map(m) }) as Op),
    inputs: g.inputs.map(m),
    outputs: g.outputs.map(m),
  };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function sameQuant(a: Quantization | undefined, b: Quantization | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.scale.length === b.scale.length &&
    a.scale.every((s, i) => Math.fround(s) === Math.fround(b.scale[i]) && (a.zeroPoint[i] ?? 0) === (b.zeroPoint[i] ?? 0)) &&
    (a.scale.length === 1 || a.quantizedDimension === b.quantizedDimension)
  );
}

/**
 * The per-channel values of a constant that broadcasts only along the last axis of an activation
 * with `channels` channels: shapes [], [1], [C], [1, ..., 1, C]. Returns undefined otherwise.
 */
export function perChannelValues(t: Tensor, channels: number): Float64Array | undefined {
  if (!t.data || t.dtype !== 'float32') return undefined;
  const shape = t.shape;
  if (shape.slice(0, -1).some((d) => d !== 1)) return undefined;
  const last = shape.length ? shape[shape.length - 1] : 1;
  const data = t.data as Float32Array;
  if (last === 1) return new Float64Array(channels).fill(data[0]);
  if (last !== channels) return undefined;
  return Float64Array.from(data);
}

/** Inserts `op` right after `after` in execution order (or at the start). */
export function insertOpAfter(g: Graph, after: Op | undefined, op: Op): void {
  const k = after ? g.ops.indexOf(after) : -1;
  g.ops.splice(k + 1, 0, op);
}

/** Inserts `op` right before `before` in execution order. */
export function insertOpBefore(g: Graph, before: Op, op: Op): void {
  g.ops.splice(g.ops.indexOf(before), 0, op);
}
