/**
 * FULLY_CONNECTED (int8) on cores with the DSP extension: firmware/kernels/arm/fully_connected_dsp.c.
 * Weights are interleaved four rows at a time at generation time (rows padded to a multiple of
 * 4), the input offset is folded into the bias and requantization constants precomputed.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { FullyConnectedParams, FullyConnectedQuantParams } from '../fully-connected.js';
import { fullyConnected } from '../fully-connected.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import type { TensorData } from '../../ir/types.js';
import { accBounds, modeSuffix, cArray, cRequantDecls, dspTarget, emitWithConstants, foldChannelBias,
  hasConstantOperands, planLayerRequant, requantFields, scratchFor, weightRows, type RequantPlan } from './common.js';
import { cStructInit } from '../c-emit.js';

function accepts(params: unknown, target: TargetInfo): boolean {
  const p = params as FullyConnectedParams;
  return dspTarget(target) && p.kind === 'int8' && p.weightsOffset === 0;
}

/** Rows in groups of four, word-interleaved; the remaining rows after them, each contiguous. */
export function fcWeightLayout(weights: Int8Array, n: number, k: number, k4: number): Int8Array {
  const out = new Int8Array(n * k4 * 4);
  const groups = Math.floor(n / 4);
  let o = 0;
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < k4; j++) {
      for (let r = 0; r < 4; r++) {
        const row = 4 * g + r;
        for (let i = 0; i < 4; i++) {
          const col = 4 * j + i;
          out[o++] = col < k ? weights[row * k + col] : 0;
        }
      }
    }
  }
  for (let row = groups * 4; row < n; row++) {
    for (let col = 0; col < k4 * 4; col++) out[o++] = col < k ? weights[row * k + col] : 0;
  }
  return out;
}

/** Byte offset of input `col` in the kernel's expanded input (see expand_input). */
function scratchOffset(col: number): number {
  return (2 * (col >> 2) + (col & 1)) * 4 + ((col >> 1) & 1) * 2;
}

/** Nibble slot i of a word holds input 8j + NIB_INPUT[i] (so that AND + UXTB16 match the expanded pairs). */
const NIB_INPUT = [0, 4, 1, 5, 2, 6, 3, 7];

export interface NibbleLayout {
  words: number[];
  counts: number[];
  corrections: number[];
  bytes: number;
}

/**
 * Weights as nibbles q + 8 (q = w wrapped into [-8, 7]) with sparse corrections 16 * h for
 * w = q + 16 h: row groups and order as the int8 layout, eight inputs per word.
 */
export function fcNibbleLayout(weights: Int8Array, n: number, k: number): NibbleLayout {
  const k8 = Math.ceil(k / 8);
  const words: number[] = [];
  const counts: number[] = [];
  const corrections: number[] = [];
  const wordOf = (row: number, j: number): number => {
    let v = 0;
    for (let i = 0; i < 8; i++) {
      const col = 8 * j + NIB_INPUT[i];
      const w = col < k ? weights[row * k + col] : 0;
      v += ((w + 8) & 15) * 2 ** (4 * i);
    }
    return v;
  };
  const groups = Math.floor(n / 4);
  for (let g = 0; g < groups; g++) for (let j = 0; j < k8; j++) for (let r = 0; r < 4; r++) words.push(wordOf(4 * g + r, j));
  for (let row = groups * 4; row < n; row++) for (let j = 0; j < k8; j++) words.push(wordOf(row, j));
  for (let row = 0; row < n; row++) {
    let c = 0;
    for (let col = 0; col < k; col++) {
      const w = weights[row * k + col];
      const q = ((w + 8) & 15) - 8;
      const h = (w - q) / 16;
      if (h !== 0) {
        corrections.push(scratchOffset(col) + ((16 * h) & 0xffff) * 65536);
        c++;
      }
    }
    counts.push(c);
  }
  return { words, counts, corrections, bytes: 4 * words.length + 4 * corrections.length + 2 * counts.length };
}

