/**
 * DEPTHWISE_CONV_2D (int8, depth multiplier 1) on cores with the DSP extension:
 * firmware/kernels/arm/depthwise_conv2d_dsp.c. Weights are pre-expanded to int16 halfword pairs
 * (doubled in the FAST requantization modes) in the order the kernel reads them; the input
 * offset is folded into the bias. Scratch: the zero-point-padded input rows of one output row.
 * Input depth 1 (any multiplier) is a plain convolution and runs on conv2d_dsp.c.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import { depthwiseConv2d } from '../depthwise-conv2d.js';
import type { Conv2DQuantParams } from '../conv2d.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import { CONV_MAX_SCRATCH, convScratchBytes, emitConvDsp } from './conv2d.js';
import type { TensorData } from '../../ir/types.js';
import { RQ_REF, cArray, dspTarget, emitWithConstants, foldChannelBias, hasConstantOperands,
  lutTable16, modeSuffix, planLayerRequant, scratchFor, scratchWithConstants } from './common.js';
import { convGeometry, cStructInit } from '../c-emit.js';
import { depthwiseInPlaceOk, depthwiseInPlaceRowBytes } from '../depthwise-in-place.js';

/** Largest row scratch the variant takes (bytes); bigger layers keep the portable kernel. */
export const DW_MAX_SCRATCH = 16384;

/** Width of the zero-point-padded input rows the kernel works on. */
export function dwPaddedWidth(p: DepthwiseConv2DQuantParams): number {
  return (p.outputWidth - 1) * p.strideWidth + (p.filterWidth - 1) * p.dilationWidth + 1;
}

/** Bytes of scratch: filter_height padded rows. */
export function dwScratchBytes(p: DepthwiseConv2DQuantParams): number {
  return p.filterHeight * dwPaddedWidth(p) * p.outputDepth;
}

/** How the plane kernel runs a layer (depthwise_conv2d_dsp.h: band_rows, plane_pitch, transposed). */
export interface DwPlane {
  /** Plane rows of outputs per band. */
  band: number;
  /** int16 per plane row. */
  pitch: number;
  /** Plane rows are input columns. */
  transposed: boolean;
}

/**
 * Bytes of scratch the plane kernel touches for `plane` (depthwise_conv2d_dsp.c, dw_plane_run_bits):
 * the plane of a band (run in place over several bands it keeps nothing else: each channel goes
 * down its bands with the rows they share already in its plane).
 */
export function dwPlaneScratchBytes(p: DepthwiseConv2DQuantParams, plane: DwPlane, _inPlace = false): number {
  const strideRows = plane.transposed ? p.strideWidth : p.strideHeight;
  return ((plane.band - 1) * strideRows + 3) * plane.pitch * 2;
}

/**
 * Test knobs: `force` takes the plane kernel wherever it can run, whatever it is estimated to
 * cost; `off` never takes it (the row kernels).
 */
export const dwPlaneOptions = { force: false, off: false };

/**
 * Estimated instructions of the row kernel (qemu-m4): per output pixel, ~115 per group of four
 * channels (the 3x3 assembly loop with its share of the row copies) and ~60 per other channel.
 */
function rowKernelCost(p: DepthwiseConv2DQuantParams): number {
  return p.outputHeight * p.outputWidth * (Math.floor(p.inputDepth / 4) * 115 + (p.inputDepth % 4) * 60);
}

/**
 * Estimated instructions of the plane kernel for one orientation (qemu-m4, fitted within ~5% to
 * the layers of KWS and VWW): the padding; per channel ~340 of set-up and per band ~100 more, ~25
 * + 2.5 per value for each plane row filled (each once: a band after the first fills only its new
 * rows, moving those it shares with the one above), and per output row ~50 plus 62 per block of
 * four outputs (38 per block of two at stride 2) and 35 per output left to the C path; six-wide
 * rows as measured below.
 */
