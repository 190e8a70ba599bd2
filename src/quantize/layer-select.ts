/**
 * Layer lists on the command line (`--keep-int8 LAYERS`): comma-separated op indices of the
 * float graph, names of an op's output tensor, or `first` / `last` (the first / last layer with
 * weights), resolved to op indices with a clear error for anything that names no weight layer.
 * One resolver serves sub-byte weights, clustering and quantization-aware training.
 */
import { InputError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { weightRule } from './rules.js';

/** Splits "3,conv1/Relu, 7" into its items (empty items dropped). */
export function parseLayerList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Indices of the ops that have weights (conv, depthwise, dense, ...), in graph order. */
export function weightLayerOps(g: Graph): number[] {
  return g.ops.filter((op) => weightRule(op.type) !== undefined).map((op) => op.index);
}

/**
 * The op indices `items` name: an op index, an op's output tensor name, or 'first' / 'last'
 * (the first / last of `weightOps`). Every item must name one of `weightOps` (default: every op
 * with weights); `flag` names the option in errors.
 */
export function resolveKeepInt8(g: Graph, items: readonly (number | string)[], weightOps: readonly number[] = weightLayerOps(g), flag = '--keep-int8'): Set<number> {
  const out = new Set<number>();
  const withWeights = new Set(weightOps);
  const layerList = weightOps.map((i) => `#${i} ${g.ops[i].type}`).join(', ');
  for (const item of items) {
    let index: number;
    if (typeof item === 'number' || /^\d+$/.test(item)) {
      index = Number(item);
      if (!(index >= 0 && index < g.ops.length)) {
        throw new InputError(`${flag}: op index ${index} is out of range (model '${g.name}' has ops 0..${g.ops.length - 1})`);
      }
    } else if (item === 'first' || item === 'last') {
      if (weightOps.length === 0) throw new InputError(`${flag}: '${item}': model '${g.name}' has no layer with weights`);
      index = item === 'first' ? weightOps[0] : weightOps[weightOps.length - 1];
    } else {
      const op = g.ops.find((o) => o.outputs.some((id) => g.tensors[id].name === item));
      if (!op) {
        throw new InputError(`${flag}: no op of model '${g.name}' writes a tensor named '${item}' (give op indices, output tensor names, first or last; see 'tinyml inspect')`);
      }
      index = op.index;
    }
    if (!withWeights.has(index)) {
      throw new InputError(`${flag}: '${item}' is op #${index} ${g.ops[index].type}, which has no weights (layers with weights: ${layerList})`);
    }
    out.add(index);
  }
  return out;
}