/** Nibble packing pays when it saves at least this share of the int8 weights, and 1 KB. */
export const NIBBLE_MIN_SAVING = 0.25;

/** Longest expanded input row kept in scratch (bytes); longer rows go in slices. */
export const FC_MAX_ROW_SCRATCH = 2048;
/** Groups of four inputs per slice for long rows. */
export const FC_SLICE_K4 = 128;

/** Scratch the kernel needs for a layer (bytes), given whether its weights are nibble-packed. */
export function fcScratchBytes(inputDepth: number, outputDepth: number, nibble: boolean): number {
  if (nibble) return Math.ceil(inputDepth / 8) * 16;
  const k4 = Math.ceil(inputDepth / 4);
  return k4 * 8 <= FC_MAX_ROW_SCRATCH ? k4 * 8 : FC_SLICE_K4 * 8 + 4 * outputDepth;
}

/**
 * The nibble layout of a layer's weights when it is used: it saves at least NIBBLE_MIN_SAVING of
 * the int8 layout and 1 KB, and its expanded row fits the row scratch (the corrections address
 * the whole row).
 */
export function fcNibbleChoice(weights: Int8Array, n: number, k: number): NibbleLayout | undefined {
  const int8Bytes = n * Math.ceil(k / 4) * 4;
  const nib = k >= 8 && Math.ceil(k / 8) * 16 <= FC_MAX_ROW_SCRATCH ? fcNibbleLayout(weights, n, k) : undefined;
  return nib !== undefined && int8Bytes - nib.bytes >= Math.max(1024, NIBBLE_MIN_SAVING * int8Bytes) ? nib : undefined;
}

/** Exact with the constants emitC gets; without them, enough for any weight layout. */
function scratchBytes(params: unknown, constants?: (TensorData | undefined)[], optimize?: OptimizeGoal): number {
  const p = params as FullyConnectedQuantParams;
  if (!constants) {
    const nibble = fcScratchBytes(p.inputDepth, p.outputDepth, true);
    return Math.max(fcScratchBytes(p.inputDepth, p.outputDepth, false), nibble <= FC_MAX_ROW_SCRATCH ? nibble : 0);
  }
  if (!hasConstantOperands(p, constants)) return 0;
  return fcLayoutScratchBytes(fcLayoutChoice(constants[1] as Int8Array, p.outputDepth, p.inputDepth, optimize), p.inputDepth, p.outputDepth);
}

/** Rows sharing the paired layout's expanded input row from which expanding it pays (measured on qemu-m4). */
export const FC_PAIR_EXPAND_MIN_ROWS = 16;

const INT16_MIN = -32768;
const TWO_31 = 2 ** 31;

/** The paired layout's weight bytes and the chunk (groups of four inputs) its proof holds over. */
export interface PairLayout {
  words: Int8Array;
  chunkK4: number;
}

/**
 * The longest chunk (groups of four inputs, halved from the whole row) over which every row b
 * of a pair keeps |256 * dot_b| < 2^31 for every int8 input: the kernel takes dot_b out of a
 * 32-bit sum after each chunk.
 */
function pairChunkK4(weights: Int8Array, n: number, k: number): number {
  const fits = (c: number) => {
    for (let rb = 1; rb < n; rb += 2) {
      for (let col = 0; col < k; col += 4 * c) {
        const b = accBounds(0, weights, rb * k + col, Math.min(4 * c, k - col));
        if (256 * b.min < -TWO_31 || 256 * b.max >= TWO_31) return false;
      }
    }
    return true;
  };
  let c = Math.ceil(k / 4);
  while (c > 1 && !fits(c)) c = Math.ceil(c / 2);
  return c; // four inputs: 256 * 4 * 128 * 128 < 2^31 always
}

/**
 * The paired layout of a layer's weights (fully_connected_dsp.h), or undefined when a half
 * 256 * w_b + w_a does not fit int16 (w_b = -128 with w_a < 0; TFLite's symmetric int8 weights
 * never have -128).
 */