function planeKernelCost(p: DepthwiseConv2DQuantParams, v: PlaneGeometry, band: number): number {
  const six = sixWide(v);
  const per = v.strideCols === 1 ? 4 : 2;
  const whole = Math.floor(v.outCols / per);
  const rest = v.outCols - whole * per;
  const overlap = rest > 0 && whole > 0 && (v.strideCols === 2 || rest === 2);
  const blocks = Math.max(1, whole + (overlap ? 1 : 0));
  const singles = rest > 0 && !overlap && whole > 0 ? rest : 0;
  const body = Math.min(v.inCols, (v.outCols - 1) * v.strideCols + 3);
  const bands = Math.ceil(v.outRows / band);
  const planeRows = Math.min(band, v.outRows) * v.strideRows + 3 - v.strideRows;
  if (six && bands === 1) {
    // Six-wide rows (measured, VWW 6x6x128: 695 a channel): ~100 of set-up, then per row ~15 to
    // fill it (dw_plane_fill6) and ~85 for its six outputs.
    return planeRows * v.pitch * 2 + p.inputDepth * (100 + v.outRows * 100);
  }
  // Every input row the bands read is filled once; each band after the first moves 3 - stride rows.
  const filled = (v.outRows - 1) * v.strideRows + 3;
  const moved = (bands - 1) * Math.max(0, 3 - v.strideRows) * v.pitch;
  const perChannel = 340 + (bands - 1) * 100 + filled * (25 + 2.5 * body) + moved + v.outRows * (50 + blocks * (per === 4 ? 62 : 38) + singles * 35);
  return planeRows * v.pitch * 2 + p.inputDepth * perChannel;
}

interface PlaneGeometry {
  outRows: number;
  outCols: number;
  strideRows: number;
  strideCols: number;
  inCols: number;
  pitch: number;
  transposed: boolean;
}

/**
 * Rows of exactly six outputs, stride 1, not transposed (VWW's 6x6 layers): the kernel's
 * dw_band6_* computes a whole row as one block from plane rows of pitch 8 (the eight columns it
 * reads, one LDM each).
 */
function sixWide(v: Pick<PlaneGeometry, 'outCols' | 'strideCols' | 'strideRows' | 'transposed'>): boolean {
  return v.strideCols === 1 && v.strideRows === 1 && v.outCols === 6 && !v.transposed;
}

/**
 * The plane kernel's plan for a layer, or undefined for the row kernel: 3x3, dilation 1, stride
 * 1 or 2 along the plane rows, transposed when the output is taller than wide (longer plane
 * rows, fewer partial blocks), bands of the most output rows whose plane fits the row kernel's
 * scratch (so the arena never grows for it); and only where it is estimated to take fewer
 * instructions than the row kernel (small images with many channels do not: the per-channel
 * set-up outweighs the cheaper multiplies). In place over several bands only at stride 1 with
 * one row of padding (see below).
 */
