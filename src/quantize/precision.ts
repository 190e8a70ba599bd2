/**
 * Which precision each op of a float graph is quantized to: int16 (16x8) where the user asked,
 * data-movement ops at the precision of their input, int8 everywhere else.
 */
import { InputError } from '../errors.js';
import type { Graph, Op } from '../ir/types.js';
import type { ActivationDType } from './qparams.js';
import { followsInputPrecision } from './rules.js';

export type Prec = ActivationDType;

/** One precision per op of `g`, from `--int16` (true, false, or op indices / output tensor names). */
export function resolvePrecision(g: Graph, int16: boolean | readonly (number | string)[]): Prec[] {
  const chosen = new Set<number>();
  if (int16 !== true && int16 !== false) {
    for (const item of int16) {
      const asNumber = typeof item === 'number' ? item : /^\d+$/.test(item) ? Number(item) : undefined;
      if (asNumber !== undefined) {
        if (!(asNumber >= 0 && asNumber < g.ops.length)) {
          throw new InputError(`--int16: op index ${asNumber} is out of range (model '${g.name}' has ops 0..${g.ops.length - 1})`);
        }
        chosen.add(asNumber);
        continue;
      }
      const op = g.ops.find((o) => o.outputs.some((id) => g.tensors[id].name === item));
      if (!op) {
        throw new InputError(`--int16: no op of model '${g.name}' writes a tensor named '${item}' (give op indices or output tensor names; see 'tinyml inspect')`);
      }
      chosen.add(op.index);
    }
  }
  const producer = new Map<number, Op>();
  for (const op of g.ops) for (const o of op.outputs) producer.set(o, op);
  const prec: Prec[] = [];
  for (const op of g.ops) {
    let p: Prec = 'int8';
    if (int16 === true || chosen.has(op.index)) p = 'int16';
    else if (followsInputPrecision(op.type)) {
      const src = op.inputs.find((i) => i >= 0 && !g.tensors[i].data);
      const prod = src !== undefined ? producer.get(src) : undefined;
      if (prod) p = prec[prod.index];
    }
    prec.push(p);
  }
  return prec;
}