export function fcPairLayout(weights: Int8Array, n: number, k: number): PairLayout | undefined {
  const k4 = Math.ceil(k / 4);
  const n4 = Math.ceil(n / 4) * 4;
  const w = (row: number, col: number) => (row < n && col < k ? weights[row * k + col] : 0);
  const half = (ra: number, col: number) => 256 * w(ra + 1, col) + w(ra, col);
  for (let ra = 0; ra < n; ra += 2) for (let col = 0; col < k; col++) if (half(ra, col) < INT16_MIN) return undefined;
  const out = new Int8Array(n4 * k4 * 4);
  let o = 0;
  for (let q = 0; q < n4; q += 4) {
    for (let j = 0; j < k4; j++) {
      for (const ra of [q, q + 2]) {
        for (const e of [0, 1]) {
          const h0 = half(ra, 4 * j + e);
          const h1 = half(ra, 4 * j + e + 2);
          // Int8Array stores the low byte of each (two's complement) value.
          out[o++] = h0;
          out[o++] = h0 >> 8;
          out[o++] = h1;
          out[o++] = h1 >> 8;
        }
      }
    }
  }
  return { words: out, chunkK4: pairChunkK4(weights, n, k) };
}

/** How a layer's int8 weights are laid out for the DSP kernel. */
export type FcLayout =
  | { kind: 'nibble'; nib: NibbleLayout }
  | { kind: 'pair'; pair: PairLayout; expanded: boolean }
  | { kind: 'int8' };

/**
 * The layout of a layer: nibbles when forced (int4 weights) or, with --optimize size, when they
 * save enough flash (fcNibbleChoice); else the paired rows when they are exact (fcPairLayout),
 * which take fewer instructions; else the four-row int8 layout. `optimize` undefined means speed.
 */
export function fcLayoutChoice(weights: Int8Array, n: number, k: number, optimize?: OptimizeGoal, forceNibble = false): FcLayout {
  if (forceNibble) return { kind: 'nibble', nib: fcNibbleLayout(weights, n, k) };
  if (optimize === 'size') {
    const nib = fcNibbleChoice(weights, n, k);
    return nib ? { kind: 'nibble', nib } : { kind: 'int8' };
  }
  const pair = fcPairLayout(weights, n, k);
  if (!pair) return { kind: 'int8' };
  // The kernel sums an expanded row in one chunk; rows that need more are read in place.
  const expanded = Math.ceil(n / 4) * 4 >= FC_PAIR_EXPAND_MIN_ROWS && Math.ceil(k / 4) * 8 <= FC_MAX_ROW_SCRATCH && pair.chunkK4 >= Math.ceil(k / 4);
  return { kind: 'pair', pair, expanded };
}

/** Scratch (bytes) the kernel of this layout needs. */
export function fcLayoutScratchBytes(layout: FcLayout, inputDepth: number, outputDepth: number): number {
  if (layout.kind === 'pair') return layout.expanded ? Math.ceil(inputDepth / 4) * 8 : 0;
  return fcScratchBytes(inputDepth, outputDepth, layout.kind === 'nibble');
}

/**
 * The plan with bias' and (per-channel) records for whole quads of rows, as the paired kernel
 * reads them: a padding row has bias' 0 and a zero-multiplier record; its output is dropped.
 */
function padQuads(plan: RequantPlan, n: number): RequantPlan {
  const pad = Math.ceil(n / 4) * 4 - n;
  const zeros = Array.from({ length: pad }, () => 0);
  const records = plan.records.length > 1 ? [...plan.records, ...zeros.map((): [number, number, number] => [0, 1, 1])] : plan.records;
  return { ...plan, bias: [...plan.bias, ...zeros], records };
}

/**
 * The DSP fully connected kernels' params (int8, nibble and sub-byte), pointing at the
 * `${pre}_bias` / `${pre}_rq` arrays; k8 > 0 (the nibble layout) also at its corrections.
 */