export function dwPlane(p: DepthwiseConv2DQuantParams, inPlace = false): DwPlane | undefined {
  const k3 = p.filterHeight === 3 && p.filterWidth === 3 && p.dilationHeight === 1 && p.dilationWidth === 1;
  if (!k3 || p.depthMultiplier !== 1 || p.inputDepth < 2) return undefined;
  const budget = dwScratchBytes(p);
  const orientations = p.outputHeight > p.outputWidth ? [true, false] : [false, true];
  for (const transposed of orientations) {
    const [outRows, outCols] = transposed ? [p.outputWidth, p.outputHeight] : [p.outputHeight, p.outputWidth];
    const [strideRows, strideCols] = transposed ? [p.strideWidth, p.strideHeight] : [p.strideHeight, p.strideWidth];
    if (strideCols !== 1 && strideCols !== 2) continue;
    // Whole blocks of four outputs (stride 1) or two (stride 2), each reading six columns.
    // Six-wide rows: the eight columns they read (the kernel's six-output loop needs exactly 8).
    const pitch = sixWide({ outCols, strideCols, strideRows, transposed }) ? 8 : strideCols === 1 ? 4 * Math.ceil(outCols / 4) + 2 : 4 * Math.ceil(outCols / 2) + 2;
    const inCols = transposed ? p.inputHeight : p.inputWidth;
    const planeRows = Math.floor(budget / (2 * pitch));
    const band = Math.min(outRows, Math.floor((planeRows - 3) / strideRows) + 1);
    if (inPlace && band < outRows) {
      // In place over several bands: only where output rows lie over the same input rows (stride
      // 1, one row of padding, as many output rows and columns as input ones), so that a band's
      // outputs overwrite only input rows its channel has read (see dw_plane_bands_run).
      const [inRows, padRows] = transposed ? [p.inputWidth, p.padWidth] : [p.inputHeight, p.padHeight];
      if (strideRows !== 1 || padRows !== 1 || outRows !== inRows || outCols !== inCols) continue;
    }
    if (planeRows < 3 || band < 1) continue;
    const geometry = { outRows, outCols, strideRows, strideCols, inCols, pitch, transposed };
    if (!dwPlaneOptions.force && planeKernelCost(p, geometry, band) >= rowKernelCost(p)) return undefined;
    return { band, pitch, transposed };
  }
  return undefined;
}

/**
 * The plane plan of a layer being emitted in requantization `mode`: none in row-stream pairs
 * (called one output row at a time, the set-up would not pay off), and only where the assembly
 * block loops run (FAST, FOLDED or FAST_MIXED, no fused clamp; elsewhere the plane's C path is
 * slower than the row kernel), unless dwPlaneOptions.force.
 */
export function dwPlaneFor(p: DepthwiseConv2DQuantParams, mode: number, ctx: EmitContext): DwPlane | undefined {
  if (ctx.rowBands || dwPlaneOptions.off) return undefined;
  const asm = mode !== RQ_REF && p.activationMin === -128 && p.activationMax === 127;
  return asm || dwPlaneOptions.force ? dwPlane(p, ctx.inPlace === true) : undefined;
}

/**
 * The plane kernel's weights, from TFLite's [1, 3, 3, C]: per channel the SMLAD pairs of its three
 * filter rows as the plane sees them (filter columns when transposed), P = (w0, w1) and Q = (w1,
 * w2) as int16 halves, six words: what the kernel used to pack per channel at run time.
 */
export function dwPlaneWeights(weights: Int8Array | Int16Array, c: number, scale: number, transposed: boolean): Int16Array {
  const out = new Int16Array(12 * c);
  const tap = (ch: number, k: number, j: number) => weights[(transposed ? 3 * j + k : 3 * k + j) * c + ch] * scale;
  for (let ch = 0; ch < c; ch++) {
    for (let k = 0; k < 3; k++) {
      const o = 12 * ch + 4 * k;
      out[o] = tap(ch, k, 0);
      out[o + 1] = tap(ch, k, 1);
      out[o + 2] = tap(ch, k, 1);
      out[o + 3] = tap(ch, k, 2);
    }
  }
  return out;
}

/** The plane kernel's records: per channel {multiplier, t, e, bias'}. */
export function dwPlaneRecords(bias: readonly number[], records: readonly [number, number, number][], c: number): number[] {
  const out: number[] = [];
  for (let ch = 0; ch < c; ch++) out.push(...records[records.length > 1 ? ch : 0], bias[ch]);
  return out;
}

/**
 * A depthwise layer with input depth 1 is a plain convolution with depth_multiplier output
 * channels (output channel m reads weights [.., .., m]): it runs on the convolution kernel.
 */
export function dwAsConv(p: DepthwiseConv2DQuantParams): Conv2DQuantParams {
  return {
    ...p,
    filterInputDepth: 1,
    groups: 1,
  };
}

function accepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  const p = params as DepthwiseConv2DParams;
  if (!dspTarget(target) || p.kind !== 'int8') return false;
  // Weights with a zero point (legacy uint8 models) are stored minus it, as int16: the channel
  // kernel's layout anyway, the conv path's only when not optimizing for size.
  if (p.inputDepth === 1) return (p.weightsOffset === 0 || optimize !== 'size') && convScratchBytes(dwAsConv(p)) <= CONV_MAX_SCRATCH;
  return p.depthMultiplier === 1 && dwScratchBytes(p) <= DW_MAX_SCRATCH;
}

const scratchBytes = scratchWithConstants<DepthwiseConv2DQuantParams>((p) => (p.inputDepth === 1 ? convScratchBytes(dwAsConv(p)) : dwScratchBytes(p)));

/**
 * int16 weights in kernel order (see depthwise_conv2d_dsp.h), from TFLite's [1, fh, fw, C];
 * `k3` (a 3x3 filter): the row kernel's SMLAD pairs of taps.
 */
export function dwWeightLayout(weights: Int8Array | Int16Array, taps: number, c: number, scale: number, k3 = false): Int16Array {
  const out = new Int16Array(taps * c);
  let o = 0;
  const groups = Math.floor(c / 4);
  for (let g = 0; g < groups; g++) {
    // 3x3 filters: pair (4, 5), tap 8, pairs (6, 7), (2, 3), (0, 1) (the kernel's order), a pair
    // (a, b) as one word (w[a], w[b]) per channel for SMLAD, tap 8 as the other filters' taps.
    const order = k3 ? [4, 8, 6, 2, 0] : Array.from({ length: taps }, (_, t) => t);
    for (const t of order) {
      if (k3 && t !== 8) {
        for (let k = 0; k < 4; k++) {
          out[o++] = weights[t * c + 4 * g + k] * scale;
          out[o++] = weights[(t + 1) * c + 4 * g + k] * scale;
        }
        continue;
      }
      const base = t * c + 4 * g;
      out[o++] = weights[base] * scale;
      out[o++] = weights[base + 2] * scale;
      out[o++] = weights[base + 1] * scale;
      out[o++] = weights[base + 3] * scale;
    }
  }
  for (let ch = groups * 4; ch < c; ch++) {
    for (let t = 0; t < taps; t++) out[o++] = weights[t * c + ch] * scale;
  }
  return out;
}

/**
 * Bias and requantization records in kernel order: per group of four channels the four biases
 * then {multiplier, t, e} of each; per remaining channel bias, multiplier, t, e.
 */
/** [1, fh, fw, M] depthwise weights as the OHWI [M, fh, fw, 1] weights of dwAsConv(p)'s convolution. */
export function dwWeightsAsConv(weights: Int8Array, p: DepthwiseConv2DQuantParams): Int8Array {
  const taps = p.filterHeight * p.filterWidth;
  const m = p.outputDepth;
  const ohwi = new Int8Array(taps * m);
  for (let t = 0; t < taps; t++) for (let o = 0; o < m; o++) ohwi[o * taps + t] = weights[t * m + o];
  return ohwi;
}

/**
 * The DSP depthwise kernels' params (int8 and sub-byte), pointing at the records `q` (default
 * `${pre}_q`; NULL for the sub-byte kernel, which reads them from its weight stream).
 * Depth multiplier 1: the packed geometry's input depth is the channel count.
 */
export function dwParamsDecl(pre: string, p: DepthwiseConv2DQuantParams, q = `${pre}_q`, plane?: DwPlane, pixelCalls = false): string {
  return cStructInit('tinyml_depthwise_conv2d_dsp_params', `${pre}_params`, {
    ...convGeometry('packed', p),
    padded_width: dwPaddedWidth(p),
    pad_value: -p.inputOffset,
    output_offset: p.outputOffset,
    activation_min: p.activationMin,
    activation_max: p.activationMax,
    q,
    band_rows: plane?.band ?? 0,
    plane_pitch: plane?.pitch ?? 0,
    transposed: plane?.transposed ? 1 : 0,
    pixel_calls: pixelCalls ? 1 : 0,
  });
}

