/**
 * Removal of ops that do nothing: RESHAPE/SQUEEZE to the same shape, chains of reshapes
 * (collapsed into one), ADD/SUB of zero and MUL by one (float, no fused activation, no
 * broadcasting), PAD by zeros, single-input CONCATENATION, 1x1 stride-1 pooling, QUANTIZE of an
 * already identically quantized tensor and QUANTIZE(DEQUANTIZE(x)) with x's own parameters.
 */
import type { Graph, Op, Tensor } from '../ir/types.js';
import { activationAndConstant, bypassOp, cloneGraph, compactGraph, consumersOf, isConst, producersOf, sameQuant, sameShape, uniqueConsumers } from './graph-utils.js';

function allEqual(t: Tensor, value: number): boolean {
  if (!t.data || t.dtype !== 'float32') return false;
  return (t.data as Float32Array).every((v) => v === value);
}

function constInts(t: Tensor): number[] | undefined {
  if (!t.data) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, Number);
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

/** The input an identity op forwards unchanged to output 0, or undefined when it is not an identity. */
function identitySource(g: Graph, op: Op, producers: Map<number, Op>): number | undefined {
  const T = g.tensors;
  const out = T[op.outputs[0]];
  const inId = op.inputs[0];
  if (inId === undefined || inId < 0 || op.outputs.length !== 1) return undefined;
  const inp = T[inId];
  const sameMeta = inp.dtype === out.dtype && sameShape(inp.shape, out.shape) && sameQuant(inp.quant, out.quant);
  const act = (op.attrs as { activation?: string }).activation;
  switch (op.type) {
    case 'RESHAPE':
    case 'SQUEEZE':
      return sameMeta ? inId : undefined;
    case 'ADD':
    case 'SUB':
    case 'MUL': {
      if (act !== 'NONE' || out.dtype !== 'float32') return undefined;
      const operands = activationAndConstant(g, op);
      const neutral = op.type === 'MUL' ? 1 : 0;
      return operands && allEqual(T[operands.k], neutral) && sameShape(T[operands.x].shape, out.shape) ? operands.x : undefined;
    }
    case 'PAD': {
      const p = op.inputs[1] >= 0 ? constInts(T[op.inputs[1]]) : undefined;
      return sameMeta && p && p.every((v) => v === 0) ? inId : undefined;
    }
    case 'CONCATENATION':
      return op.inputs.length === 1 && sameMeta && act === 'NONE' ? inId : undefined;
    case 'MAX_POOL_2D':
    case 'AVERAGE_POOL_2D': {
      const a = op.attrs as { filterH: number; filterW: number; strideH: number; strideW: number; activation: string };
      return sameMeta && a.filterH === 1 && a.filterW === 1 && a.strideH === 1 && a.strideW === 1 && a.activation === 'NONE' ? inId : undefined;
    }
    case 'QUANTIZE': {
      if (sameMeta) return inId;
      const dq = producers.get(inId);
      if (dq?.type === 'DEQUANTIZE') {
        const src = T[dq.inputs[0]];
        if (src.dtype === out.dtype && sameShape(src.shape, out.shape) && sameQuant(src.quant, out.quant)) return src.id;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** RESHAPE(RESHAPE(x)) → RESHAPE(x) when the inner result has no other reader. */
function collapseReshapeChains(g: Graph): boolean {
  const consumers = consumersOf(g);
  const producers = producersOf(g);
  for (const op of g.ops) {
    if (op.type !== 'RESHAPE' && op.type !== 'SQUEEZE') continue;
    const inner = producers.get(op.inputs[0]);
    if (!inner || (inner.type !== 'RESHAPE' && inner.type !== 'SQUEEZE')) continue;
    const mid = inner.outputs[0];
    if (uniqueConsumers(consumers, mid).length !== 1 || g.outputs.includes(mid)) continue;
    const out = g.tensors[op.outputs[0]];
    if (!sameQuant(g.tensors[inner.inputs[0]].quant, out.quant)) continue;
    // The outer op now reshapes the original input straight to its own output shape.
    op.inputs = [inner.inputs[0]];
    if (op.type === 'RESHAPE') op.attrs = { newShape: [...out.shape] };
    else {
      (op as Op).type = 'RESHAPE';
      op.attrs = { newShape: [...out.shape] };
    }
    g.ops = g.ops.filter((o) => o !== inner);
    return true;
  }
  return false;
}

export function removeIdentityOps(graph: Graph): Graph {
  const g = cloneGraph(graph);
  let changed = true;
  while (changed) {
    changed = false;
    const producers = producersOf(g);
    for (const op of g.ops) {
      const src = identitySource(g, op, producers);
      if (src !== undefined && bypassOp(g, op, src)) {
        changed = true;
        break;
      }
    }
    if (!changed) changed = collapseReshapeChains(g);
  }
  return compactGraph(g);
}
