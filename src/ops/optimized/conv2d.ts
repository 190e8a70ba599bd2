/**
 * CONV_2D on cores with the DSP extension: firmware/kernels/arm/conv2d_dsp.c (im2col of four
 * output pixels, 1x4-blocked SMLAD matrix multiply; 1x1 stride-1 convolutions read the pixels
 * directly). Weights are laid out offline in the order the kernel reads them (rows padded to a
 * multiple of 4, int16 for layers with many output pixels, each row followed by its channel's
 * bias' and requantization record), the input offset folded into the bias. Weights with a zero point (legacy uint8 models) are stored with it
 * subtracted, as int16 (w - z lies in [-255, 255]), so the kernel is unchanged.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { Conv2DParams, Conv2DQuantParams } from '../conv2d.js';
import { conv2d, isUnitWindow } from '../conv2d.js';
import { pointwiseExpandInPlaceOk, pointwiseInPlaceOk } from '../pointwise-in-place.js';
import { rowInPlaceBytes, rowInPlaceMode } from '../conv-rows-in-place.js';
import type { TensorData } from '../../ir/types.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import {
  RQ_FAST_FOLDED,
  cArray,
  cMode,
  dspTarget,
  rqNofix,
  emitWithConstants,
  foldChannelBias,
  planLayerRequant,
  requantFields,
  type RequantPlan,
  scratchFor,
  hasConstantOperands,
  weightRows,
} from './common.js';
import { convGeometry, cStructInit } from '../c-emit.js';
import { BAND_NAMES, BAND_SCRATCH, emitConvRowsInPlace } from './band-function.js';

/** Largest im2col scratch the variant takes (bytes); bigger layers keep the portable kernel. */
export const CONV_MAX_SCRATCH = 32768;

export function convK4(p: Conv2DQuantParams): number {
  return Math.ceil((p.filterHeight * p.filterWidth * p.filterInputDepth) / 4);
}

/** Bytes of scratch the kernel needs for this layer. */
export function convScratchBytes(p: Conv2DQuantParams): number {
  return convK4(p) * (p.inputDepth % 4 === 0 ? 32 : 36);
}

/**
 * Output pixels from which a layer's weights are stored pre-expanded to int16 (twice their flash,
 * about 15% fewer instructions in the inner loop): layers that reuse each weight many times.
 * Never when optimizing for size.
 */
export const CONV_W16_MIN_PIXELS = 96;

/**
 * Bytes of scratch up to which a pointwise layer runs on decoded rows (conv2d_dsp.c, "decoded
 * rows": the columns of its blocks of four pixels written once, as many blocks at a time as this
 * allows, each channel's row decoded once per such chunk into an int16 row, the W16 loop over
 * every block of the chunk from it). The cap keeps the path where the arena has room (VWW: its
 * 6x6 layers, 9,504 bytes at 128 channels, in one chunk); checked against VWW's, KWS's and
 * ResNet-8's arenas, which stay as they were.
 */
export const CONV_DECODED_MAX_BYTES = 9504;
/**
 * The same for an int8 layer in place (its buffer the larger of input and output, the scratch
 * beside it; sub-byte layers in place announce none and take them only in the room the plan
 * gives them, ops/subbyte/dsp.ts).
 */
export const CONV_DECODED_IN_PLACE_MAX_BYTES = 5800;

/** The decoded rows' scratch (TINYML_CONV2D_DSP_DECODED_BYTES): `blocks` blocks' columns and one row. */
export function convDecodedBytes(p: Conv2DQuantParams, blocks: number): number {
  const k4 = convK4(p);
  return blocks * k4 * 32 + (2 * k4 + 8) * 4;
}

/** A layer's scratch with `blocks` blocks of decoded rows a chunk (0: none): the larger of both. */
export function withDecodedScratch(p: Conv2DQuantParams, blocks: number, usual: number): number {
  return blocks ? Math.max(usual, convDecodedBytes(p, blocks)) : usual;
}