export function dwRecords(bias: readonly number[], records: readonly [number, number, number][], c: number): number[] {
  const rec = (ch: number) => records[records.length > 1 ? ch : 0];
  const out: number[] = [];
  const groups = Math.floor(c / 4);
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < 4; k++) out.push(bias[4 * g + k]);
    for (let k = 0; k < 4; k++) out.push(...rec(4 * g + k));
  }
  for (let ch = groups * 4; ch < c; ch++) out.push(bias[ch], ...rec(ch));
  return out;
}

function emitDepthwiseDsp(p: DepthwiseConv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  if (ctx.inPlace && inPlaceScratchBytes(p, ctx.constants) === undefined) throw new Error(`${ctx.prefix}: this depthwise layer cannot run in place`);
  if (p.inputDepth === 1) return emitConvDsp(dwAsConv(p), dwWeightsAsConv(weights, p), bias, names, ctx);
  const c = p.outputDepth;
  const taps = p.filterHeight * p.filterWidth;
  // The weights the kernel multiplies: minus their zero point when they have one (legacy uint8).
  const wOff = p.weightsOffset ?? 0;
  const eff = wOff === 0 ? weights : Int16Array.from(weights, (v) => v + wOff);
  const channel = { step: 1, count: taps, stride: c };
  const biasPrime = foldChannelBias(bias, eff, c, p.inputOffset, channel);
  const plan = planLayerRequant(p, eff, biasPrime, channel);
  const plane = dwPlaneFor(p, plan.mode, ctx);
  const scale = plan.doubled ? 2 : 1;
  const w = plane ? dwPlaneWeights(eff, c, scale, plane.transposed) : dwWeightLayout(eff, taps, c, scale, p.filterHeight === 3 && p.filterWidth === 3);
  const pre = ctx.prefix;
  const scratch = scratchFor(ctx, dwScratchBytes(p), 'depthwise_conv2d_s8_dsp');
  const decls = [
    cArray('int16_t', `${pre}_w`, w),
    cArray('int32_t', `${pre}_q`, plane ? dwPlaneRecords(plan.bias, plan.records, c) : dwRecords(plan.bias, plan.records, c)),
    // In a row-streamed pair the int8 row kernel runs its whole-row loop too (pixel_calls 0; it
    // saves VWW's pair 2+3 ~19,500 instructions). It used to keep one call per output pixel: the
    // sub-byte pair saved only about half that, which would have put the ternary pair over issue
    // #15's bound (1.17x int8, test/subbyte/stream-pair.test.ts); the sub-byte row kernel's
    // group-after-group loop (depthwise_conv2d_dsp.c) now saves the sub-byte pairs more.
    dwParamsDecl(pre, p, `${pre}_q`, plane),
  ].join('\n');
  const fn = `tinyml_depthwise_conv2d_s8_dsp_${modeSuffix(plan.mode, p.activationMin, p.activationMax, p.outputOffset)}`;
  return {
    kernels: ['arm/depthwise_conv2d_dsp.c', 'arm/depthwise_conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/depthwise_conv2d_dsp.h'],
    decls,
    call: `${fn}(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`,
  };
}

/**
 * Clustered weights (4-bit indices into one table of at most 16 levels, ir/weight-encoding.ts) on
 * the plane kernel: tinyml_depthwise_conv2d_s8_dsp_lut4_* decodes each channel's nine indices into
 * the frame the int8 loops read, so the layer costs its int8 twin's instructions plus about 50 a
 * channel, with the indices (4.5 bytes a channel) and the table in flash. `decoded` are the
 * weights (the table's values at the indices, TFLite's [1, 3, 3, C]), `indices` in the same
 * order. Undefined where the plane kernel would not run the int8 layer, or where its plane
 * (dwPlaneScratchBytes) exceeds `scratchBytes` (the LUT kernel's, which the planner placed: the
 * arena never grows).
 */
