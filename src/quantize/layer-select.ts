/**
 * Layer lists on the command line (`--keep-int8 LAYERS`): comma-separated op indices of the
 * float graph or names of an op's output tensor, resolved to op indices with a clear error for
 * anything that names no op.
 */
import { InputError } from '../errors.js';
import type { Graph } from '../ir/types.js';

/** Splits "3,conv1/Relu, 7" into its items (empty items dropped). */
export function parseLayerList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Op indices of `items` in `g`; `flag` names the option in errors. */
export function resolveLayers(g: Graph, items: readonly (string | number)[], flag: string): Set<number> {
  const out = new Set<number>();
  for (const item of items) {
    const asNumber = typeof item === 'number' ? item : /^\d+$/.test(item) ? Number(item) : undefined;
    if (asNumber !== undefined) {
      if (!(asNumber >= 0 && asNumber < g.ops.length)) {
        throw new InputError(`${flag}: op index ${asNumber} is out of range (model '${g.name}' has ops 0..${g.ops.length - 1})`);
      }
      out.add(asNumber);
      continue;
    }
    const op = g.ops.find((o) => o.outputs.some((id) => g.tensors[id].name === item));
    if (!op) throw new InputError(`${flag}: no op of model '${g.name}' writes a tensor named '${item}' (give op indices or output tensor names; see 'tinyml inspect')`);
    out.add(op.index);
  }
  return out;
}