/**
 * Blocks of four pixels a chunk of decoded rows (the params' decoded_rows), or 0 where the layer's
 * shape does not take them (the FOLDED requantization is checked where the plan is known; the
 * scratch is sized on this alone): pointwise, depth a multiple of 64 or 32 (k4 a multiple of 16:
 * the loop's pass, or 8: one pass of 8 groups), full clamp, at least 16 pixels (fewer blocks do not pay for decoding each row),
 * not when optimizing for size, chunks of at least four blocks within CONV_DECODED_MAX_BYTES.
 * `subByte`: int8 layers only under CONV_W16_MIN_PIXELS (more take the int16 rows of flash);
 * sub-byte rows, which have no int16 form in flash, at any size, in as many chunks as needed
 * (in place the sub-byte kernels announce none and ask for room instead: ops/subbyte/dsp.ts).
 */
export function convDecodedBlocks(p: Conv2DQuantParams, optimize: OptimizeGoal | undefined, subByte: boolean, inPlace = false): number {
  return convDecodedBlocksWithin(p, optimize, subByte, inPlace ? CONV_DECODED_IN_PLACE_MAX_BYTES : CONV_DECODED_MAX_BYTES);
}

/**
 * convDecodedBlocks with the chunks' scratch capped at `bytes` (the sub-byte kernels in place:
 * what the memory plan gave the layer, ops/subbyte/dsp.ts): the fewest chunks of at least four
 * blocks that fit, balanced, or 0. `depth16`: input depth 16 too (k4 = 4, one pass of 4 groups:
 * VWW's 24x24x16 -> 32 widening in place, sub-byte rows in the room its step has).
 */
export function convDecodedBlocksWithin(p: Conv2DQuantParams, optimize: OptimizeGoal | undefined, subByte: boolean, bytes: number, depth16 = false): number {
  const npix = p.outputHeight * p.outputWidth;
  const ok =
    optimize !== 'size' &&
    p.groups === 1 &&
    isUnitWindow(p) &&
    p.inputDepth === p.filterInputDepth &&
    (p.inputDepth % 64 === 0 || p.inputDepth === 32 || (depth16 && p.inputDepth === 16)) &&
    (p.weightsOffset ?? 0) === 0 &&
    p.activationMin === -128 &&
    p.activationMax === 127 &&
    npix >= 16 &&
    (subByte || npix < CONV_W16_MIN_PIXELS);
  if (!ok) return 0;
  const blocks = npix >> 2;
  const most = Math.floor((bytes - convDecodedBytes(p, 0)) / (convK4(p) * 32));
  if (most < 4) return 0;
  const chunks = Math.ceil(blocks / most);
  return Math.ceil(blocks / chunks);
}

/**
 * The kernel's weight stream (conv2d_dsp.c): per output channel its row and its record {m, t, e}
 * with bias' (a per-tensor layer's record repeated), as 32-bit words. A row is `k` OHWI weights
 * padded with zeros to k4 groups of four: one word of int8 per group, then the record {m, t, e,
 * bias'}; or with `w16` two words of int16 per group, (w0, w2) then (w1, w3), doubled in the FAST
 * modes (which accumulate 2 * acc; the kernel then leaves the inputs as they are), with bias' four
 * times before the row (the four accumulators' start values, one LDM: no add per output) and
 * {m, t, e} after it.
 */
export function convWeightStream(eff: ArrayLike<number>, k: number, n: number, k4: number, w16: boolean, plan: RequantPlan): Uint32Array {
  const rowWords = w16 ? 2 * k4 : k4;
  const out = new Uint32Array(n * (rowWords + (w16 ? CONV_W16_BIAS_WORDS + 3 : 4)));
  const scale = w16 && plan.doubled ? 2 : 1;
  const at = (c: number, i: number) => (i < k ? eff[c * k + i] * scale : 0);
  let o = 0;
  for (let c = 0; c < n; c++) {
    if (w16) for (let i = 0; i < CONV_W16_BIAS_WORDS; i++) out[o++] = plan.bias[c] >>> 0;
    for (let j = 0; j < k4; j++) {
      const [w0, w1, w2, w3] = [at(c, 4 * j), at(c, 4 * j + 1), at(c, 4 * j + 2), at(c, 4 * j + 3)];
      if (w16) {
        out[o++] = ((w0 & 0xffff) | (w2 << 16)) >>> 0;
        out[o++] = ((w1 & 0xffff) | (w3 << 16)) >>> 0;
      } else {
        out[o++] = ((w0 & 0xff) | ((w1 & 0xff) << 8) | ((w2 & 0xff) << 16) | (w3 << 24)) >>> 0;
      }
    }
    const [m, t, e] = plan.records[plan.records.length > 1 ? c : 0];
    out[o++] = m >>> 0;
    out[o++] = t >>> 0;
    out[o++] = e >>> 0;
    if (!w16) out[o++] = plan.bias[c] >>> 0;
  }
  return out;
}