export function fcParamsDecl(pre: string, p: FullyConnectedQuantParams, plan: RequantPlan, k4: number, sliceK4: number, k8 = 0, pairChunkK4 = 0): string {
  return cStructInit('tinyml_fully_connected_dsp_params', `${pre}_params`, {
    batches: p.batches,
    input_depth: p.inputDepth,
    output_depth: p.outputDepth,
    k4,
    slice_k4: sliceK4,
    ...requantFields(pre, p, plan),
    k8,
    corr_count: k8 > 0 ? `${pre}_cc` : 'NULL',
    corr: k8 > 0 ? `${pre}_corr` : 'NULL',
    pair_chunk_k4: pairChunkK4,
  });
}

/**
 * The DSP fully connected layer with these constant operands. `forceNibble`: always the nibble
 * layout (int4 weights: it is then exact without corrections, and four bits a weight in flash).
 */
export function emitFullyConnectedDsp(
  p: FullyConnectedQuantParams,
  weights: Int8Array,
  bias: TensorData | undefined,
  names: EmitNames,
  ctx: EmitContext,
  forceNibble = false,
): CEmission {
  const n = p.outputDepth;
  const k = p.inputDepth;
  const k4 = Math.ceil(k / 4);
  const biasPrime = foldChannelBias(bias, weights, n, p.inputOffset, weightRows(k));
  const plan = planLayerRequant(p, weights, biasPrime, weightRows(k));
  const pre = ctx.prefix;
  const fn = modeSuffix(plan.mode, p.activationMin, p.activationMax, p.outputOffset);
  const layout = fcLayoutChoice(weights, n, k, ctx.optimize, forceNibble);
  const k8 = Math.ceil(k / 8);
  const scratchBytes = fcLayoutScratchBytes(layout, k, n);
  // The in-place paired kernel needs none (a planner that reserved some anyway passes it unused).
  const scratch = scratchBytes > 0 || ctx.scratch ? scratchFor(ctx, scratchBytes, 'fully_connected_s8_dsp') : 'NULL';
  const sliceK4 = layout.kind === 'pair' ? (layout.expanded ? k4 : 0) : layout.kind === 'nibble' || k4 * 8 <= FC_MAX_ROW_SCRATCH ? k4 : FC_SLICE_K4;
  const weightDecls =
    layout.kind === 'nibble'
      ? [cArray('uint32_t', `${pre}_w`, layout.nib.words), cArray('uint16_t', `${pre}_cc`, layout.nib.counts), cArray('uint32_t', `${pre}_corr`, layout.nib.corrections)]
      : [cArray('int8_t', `${pre}_w`, layout.kind === 'pair' ? layout.pair.words : fcWeightLayout(weights, n, k, k4))];
  const decls = [
    ...weightDecls,
    ...cRequantDecls(pre, layout.kind === 'pair' ? padQuads(plan, n) : plan),
    fcParamsDecl(pre, p, plan, k4, sliceK4, layout.kind === 'nibble' ? k8 : 0, layout.kind === 'pair' ? layout.pair.chunkK4 : 0),
  ].join('\n');
  const entry = layout.kind === 'nibble' ? 'nib_' : layout.kind === 'pair' ? 'pair_' : '';
  return {
    kernels: ['arm/fully_connected_dsp.c', 'arm/fully_connected_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/fully_connected_dsp.h'],
    decls,
    call:
      layout.kind === 'int8' && sliceK4 < k4
        ? `tinyml_fully_connected_s8_dsp_sliced(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch}, ${plan.mode});`
        : `tinyml_fully_connected_s8_dsp_${entry}${fn}(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`,
  };
}

export const fullyConnectedDspVariant: KernelVariant = {
  name: 'fully_connected_s8_dsp',
  op: 'FULLY_CONNECTED',
  accepts,
  emitC: emitWithConstants(fullyConnected, emitFullyConnectedDsp),
  scratchBytes,
};
