/**
 * The one per-layer weight input of `quantizeGraph`: for each weight layer (by op index of the
 * float graph) how its weights are stored. Layers not in the map keep plain int8 weights.
 *
 * Every way of choosing weights is a producer of this map: `--weights int4|...` with
 * `--keep-int8` (`subByteChoices`), `--clusters K` (`clusterChoices`), quantization-aware
 * training (learned scales, src/train/finetune.ts) and `--flash-budget` (budget.ts).
 */
import { InputError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import type { SubByteKind } from '../ir/weight-encoding.js';
import { checkClusterCount, type ClusterScope } from './cluster.js';
import type { WeightRounding } from './subbyte.js';
import { weightRule } from './rules.js';

/** Plain int8 weights, per channel (or per tensor with `perChannel: false`). */
export interface Int8Choice {
  kind: 'int8';
}

/** Sub-byte weights on the width's grid (src/quantize/subbyte.ts). */
export interface SubByteChoice {
  kind: SubByteKind;
  /** How weights are rounded (default 'gptq'). */
  rounding?: WeightRounding;
  /** Per-group scales, `groupSize` weights per group along the input dimension. */
  groupSize?: number;
  /** Refit the layer to the inputs the quantized earlier layers give it (default true; gptq/adaround). */
  compensate?: boolean;
}

/** Weights clustered to `clusters` int8 levels (a lookup table per tensor or per channel, src/quantize/cluster.ts). */
export interface ClusterChoice {
  kind: 'clusters';
  clusters: number;
  scope: ClusterScope;
  seed?: number;
}

/**
 * Weights whose step sizes were chosen elsewhere (learned by quantization-aware training): the
 * per-channel scales (one per channel of the weight axis, or one) and the width; the int8 data are
 * the codes of w / scale in that width.
 */
export interface GivenScalesChoice {
  kind: 'given';
  scales: readonly number[];
  width: 'int8' | SubByteKind;
}

export type WeightChoice = Int8Choice | SubByteChoice | ClusterChoice | GivenScalesChoice;

/** Weight choices by op index of the float graph; absent layers are plain int8. */
export type WeightChoices = ReadonlyMap<number, WeightChoice>;

/** The sub-byte widths, narrowest last. */
export const SUB_BYTE_KINDS: readonly SubByteKind[] = ['int4', 'int2', 'ternary', 'binary'];

export function isSubByteChoice(c: WeightChoice | undefined): c is SubByteChoice {
  return c !== undefined && (SUB_BYTE_KINDS as readonly string[]).includes(c.kind);
}

/** Ops whose weights can be clustered (tinyml has LUT kernels for them). */
export const CLUSTERABLE_OPS: readonly string[] = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'];

/** Every choice names a layer with weights and, for clusters, one with clustered kernels. */
export function checkWeightChoices(g: Graph, choices: WeightChoices): void {
  for (const [index, c] of choices) {
    const op = g.ops[index];
    if (!op || !weightRule(op.type)) {
      throw new InputError(`weight choice for op ${index}: model '${g.name}' has no layer with weights at that index`);
    }
    if (c.kind === 'clusters') {
      checkClusterCount(c.clusters);
      if (!CLUSTERABLE_OPS.includes(op.type)) throw new InputError(`${describeOp(g, op)}: its weights cannot be clustered (clustered kernels exist for ${CLUSTERABLE_OPS.join(', ')})`);
    }
  }
}

/** A short label of a choice: 'int8', 'int4', 'clusters16', ... */
export function choiceLabel(c: WeightChoice | undefined): string {
  if (!c) return 'int8';
  if (c.kind === 'clusters') return `clusters${c.clusters}`;
  if (c.kind === 'given') return c.width;
  return c.kind;
}