/** Copies of bias' before each int16 row (the 1x4 tile's accumulators). */
const CONV_W16_BIAS_WORDS = 4;

function accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  const p = params as Conv2DParams;
  // Weights with a zero point (legacy uint8 models) need the int16 layout: not when optimizing for size.
  if (p.kind === 'int8' && p.weightsOffset !== 0 && optimize === 'size') return false;
  return dspTarget(target) && p.kind === 'int8' && p.groups === 1 && convScratchBytes(p) <= CONV_MAX_SCRATCH;
}

/**
 * The weights an int8 convolution's DSP kernels multiply (minus their zero point when they have
 * one: legacy uint8) and the layer's requantization plan over them, the input offset folded
 * into the bias; shared by the generic and the stem kernel. `allowMixed`: FAST_MIXED where the
 * plan would otherwise be REF (kernels that take it: the sub-byte ones).
 */
export function convRequantPlan(p: Conv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, allowMixed = false): { eff: Int8Array | Int16Array; plan: RequantPlan } {
  const k = p.filterHeight * p.filterWidth * p.filterInputDepth;
  const wOff = p.weightsOffset ?? 0;
  const eff = wOff === 0 ? weights : Int16Array.from(weights, (v) => v + wOff);
  const biasPrime = foldChannelBias(bias, eff, p.outputDepth, p.inputOffset, weightRows(k));
  return { eff, plan: planLayerRequant(p, eff, biasPrime, weightRows(k), allowMixed) };
}

/**
 * The DSP convolution of an int8 CONV_2D-shaped layer (groups 1) with OHWI `weights`; also used
 * for depthwise layers that are plain convolutions (input depth 1).
 */