export function emitDepthwisePlaneLut4(
  p: DepthwiseConv2DQuantParams, decoded: Int8Array, indices: ArrayLike<number>, table: ArrayLike<number>,
  bias: TensorData | undefined, names: EmitNames, ctx: EmitContext, scratchBytes: number,
): CEmission | undefined {
  if (p.inputDepth === 1 || p.depthMultiplier !== 1 || (p.weightsOffset ?? 0) !== 0) return undefined;
  const c = p.outputDepth;
  const channel = { step: 1, count: p.filterHeight * p.filterWidth, stride: c };
  const biasPrime = foldChannelBias(bias, decoded, c, p.inputOffset, channel);
  const plan = planLayerRequant(p, decoded, biasPrime, channel);
  const plane = dwPlaneFor(p, plan.mode, ctx);
  // What the plane kernel touches (its plane, and the carried row in place), not the row kernel's
  // scratch it was planned within: VWW's 6x6x128 planes take 128 bytes of the LUT kernel's.
  const bytes = plane ? dwPlaneScratchBytes(p, plane, ctx.inPlace === true) : 0;
  if (!plane || bytes > scratchBytes) return undefined;
  // Nine nibbles a channel from nibble 9 ch, low first, each filter row as the plane sees it.
  const nibbles = new Uint8Array(Math.ceil((9 * c) / 2) + 1);
  for (let ch = 0; ch < c; ch++) {
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 3; j++) {
        const n = 9 * ch + 3 * k + j;
        const idx = indices[(plane.transposed ? 3 * j + k : 3 * k + j) * c + ch];
        nibbles[n >> 1] |= n & 1 ? idx << 4 : idx;
      }
    }
  }
  const t16 = lutTable16(table);
  const pre = ctx.prefix;
  const scratch = scratchFor(ctx, bytes, 'depthwise_conv2d_s8_dsp_lut4');
  const decls = [
    cArray('uint8_t', `${pre}_idx`, nibbles),
    cArray('int8_t', `${pre}_table`, t16),
    `static const tinyml_dw_plane_lut4 ${pre}_lut4 = {${pre}_idx, ${pre}_table};`,
    cArray('int32_t', `${pre}_q`, dwPlaneRecords(plan.bias, plan.records, c)),
    dwParamsDecl(pre, p, `${pre}_q`, plane),
  ].join('\n');
  const fn = `tinyml_depthwise_conv2d_s8_dsp_lut4_${modeSuffix(plan.mode, p.activationMin, p.activationMax, p.outputOffset)}`;
  return {
    kernels: ['arm/depthwise_conv2d_dsp.c', 'arm/depthwise_conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/depthwise_conv2d_dsp.h'],
    decls,
    call: `${fn}(&${pre}_params, ${names.inputs[0]}, &${pre}_lut4, ${names.outputs[0]}, ${scratch});`,
  };
}

/**
 * In place, the kernel is called with the same buffer as input and output: its padded rows move
 * down in scratch and each input row is read once (fill_rows), so the scratch is the usual one.
 * The input-depth-1 layers (convolution kernel) do not run in place; without constant weights
 * the portable in-place kernel runs.
 */
function inPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = params as DepthwiseConv2DQuantParams;
  if (p.inputDepth === 1 || !depthwiseInPlaceOk(p)) return undefined;
  if (constants && !hasConstantOperands(p, constants)) return depthwiseInPlaceRowBytes(p);
  return dwScratchBytes(p);
}

export const depthwiseConv2dDspVariant: KernelVariant = {
  name: 'depthwise_conv2d_s8_dsp',
  op: 'DEPTHWISE_CONV_2D',
  accepts,
  emitC: emitWithConstants(depthwiseConv2d, emitDepthwiseDsp),
  scratchBytes,
  inPlaceScratchBytes,
};