export function emitConvDsp(p: Conv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const k = p.filterHeight * p.filterWidth * p.filterInputDepth;
  const k4 = convK4(p);
  const n = p.outputDepth;
  const wOff = p.weightsOffset ?? 0;
  const { eff, plan } = convRequantPlan(p, weights, bias);
  const pre = ctx.prefix;
  // The entry points without the sign correction (_nf, FOLDED layers) where the clamp makes it
  // dead; in place through the band-function drivers, which call them on each band.
  const nf = plan.mode === RQ_FAST_FOLDED && rqNofix(plan.mode, p.outputOffset, p.activationMin);
  if (nf && ctx.inPlace === true && !pointwiseInPlaceOk(p)) {
    if (!pointwiseExpandInPlaceOk(p) && !rowInPlaceMode(p)) throw new Error(`${pre}: this convolution cannot run in place`);
    const plain = emitConvDsp(p, weights, bias, BAND_NAMES, { ...ctx, inPlace: false, scratch: BAND_SCRATCH });
    return emitConvRowsInPlace(p, plain, convScratchBytes(p), names, ctx, /^tinyml_conv2d_s8_dsp(_w16)?_nf$/);
  }
  // In place through a row window (ops/conv-rows-in-place.ts): the window, then the kernel's scratch.
  // A widening pointwise layer in place: runs of pixels from the last down (ops/pointwise-in-place.ts).
  const expand = ctx.inPlace === true && pointwiseExpandInPlaceOk(p);
  const windowed = ctx.inPlace === true && !pointwiseInPlaceOk(p) && !expand;
  const mode = windowed ? rowInPlaceMode(p) : undefined;
  if (windowed && !mode) throw new Error(`${pre}: this convolution cannot run in place`);
  // Decoded rows (convDecodedBlocks): the plain call only (in place as it is too: a chunk's inputs are
  // all in its columns before any of its outputs is written; not a pair's band), FOLDED.
  const decoded = (!ctx.inPlace || pointwiseInPlaceOk(p)) && ctx.scratch !== BAND_SCRATCH && plan.mode === RQ_FAST_FOLDED ? convDecodedBlocks(p, ctx.optimize, false, ctx.inPlace === true) : 0;
  const scratch = scratchFor(ctx, decoded ? convDecodedBytes(p, decoded) : (windowed ? rowInPlaceBytes(p)! : 0) + convScratchBytes(p), windowed ? 'conv2d_s8_dsp_in_place' : 'conv2d_s8_dsp');
  const w16 = !decoded && (wOff !== 0 || (ctx.optimize !== 'size' && p.batches * p.outputHeight * p.outputWidth >= CONV_W16_MIN_PIXELS));
  const decls = [
    cArray('uint32_t', `${pre}_w`, convWeightStream(eff, k, n, k4, w16, plan)),
    cStructInit('tinyml_conv2d_dsp_params', `${pre}_params`, {
      ...convGeometry('packed', p),
      output_depth: n,
      k4,
      pad_value: -p.inputOffset,
      mode: nf ? cMode(plan.mode, p.outputOffset, p.activationMin) : plan.mode,
      // Bias' and the records are in the weight stream.
      ...requantFields(pre, p, plan),
      bias: 'NULL',
      rq: 'NULL',
      descending: 0,
      decoded_rows: decoded,
    }),
  ].join('\n');
  if (expand) {
    return {
      kernels: ['arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h', 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'],
      includes: ['arm/conv2d_dsp_in_place.h'],
      decls,
      call: `tinyml_conv2d_s8_dsp_in_place_expand(&${pre}_params, ${names.outputs[0]}, ${pre}_w, ${w16 ? 1 : 0}, ${scratch});`,
    };
  }
  if (windowed) {
    return {
      // The row driver also dispatches to the stem kernel (conv2d-stem.ts), so it links with it.
      kernels: ['arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h', 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'],
      includes: ['arm/conv2d_dsp_in_place.h'],
      decls,
      call: `tinyml_conv2d_s8_dsp_in_place${mode === 'stage' ? '_staged' : ''}(&${pre}_params, ${names.outputs[0]}, ${pre}_w, ${w16 ? 1 : 0}, ${scratch});`,
    };
  }
  const call = `tinyml_conv2d_s8_dsp${w16 ? '_w16' : ''}${nf ? '_nf' : ''}(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`;
  return {
    kernels: ['arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/conv2d_dsp.h'],
    decls,
    call,
  };
}

/**
 * Pointwise layers run in place with their usual scratch, as they are or, widening, in runs of
 * pixels from the last down (ops/pointwise-in-place.ts); other convolutions the row rules accept with a window of input
 * rows, or a one-row output stage, before it (ops/conv-rows-in-place.ts).
 */
function inPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = params as Conv2DQuantParams;
  if (p.kind !== 'int8' || p.groups !== 1 || (constants && !hasConstantOperands(p, constants))) return undefined;
  if (pointwiseInPlaceOk(p)) {
    return withDecodedScratch(p, convDecodedBlocks(p, undefined, false, true), convScratchBytes(p));
  }
  if (pointwiseExpandInPlaceOk(p)) return convScratchBytes(p);
  const rows = rowInPlaceBytes(p);
  return rows === undefined ? undefined : rows + convScratchBytes(p);
}

export const conv2dDspVariant: KernelVariant = {
  name: 'conv2d_s8_dsp',
  op: 'CONV_2D',
  accepts,
  emitC: emitWithConstants(conv2d, emitConvDsp),
  scratchBytes: (params, constants, optimize) => {
    const p = params as Conv2DQuantParams;
    if (constants && !hasConstantOperands(p, constants)) return 0;
    return withDecodedScratch(p, convDecodedBlocks(p, optimize, false), convScratchBytes(p));
  },
  inPlaceScratchBytes,
};
