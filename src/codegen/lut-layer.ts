/**
 * Clustered-weight layers (`weightEncoding` 'lut') lowered to firmware/kernels/lut_layers.c: the
 * weights go to flash as TFLite Micro's packed indices plus the int8 table(s), never as int8
 * values, and the layer calls the LUT kernel with the params struct of the op's own portable
 * int8 kernel (same loops, so bit-exact with the int8 kernel on the decoded weights). Layers the
 * LUT kernels do not cover (16x8, other ops) run the int8 kernel on the decoded weights.
 */
import type { PreparedGraph, PreparedStep } from '../interp/interpreter.js';
import type { LutEncoding } from '../ir/weight-encoding.js';
import type { CEmission, EmitContext, EmitNames, TargetInfo } from '../ops/op-def.js';
import { cStructInit, convGeometry } from '../ops/c-emit.js';
import { type AccBounds, accBounds, cRqArray, foldChannelBias, lutTable16, modeSuffix, planLayerRequant, planRequant, scratchFor } from '../ops/optimized/common.js';
import { packIndices } from '../tflite/lut-compression.js';
import { cArrayBody } from './c-literals.js';
import type { OptimizeGoal } from '../ops/op-def.js';
import { isUnitWindow, type Conv2DQuantParams } from '../ops/conv2d.js';
import type { DepthwiseConv2DQuantParams } from '../ops/depthwise-conv2d.js';
import { emitConvStem, lutStemFrameOnly, stemConvOf, stemDecodedScratchBytes, stemScratchBytes } from '../ops/optimized/conv2d-stem.js';
import { dwParamsDecl, dwPlane, dwRecords, dwScratchBytes, dwWeightLayout, dwWeightsAsConv, emitDepthwisePlaneLut4 } from '../ops/optimized/depthwise-conv2d.js';
import { pointwiseInPlaceOk } from '../ops/pointwise-in-place.js';
import { depthwiseInPlaceOk } from '../ops/depthwise-in-place.js';
import { rowInPlaceBytes, rowInPlaceMode } from '../ops/conv-rows-in-place.js';
import { BAND_NAMES, BAND_SCRATCH } from '../ops/optimized/band-function.js';

const LUT_KERNELS: Record<string, string> = {
  CONV_2D: 'tinyml_conv2d_s8',
  DEPTHWISE_CONV_2D: 'tinyml_depthwise_conv2d_s8',
  FULLY_CONNECTED: 'tinyml_fully_connected_s8',
};

/** The LUT encoding of step `k`'s weights when a LUT kernel runs it, else undefined. */
export function stepLutEncoding(prepared: PreparedGraph, k: number): LutEncoding | undefined {
  const step = prepared.steps[k];
  if (!(step.op.type in LUT_KERNELS) || (step.params as { kind?: string }).kind !== 'int8') return undefined;
  const w = step.op.inputs[1];
  const enc = w >= 0 ? prepared.graph.tensors[w].weightEncoding : undefined;
  return enc?.kind === 'lut' ? enc : undefined;
}

/** Bytes the layer's weights take in flash: packed indices (plus the spare byte) and tables. */
export function lutFlashBytes(enc: LutEncoding): number {
  return Math.ceil((enc.indices.length * enc.bits) / 8) + 1 + enc.table.length;
}

/** Scratch of the DSP kernels' pair table (firmware/kernels/arm/lut_conv2d_dsp.h). */
const LUT4_PAIR_SCRATCH = 1024;

/**
 * Whether the layer runs a DSP LUT kernel (arm/lut_conv2d_dsp.c, arm/lut_depthwise_conv2d_dsp.c,
 * arm/lut_fully_connected_dsp.c): a DSP core, 4-bit indices into one table for the layer, and a
 * CONV_2D without groups whose input depth is a multiple of 4, a DEPTHWISE_CONV_2D of depth
 * multiplier 1 likewise, or a FULLY_CONNECTED whose depth is.
 */
function dspLutConv(step: PreparedStep, enc: LutEncoding, target: TargetInfo | undefined): boolean {
  if (target?.dsp !== true || enc.bits !== 4 || enc.scope !== 'tensor') return false;
  // The pair table holds the weights themselves: no weight zero point (legacy uint8) to subtract.
  if (((step.params as { weightsOffset?: number }).weightsOffset ?? 0) !== 0) return false;
  if (step.op.type === 'CONV_2D') {
    const p = step.params as { groups?: number; filterInputDepth?: number };
    return p.groups === 1 && ((p.filterInputDepth ?? 1) % 4 === 0 || im2colK4(step) !== undefined);
  }
  if (step.op.type === 'DEPTHWISE_CONV_2D') {
    const p = step.params as { depthMultiplier?: number; inputDepth?: number; filterHeight?: number; filterWidth?: number };
    // TINYML_LUT_DW_MAX_TAPS (arm/lut_depthwise_conv2d_dsp.h) taps at most.
    return p.depthMultiplier === 1 && (p.inputDepth ?? 1) % 4 === 0 && (p.filterHeight ?? 1) * (p.filterWidth ?? 1) <= 25;
  }
  if (step.op.type === 'FULLY_CONNECTED') return (step.params as { inputDepth: number }).inputDepth % 4 === 0;
  return false;
}

/**
 * Largest im2col column scratch (bytes, four pixels) the windowed DSP LUT conv takes; larger
 * layers with input depths a multiple of 4 run tinyml_conv2d_lut4_s8_dsp (tests lower it to
 * cover that kernel).
 */
export const lutOptions = { im2colMaxColumns: 16384 };

/**
 * Groups of four of a windowed (not pointwise) CONV_2D's flattened filter row when it runs the
 * im2col DSP LUT kernel (tinyml_conv2d_lut4_im2col_s8_dsp), or undefined when its columns would
 * not fit lutOptions.im2colMaxColumns.
 */
function im2colK4(step: PreparedStep): number | undefined {
  if (step.op.type !== 'CONV_2D' || pointwise(step)) return undefined;
  const p = step.params as { filterHeight: number; filterWidth: number; filterInputDepth: number };
  const k4 = Math.ceil((p.filterHeight * p.filterWidth * p.filterInputDepth) / 4);
  return 32 * k4 <= lutOptions.im2colMaxColumns ? k4 : undefined;
}

/**
 * The pointwise LUT kernel's super-blocks (lutPwBlocks):
 * - columnBytes: bytes of columns a super-block of decoded rows may take: each channel's row is
 *   looked up once per super-block (about 2.4 instructions a weight pair), so the more blocks of
 *   four pixels share it the less that costs. The super-blocks are then balanced (lutPwBalanced):
 *   as few blocks each as keep their count, so the scratch grows only where the count drops.
 *   5120 (was 4096): VWW's 6x6 layers take 2 super-blocks of 5 blocks, not 4, 4 and 1 (qemu-m4
 *   519,289 -> 495,647 instructions each, below int8's), in the arena's slack there; KWS's
 *   64-channel rows keep 8 blocks (31 in 4 super-blocks either way) and its arena. Tests lower it
 *   to run several super-blocks on small layers.
 * - largeTensorBytes: bytes of the larger of a layer's input and output above which it keeps the
 *   six-pixel kernel's smaller scratch: such a layer is where an arena peaks (VWW's first, 48x48x8 -> 16).
 * - minBlocks: fewer whole blocks of four pixels than this keep the six-pixel kernel. VWW's 3x3
 *   layers (9 pixels: two blocks and the last pixel in the assembly tail) take 6.6-7% fewer
 *   instructions decoded than in six-pixel blocks (qemu-m4: 323,560 -> 302,300 and
 *   621,031 -> 580,123); a single block would pay a row's decode for four pixels.
 * - compactMinBlocks: a large-tensor layer of at most 256 index bytes (VWW's 48x48 8 -> 16) runs
 *   the super-blocks with a compact pair table (lutPwCompactBytes) when the six-pixel kernel's
 *   scratch holds at least this many blocks besides: fewer pay a row's decode too often.
 */
export const lutPwOptions = { columnBytes: 5120, largeTensorBytes: 32768, minBlocks: 2, compactMinBlocks: 4 };

/**
 * Bytes of the compact pointwise layout but its blocks' columns (TINYML_LUT4_PW_COMPACT_SCRATCH):
 * the pair words of the layer's n index bytes, the bytes 0..n-1 (rounded up to words), the row,
 * the last pixels % 4's columns.
 */
function lutPwCompactBytes(depth: number, outDepth: number, tail: number): number {
  const n = (depth / 2) * outDepth;
  return 4 * n + 4 * Math.ceil(n / 4) + 4 * (2 * (depth / 4) + 7) + 2 * depth * tail;
}

/**
 * Blocks of four pixels per super-block of the pointwise LUT kernel (tinyml_lut_rq.pw_blocks):
 * as many as lutPwOptions.columnBytes of columns hold, at most the layer's whole blocks; 0 (the
 * six-pixel kernel) for a layer of fewer than minBlocks blocks. A layer with a tensor above
 * lutPwOptions.largeTensorBytes keeps the six-pixel kernel's scratch: -B (the compact pair table)
 * when that scratch holds B >= compactMinBlocks blocks with it, else 0.
 */
export function lutPwBlocks(step: PreparedStep): number {
  const p = step.params as { batches: number; outputHeight: number; outputWidth: number; inputDepth: number; outputDepth: number };
  const pixels = p.batches * p.outputHeight * p.outputWidth;
  const whole = Math.floor(pixels / 4);
  if (whole < lutPwOptions.minBlocks) return 0;
  if (pixels * Math.max(p.inputDepth, p.outputDepth) > lutPwOptions.largeTensorBytes) {
    if ((p.inputDepth / 2) * p.outputDepth > 256) return 0;
    const room = LUT4_PAIR_SCRATCH + 12 * p.inputDepth - lutPwCompactBytes(p.inputDepth, p.outputDepth, pixels % 4);
    const b = Math.min(whole, Math.floor(room / (8 * p.inputDepth)));
    return b >= lutPwOptions.compactMinBlocks ? -b : 0;
  }
  return lutPwBalanced(whole, Math.max(1, Math.floor(lutPwOptions.columnBytes / (8 * p.inputDepth))));
}

/** The fewest blocks a super-block that still runs `whole` blocks in as few super-blocks as `cap` blocks each would. */
export function lutPwBalanced(whole: number, cap: number): number {
  return Math.ceil(whole / Math.ceil(whole / cap));
}

/** A CONV_2D whose every tap lies inside the image: 1x1, stride 1, no padding, no groups. */
function pointwise(step: PreparedStep): boolean {
  if (step.op.type !== 'CONV_2D') return false;
  const p = step.params as Record<string, number>;
  return (
    isUnitWindow(step.params as Conv2DQuantParams) &&
    p.outputHeight === p.inputHeight && p.outputWidth === p.inputWidth && p.filterInputDepth === p.inputDepth
  );
}

const DSP_KERNELS: Record<string, { fn: string; file: string }> = {
  CONV_2D: { fn: 'tinyml_conv2d_lut4_s8_dsp', file: 'arm/lut_conv2d_dsp' },
  DEPTHWISE_CONV_2D: { fn: 'tinyml_depthwise_conv2d_lut4_s8_dsp', file: 'arm/lut_depthwise_conv2d_dsp' },
  FULLY_CONNECTED: { fn: 'tinyml_fully_connected_lut4_s8_dsp', file: 'arm/lut_fully_connected_dsp' },
};

/**
 * The convolution a clustered first layer is when the stem kernel's LUT twin runs it
 * (tinyml_conv2d_s8_stem_dsp_lut4, ops/optimized/conv2d-stem.ts): a DSP core, not `--optimize
 * size`, 4-bit indices into one table, no weight zero point, and a CONV_2D or depth-1
 * DEPTHWISE_CONV_2D the int8 stem takes (1-3 input channels). Undefined otherwise.
 */
export function lutStemConv(step: PreparedStep, enc: LutEncoding, target: TargetInfo | undefined, optimize?: OptimizeGoal): Conv2DQuantParams | undefined {
  if (target?.dsp !== true || optimize === 'size' || enc.bits !== 4 || enc.entries > 16 || enc.scope !== 'tensor') return undefined;
  const p = step.params as Conv2DQuantParams & { kind?: string };
  if (p.kind !== 'int8' || (p.weightsOffset ?? 0) !== 0) return undefined;
  return stemConvOf(step.op.type, p);
}

/** Scratch of the clustered stem: none when all fits the kernel's frame, else the decoded layout unless it fits there, then the int8 stem's. */
function lutStemScratchBytes(p: Conv2DQuantParams): number {
  return lutStemFrameOnly(p) ? 0 : stemDecodedScratchBytes(p, 4) + stemScratchBytes(p);
}

function emitLutStem(step: PreparedStep, p: Conv2DQuantParams, enc: LutEncoding, names: EmitNames, ctx: EmitContext): CEmission {
  const weights = ctx.constants?.[1] as Int8Array | undefined;
  if (!weights) throw new Error(`${ctx.prefix}: clustered weights must be constants`);
  const hasBias = step.op.inputs.length > 2 && step.op.inputs[2] >= 0;
  const bias = hasBias ? ctx.constants?.[2] : undefined;
  if (hasBias && !bias) throw new Error(`LUT ${step.op.type}: the bias is not a constant`);
  // The indices are in the weights' order: a depthwise layer's go to OHWI as its weights do.
  const dw = step.op.type === 'DEPTHWISE_CONV_2D';
  const asConv = (x: Int8Array) => (dw ? dwWeightsAsConv(x, step.params as DepthwiseConv2DQuantParams) : x);
  const w = asConv(weights);
  const indices = asConv(Int8Array.from(enc.indices));
  // The contract (ir/weight-encoding.ts): the weights are the table's entries at the indices.
  indices.forEach((i, k) => {
    if (enc.table[i] !== w[k]) throw new Error(`${ctx.prefix}: clustered weight ${k} is ${w[k]}, its table entry ${enc.table[i]}`);
  });
  return emitConvStem(p, w, bias, names, ctx, undefined, { indices, table: enc.table });
}

/** Bytes of scratch the LUT kernel of the layer needs on `target`. */
export function lutScratchBytes(step: PreparedStep, enc: LutEncoding, target: TargetInfo | undefined, optimize?: OptimizeGoal): number {
  const stem = lutStemConv(step, enc, target, optimize);
  if (stem) return lutStemScratchBytes(stem);
  if (!dspLutConv(step, enc, target)) return 0;
  if (pointwise(step)) {
    const depth = (step.params as { inputDepth: number }).inputDepth;
    const blocks = lutPwBlocks(step);
    // Super-blocks of decoded rows: the pair table, one int16 row, `blocks` blocks of four pixels'
    // columns, the last pixels % 4's (TINYML_LUT4_PW_ROWS_SCRATCH); with the compact table
    // (blocks < 0) TINYML_LUT4_PW_COMPACT_SCRATCH; else six pixels' columns (TINYML_LUT4_PW_SCRATCH).
    const p = step.params as { batches: number; outputHeight: number; outputWidth: number };
    const tail = (p.batches * p.outputHeight * p.outputWidth) % 4;
    if (blocks < 0) return lutPwCompactBytes(depth, (step.params as { outputDepth: number }).outputDepth, tail) + 8 * depth * -blocks;
    return blocks > 0 ? LUT4_PAIR_SCRATCH + 4 * (2 * (depth / 4) + 7) + 8 * depth * blocks + 2 * depth * tail : LUT4_PAIR_SCRATCH + 12 * depth;
  }
  const k4 = im2colK4(step);
  // im2col: the pair table, four pixels' int16 columns, one window's bytes (TINYML_LUT4_IM2COL_SCRATCH).
  if (k4 !== undefined) return LUT4_PAIR_SCRATCH + 36 * k4;
  // Depthwise: the pair table, a group's two words per tap, and for 3x3 filters the largest
  // plane of border windows (TINYML_LUT4_DW_SCRATCH).
  if (step.op.type === 'DEPTHWISE_CONV_2D') {
    const dp = step.params as DepthwiseConv2DQuantParams;
    if (lutDwRowsApply(step, enc)) return lutDwRowsScratchBytes(dp);
    const own = LUT4_PAIR_SCRATCH + 8 * dp.filterHeight * dp.filterWidth + 4 * lutDwPlaneWords(dp);
    // A layer the int8 plane loop would run gets that loop's scratch when it is larger (lutDwPlane
    // takes the loop only within this scratch): VWW's 24x24x32 and later 3x3 layers, where the LUT
    // kernel took up to 1.6x the plane loop's instructions.
    return dwPlane(dp) && (dp.weightsOffset ?? 0) === 0 ? Math.max(own, dwScratchBytes(dp)) : own;
  }
  return LUT4_PAIR_SCRATCH;
}

/**
 * Scratch the LUT kernel of the layer needs to write its output over its input 0 on `target`
 * (the usual scratch), or undefined when it cannot:
 * - a pointwise CONV_2D no wider out than in (tinyml_conv2d_lut4_pw_s8_dsp walks the pixels in
 *   order and expands each block of them into its columns before it writes their outputs, as the
 *   int8 kernel does: ops/pointwise-in-place.ts);
 * - a 3x3 DEPTHWISE_CONV_2D whose padded input, for each group of four channels, the kernel
 *   copies whole into its plane before it computes that group (the whole-plane path with the
 *   rectangle leaving the image: padding on some side), so the group's outputs only overwrite
 *   its own inputs, already copied; the other groups' channels are never written.
 */
export function lutInPlaceScratchBytes(step: PreparedStep, enc: LutEncoding, target: TargetInfo | undefined, optimize?: OptimizeGoal): number | undefined {
  if (lutStemConv(step, enc, target, optimize) || !dspLutConv(step, enc, target)) return undefined;
  if (step.op.type === 'CONV_2D') {
    const p = step.params as Conv2DQuantParams;
    if (pointwise(step)) return pointwiseInPlaceOk(p) ? lutScratchBytes(step, enc, target, optimize) : undefined;
    // Other convolutions on the im2col kernel: through the row window or stage (emitLutRowsInPlace).
    const rows = im2colK4(step) !== undefined ? rowInPlaceBytes(p) : undefined;
    return rows === undefined ? undefined : rows + lutScratchBytes(step, enc, target, optimize);
  }
  if (step.op.type !== 'DEPTHWISE_CONV_2D') return undefined;
  const p = step.params as DepthwiseConv2DQuantParams;
  // On the int8 row kernel (lutDwRows): that kernel's own in-place rule, the decoded weights in scratch.
  if (lutDwRowsApply(step, enc)) return depthwiseInPlaceOk(p) ? lutDwRowsScratchBytes(p) : undefined;
  const rows = planeAxis(p.outputHeight, p.strideHeight, p.dilationHeight);
  const cols = planeAxis(p.outputWidth, p.strideWidth, p.dilationWidth);
  const whole = lutDwPlaneWords(p) > 0 && rows * cols <= WHOLE_PLANE_WORDS;
  const copied = p.padHeight > 0 || p.padWidth > 0 || rows > p.inputHeight || cols > p.inputWidth;
  return whole && copied && depthwiseInPlaceOk(p) ? lutScratchBytes(step, enc, target, optimize) : undefined;
}

interface DwGeometry {
  filterHeight: number;
  filterWidth: number;
  inputHeight: number;
  inputWidth: number;
  outputHeight: number;
  outputWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padHeight: number;
  padWidth: number;
}

/** Words one axis of a plane takes for n windows (TINYML_LUT4_DW_PLANE_WORDS). */
const planeAxis = (n: number, stride: number, dilation: number): number => (n - 1) * stride + 2 * dilation + 1;
/** TINYML_LUT4_DW_WHOLE_PLANE_WORDS (arm/lut_depthwise_conv2d_dsp.h). */
const WHOLE_PLANE_WORDS = 256;

/** First output position whose window starts inside the image, and one past the last that ends inside it. */
function insideSpan(n: number, stride: number, pad: number, span: number, size: number): [number, number] {
  let a = 0;
  while (a < n && a * stride - pad < 0) a++;
  let b = a;
  while (b < n && b * stride - pad + span < size) b++;
  return [a, b];
}

/**
 * Words of the largest plane the 3x3 DSP LUT depthwise kernel copies (lut_dw_k3_region): the
 * group's whole padded input when it has at most WHOLE_PLANE_WORDS, else the largest band of
 * border windows (an upper bound: a band that lies inside the image is read in place). 0 for
 * other filters.
 */
export function lutDwPlaneWords(p: DwGeometry): number {
  if (p.filterHeight !== 3 || p.filterWidth !== 3) return 0;
  const oh = p.outputHeight;
  const ow = p.outputWidth;
  const rowsOf = (n: number) => (n > 0 ? planeAxis(n, p.strideHeight, p.dilationHeight) : 0);
  const colsOf = (n: number) => (n > 0 ? planeAxis(n, p.strideWidth, p.dilationWidth) : 0);
  const whole = rowsOf(oh) * colsOf(ow);
  if (whole <= WHOLE_PLANE_WORDS) return whole;
  const [y0, y1] = insideSpan(oh, p.strideHeight, p.padHeight, 2 * p.dilationHeight, p.inputHeight);
  const [x0, x1] = insideSpan(ow, p.strideWidth, p.padWidth, 2 * p.dilationWidth, p.inputWidth);
  return Math.max(rowsOf(y0) * colsOf(ow), rowsOf(oh - y1) * colsOf(ow), rowsOf(y1 - y0) * Math.max(colsOf(x0), colsOf(ow - x1)));
}

/** Indices regrouped for the DSP conv: per four weights, bytes (i0 << 4 | i2) and (i1 << 4 | i3). */
export function dspConvIndexOrder(indices: Uint8Array): Uint8Array {
  const out = new Uint8Array(indices.length / 2);
  for (let g = 0; g < indices.length / 4; g++) {
    const [i0, i1, i2, i3] = indices.subarray(4 * g, 4 * g + 4);
    out[2 * g] = (i0 << 4) | i2;
    out[2 * g + 1] = (i1 << 4) | i3;
  }
  return out;
}

/**
 * Dense rows (in dspConvIndexOrder, two bytes per four inputs) regrouped for
 * tinyml_fully_connected_lut4_s8_dsp: the rows of each block of four units interleaved, per four
 * inputs each unit's two bytes in turn; the last `units` mod 4 rows unchanged after them.
 */
export function fcBlockOrder(bytes: Uint8Array, units: number): Uint8Array {
  const rowBytes = bytes.length / units;
  const full = units - (units % 4);
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let b = 0; b < full; b += 4) {
    for (let g = 0; g < rowBytes; g += 2) {
      for (let u = b; u < b + 4; u++) {
        out[o++] = bytes[u * rowBytes + g];
        out[o++] = bytes[u * rowBytes + g + 1];
      }
    }
  }
  out.set(bytes.subarray(full * rowBytes), o);
  return out;
}

/** `rows` rows of indices, each padded with zeros to `width`. */
function padRows(indices: Uint8Array, rows: number, width: number): Uint8Array {
  const k = indices.length / rows;
  const out = new Uint8Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(indices.subarray(r * k, (r + 1) * k), r * width);
  return out;
}

export function emitLutLayer(step: PreparedStep, enc: LutEncoding, names: EmitNames, ctx: EmitContext): CEmission {
  const int8Fn = LUT_KERNELS[step.op.type];
  const stem = lutStemConv(step, enc, ctx.target, ctx.optimize);
  if (stem) return emitLutStem(step, stem, enc, names, ctx);
  if (dspLutConv(step, enc, ctx.target)) {
    if (ctx.inPlace && step.op.type === 'CONV_2D' && !pointwise(step)) return emitLutRowsInPlace(step, enc, names, ctx, int8Fn);
    // A 3x3 depthwise layer on the int8 plane loop where it runs (in place too: the plane plan
    // takes ctx.inPlace), else the LUT kernel.
    return lutDwPlane(step, enc, names, ctx) ?? lutDwRows(step, enc, names, ctx) ?? emitDspLutConv(step, enc, names, ctx, int8Fn);
  }
  const pre = ctx.prefix;
  const lut = `${pre}_lut`;
  const inputs = [...names.inputs];
  inputs[1] = `&${lut}`;
  const em = step.def.emitC!(step.params, { inputs, outputs: names.outputs }, ctx);
  if (!em.call.includes(`${int8Fn}(`)) throw new Error(`LUT lowering of ${step.op.type}: expected a call to ${int8Fn}`);
  const packed = packIndices(enc.indices, enc.bits);
  const withSpare = new Uint8Array(packed.length + 1);
  withSpare.set(packed);
  const decls = [
    `static const uint8_t ${lut}_idx[${withSpare.length}] = {\n${cArrayBody(withSpare, 'uint8')}\n};`,
    `static const int8_t ${lut}_table[${enc.table.length}] = {\n${cArrayBody(enc.table, 'int8')}\n};`,
    cStructInit('tinyml_lut_weights', lut, {
      indices: `${lut}_idx`,
      table: `${lut}_table`,
      bits: enc.bits,
      entries: enc.entries,
      per_channel_table: enc.scope === 'channel' ? 1 : 0,
    }),
    em.decls,
  ].join('\n');
  const lutFn = int8Fn.replace(/_s8$/, '_lut_s8');
  return { kernels: ['lut_layers.c'], includes: ['lut_layers.h'], decls, call: em.call.replace(`${int8Fn}(`, `${lutFn}(`) };
}

/**
 * A clustered 3x3 DEPTHWISE_CONV_2D on the int8 plane kernel where that kernel would run the int8
 * layer (ops/optimized/depthwise-conv2d.ts, emitDepthwisePlaneLut4), within the scratch the LUT
 * kernel was given; undefined otherwise.
 */
function lutDwPlane(step: PreparedStep, enc: LutEncoding, names: EmitNames, ctx: EmitContext): CEmission | undefined {
  if (step.op.type !== 'DEPTHWISE_CONV_2D' || enc.entries > 16) return undefined;
  const k = lutConstants(step, enc, ctx);
  if (!k) return undefined;
  const p = step.params as DepthwiseConv2DQuantParams;
  return emitDepthwisePlaneLut4(p, k.weights, enc.indices, enc.table, k.bias, names, ctx, lutScratchBytes(step, enc, ctx.target, ctx.optimize));
}

/**
 * A clustered layer's weights and bias as the context's constants (undefined when either is not
 * one), with the encoding's contract checked (ir/weight-encoding.ts): the weights are the table's
 * entries at the indices.
 */
function lutConstants(step: PreparedStep, enc: LutEncoding, ctx: EmitContext) {
  const weights = ctx.constants?.[1] as Int8Array | undefined;
  const hasBias = step.op.inputs.length > 2 && step.op.inputs[2] >= 0;
  const bias = hasBias ? ctx.constants?.[2] : undefined;
  if (!weights || (hasBias && !bias)) return undefined;
  if (enc.indices.some((i, k) => enc.table[i] !== weights[k])) throw new Error(`${ctx.prefix}: clustered weights differ from their table entries`);
  return { weights, bias };
}

/**
 * Whether a clustered DEPTHWISE_CONV_2D runs the int8 row kernel on its weights decoded into
 * scratch (lutDwRows): where the int8 layer would run that kernel (not the plane loop) and
 * without a weight zero point. In place by that kernel's rule (depthwiseInPlaceOk).
 */
function lutDwRowsApply(step: PreparedStep, enc: LutEncoding): boolean {
  if (step.op.type !== 'DEPTHWISE_CONV_2D' || enc.entries > 16) return false;
  const p = step.params as DepthwiseConv2DQuantParams;
  if (p.depthMultiplier !== 1 || p.inputDepth <= 1 || (p.weightsOffset ?? 0) !== 0 || dwPlane(p) !== undefined) return false;
  // Measured on VWW (qemu-m4): the LUT kernel loses where it takes one whole plane per group (6x6
  // and 3x3 images: 155,562 against 132,317, 105,562 against 71,476), is near on 24x24x32 at
  // stride 2 (143,245 against 138,739) and wins on 48x48x16 at stride 2 (264,968 against 287,171).
  const whole = planeAxis(p.outputHeight, p.strideHeight, p.dilationHeight) * planeAxis(p.outputWidth, p.strideWidth, p.dilationWidth);
  return p.filterHeight === 3 && p.filterWidth === 3 && whole <= WHOLE_PLANE_WORDS;
}

/** Scratch of lutDwRows: the decoded int16 weights, then the row kernel's (at least the pair table's 1 KB). */
function lutDwRowsScratchBytes(p: DepthwiseConv2DQuantParams): number {
  return 2 * p.filterHeight * p.filterWidth * p.outputDepth + Math.max(LUT4_PAIR_SCRATCH, dwScratchBytes(p));
}

/**
 * A clustered DEPTHWISE_CONV_2D on the int8 row kernel (depthwise_conv2d_dsp.c), which the int8
 * layer runs on small images (VWW's 6x6x128: the LUT kernel took 1.2x its instructions): the
 * weights stay packed indices in flash and are looked up once per call into the int16 layout
 * that kernel reads, at the start of the scratch (tinyml_depthwise_lut4_decode16, about four
 * instructions a pair); the kernel's own scratch follows. Undefined where lutDwRowsApply says no.
 */
function lutDwRows(step: PreparedStep, enc: LutEncoding, names: EmitNames, ctx: EmitContext): CEmission | undefined {
  if (!lutDwRowsApply(step, enc)) return undefined;
  const p = step.params as DepthwiseConv2DQuantParams;
  const k = ctx.scratch ? lutConstants(step, enc, ctx) : undefined;
  if (!k) return undefined;
  const { weights, bias } = k;
  const c = p.outputDepth;
  const taps = p.filterHeight * p.filterWidth;
  const channel = { step: 1, count: taps, stride: c };
  const plan = planLayerRequant(p, weights, foldChannelBias(bias, weights, c, p.inputOffset, channel), channel);
  // The indices in the row kernel's int16 order, two a byte (the first in the high nibble: the low halfword).
  const order = dwWeightLayout(Int8Array.from(enc.indices), taps, c, 1, p.filterHeight === 3 && p.filterWidth === 3);
  const bytes = new Uint8Array(order.length / 2 + 1);
  for (let j = 0; j < order.length / 2; j++) bytes[j] = (order[2 * j] << 4) | order[2 * j + 1];
  const pre = ctx.prefix;
  const decoded = 2 * taps * c;
  const decls = [
    `static const uint8_t ${pre}_idx[${bytes.length}] = {\n${cArrayBody(bytes, 'uint8')}\n};`,
    `static const int8_t ${pre}_table[16] = {\n${cArrayBody(lutTable16(enc.table), 'int8')}\n};`,
    `static const int32_t ${pre}_q[${Math.max(1, 4 * c)}] = {\n${cArrayBody(Int32Array.from(dwRecords(plan.bias, plan.records, c)), 'int32')}\n};`,
    dwParamsDecl(pre, p, `${pre}_q`),
  ].join('\n');
  const fn = `tinyml_depthwise_conv2d_s8_dsp_${modeSuffix(plan.mode, p.activationMin, p.activationMax, p.outputOffset)}`;
  const buf = `(uint8_t *)(${ctx.scratch})`;
  return {
    kernels: ['arm/lut_depthwise_conv2d_dsp.c', 'arm/lut_depthwise_conv2d_dsp.h', 'arm/depthwise_conv2d_dsp.c', 'arm/depthwise_conv2d_dsp.h', 'arm/lut_dsp.h', 'arm/tinyml_dsp.h', 'lut_layers.c'],
    includes: ['arm/lut_depthwise_conv2d_dsp.h', 'arm/depthwise_conv2d_dsp.h'],
    decls,
    call: [
      `  tinyml_depthwise_lut4_decode16((uint32_t *)(void *)${buf}, ${pre}_idx, ${decoded / 4}, ${pre}_table, ${plan.doubled ? 1 : 0}, (uint32_t *)(void *)(${buf} + ${decoded}));`,
      `  ${fn}(&${pre}_params, ${names.inputs[0]}, (const int16_t *)(const void *)${buf}, ${names.outputs[0]}, ${buf} + ${decoded});`,
    ].join('\n'),
  };
}

function emitDspLutConv(step: PreparedStep, enc: LutEncoding, names: EmitNames, ctx: EmitContext, int8Fn: string): CEmission {
  if (!ctx.scratch) throw new Error(`LUT conv on a DSP core needs ${LUT4_PAIR_SCRATCH} bytes of scratch and got none`);
  const lut = `${ctx.prefix}_lut`;
  const inputs = [...names.inputs];
  inputs[1] = `&${lut}`;
  // In place (lutInPlaceScratchBytes) the kernel is called as it is, on one buffer: the portable
  // emission it borrows its params from must not take its own in-place form.
  const em = step.def.emitC!(step.params, { inputs, outputs: names.outputs }, { ...ctx, inPlace: false });
  if (!em.call.includes(`${int8Fn}(`)) throw new Error(`LUT lowering of ${step.op.type}: expected a call to ${int8Fn}`);
  // The kernel builds its pair table from 16 entries: a smaller table is padded (unused entries).
  const table = lutTable16(enc.table);
  // The im2col kernel's rows are padded to a multiple of 4 indices (index 0 meets a zero column entry).
  const k4 = im2colK4(step);
  const rows = dspConvIndexOrder(k4 === undefined ? enc.indices : padRows(enc.indices, (step.params as { outputDepth: number }).outputDepth, k4 * 4));
  // The dense kernel walks four units' rows at once, interleaved.
  const idx = step.op.type === 'FULLY_CONNECTED' ? fcBlockOrder(rows, (step.params as { outputDepth: number }).outputDepth) : rows;
  const decls = [
    `static const uint8_t ${lut}_idx[${Math.max(1, idx.length)}] = {\n${cArrayBody(idx, 'uint8')}\n};`,
    `static const int8_t ${lut}_table[16] = {\n${cArrayBody(table, 'int8')}\n};`,
    cStructInit('tinyml_lut_weights', lut, { indices: `${lut}_idx`, table: `${lut}_table`, bits: 4, entries: 16, per_channel_table: 0 }),
    em.decls,
  ].join('\n');
  const k = DSP_KERNELS[step.op.type];
  const p = step.params as RequantFields;
  const bias = ctx.constants?.[2] as Int32Array | undefined;
  if (step.op.inputs.length > 2 && step.op.inputs[2] >= 0 && !bias) throw new Error(`LUT ${step.op.type}: the bias is not a constant`);
  const params = `${ctx.prefix}_params`;
  if (!em.decls.includes(` ${params} = {`)) throw new Error(`LUT lowering of ${step.op.type}: expected a params struct ${params}`);
  // Dense layers have no padding either: their input offset folds into the bias like a pointwise conv's.
  const pw = pointwise(step) || step.op.type === 'FULLY_CONNECTED';
  const { biasPrime, bounds } = lutAccRanges(step, enc, bias, pw);
  const plan = planRequant(p.outputMultiplier, p.outputShift, p.perChannel, p.outputOffset, biasPrime, bounds, {
    min: p.activationMin,
    max: p.activationMax,
  });
  // Pointwise: all taps inside the image, the input offset folds into the bias (see the kernel's header).
  const base = pw && step.op.type === 'CONV_2D' ? 'tinyml_conv2d_lut4_pw_s8_dsp' : k4 !== undefined ? 'tinyml_conv2d_lut4_im2col_s8_dsp' : k.fn;
  // The pointwise and im2col kernels take one record per channel, {bias', m, t, e}: the start of
  // its accumulators and, by one LDM, its requantization (lut_conv2d_dsp.h).
  const records = base !== k.fn;
  const rqDecls = records
    ? [
        `static const int32_t ${lut}_q[${4 * plan.bias.length}] = {\n${cArrayBody(Int32Array.from(plan.bias.flatMap((b, c) => [b, ...plan.records[plan.records.length > 1 ? c : 0]])), 'int32')}\n};`,
        `static const tinyml_lut_rq ${lut}_rqp = {${plan.mode}, 0, 0, ${base === 'tinyml_conv2d_lut4_pw_s8_dsp' ? lutPwBlocks(step) : 0}};`,
      ]
    : [
        `static const int32_t ${lut}_bias[${Math.max(1, plan.bias.length)}] = {\n${cArrayBody(Int32Array.from(plan.bias), 'int32')}\n};`,
        cRqArray(`${lut}_rq`, plan.records),
        `static const tinyml_lut_rq ${lut}_rqp = {${plan.mode}, ${plan.records.length > 1 ? 1 : 0}, ${lut}_rq, 0};`,
      ];
  // One entry point per requantization mode and clamp (the linker keeps only those used).
  const perMode = base !== 'tinyml_conv2d_lut4_s8_dsp' && base !== 'tinyml_fully_connected_lut4_s8_dsp';
  const fn = perMode ? `${base}_${modeSuffix(plan.mode, p.activationMin, p.activationMax, p.outputOffset)}` : base;
  const call = `  ${fn}(&${params}, ${names.inputs[0]}, &${lut}, ${records ? `${lut}_q` : `${lut}_bias`}, &${lut}_rqp, ${names.outputs[0]}, ${ctx.scratch});`;
  return {
    kernels: ['lut_layers.c', `${k.file}.c`, `${k.file}.h`, 'arm/lut_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['lut_layers.h', `${k.file}.h`],
    decls: `${decls}\n${rqDecls.join('\n')}`,
    call,
  };
}

/**
 * A clustered convolution on the im2col kernel written over its own input through the row window
 * or stage (ops/conv-rows-in-place.ts) by the band-function driver of conv2d_dsp_in_place.c: the
 * band function runs the layer's kernel on a copy of its params with the band's rows (input
 * height, top padding, one output row). The driver reads the geometry from a DSP params struct of
 * the layer (`<prefix>_rows`). The kernel rebuilds its pair table on every row.
 */
function emitLutRowsInPlace(step: PreparedStep, enc: LutEncoding, names: EmitNames, ctx: EmitContext, int8Fn: string): CEmission {
  const p = step.params as Conv2DQuantParams;
  const mode = rowInPlaceMode(p);
  if (!mode) throw new Error(`${ctx.prefix}: this clustered convolution cannot run in place`);
  const plain = emitDspLutConv(step, enc, { inputs: ['input', 'weights', 'bias'], outputs: BAND_NAMES.outputs }, { ...ctx, inPlace: false, scratch: BAND_SCRATCH }, int8Fn);
  const pre = ctx.prefix;
  const fn = /^\s*(\w+)\(/.exec(plain.call)?.[1] ?? '';
  if (!/^tinyml_conv2d_lut4_im2col_s8_dsp_\w+$/.test(fn) || plain.call.split(`&${pre}_params`).length !== 2) throw new Error(`${pre}: the layer did not lower to the im2col LUT kernel (${fn})`);
  const band = [
    `static void ${pre}_band(const tinyml_conv2d_dsp_params *p, const int8_t *input, int8_t *output, void *scratch) {`,
    `  tinyml_conv2d_params q = ${pre}_params;`,
    '  q.geo.input_height = p->geo.input_height;',
    '  q.geo.pad_height = p->geo.pad_height;',
    '  q.geo.output_height = p->geo.output_height;',
    `  ${plain.call.trim().replace(`&${pre}_params`, '&q')}`,
    '}',
  ].join('\n');
  // Only the geometry is read (by the driver); the requantization is the LUT kernel's own.
  const rows = cStructInit('tinyml_conv2d_dsp_params', `${pre}_rows`, {
    ...convGeometry('packed', p),
    output_depth: p.outputDepth,
    ...{ k4: 0, pad_value: 0, mode: 0, per_channel: 0, output_offset: 0, activation_min: -128, activation_max: 127, bias: 'NULL', rq: 'NULL', descending: 0, decoded_rows: 0 },
  });
  const scratch = scratchFor(ctx, rowInPlaceBytes(p)! + lutScratchBytes(step, enc, ctx.target, ctx.optimize), 'conv2d_lut4_in_place_band');
  return {
    // The row driver also dispatches to the int8 DSP and stem kernels, so it links with them.
    kernels: [...new Set([...plain.kernels, 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'])],
    includes: [...new Set([...plain.includes, 'arm/conv2d_dsp_in_place.h'])],
    decls: [plain.decls, rows, band].join('\n'),
    call: `tinyml_conv2d_s8_dsp_in_place${mode === 'stage' ? '_staged' : ''}_band(&${pre}_rows, ${names.outputs[0]}, ${pre}_band, ${scratch});`,
  };
}

interface RequantFields {
  outputMultiplier: number[];
  outputShift: number[];
  perChannel: boolean;
  outputOffset: number;
  inputOffset: number;
  activationMin: number;
  activationMax: number;
  outputDepth: number;
}

/**
 * Per output channel, the bias the kernel starts from (exact, before planRequant doubles it) and
 * the range its accumulator can take over every int8 input, for planRequant. Pointwise: the
 * input offset folded into the bias, raw inputs multiplied (as the int8 DSP kernels). Otherwise
 * the kernels multiply (x + input_offset) and skip out-of-image taps, so each product lies
 * between 0 and the weight times either end of [-128 + offset, 127 + offset].
 */
export function lutAccRanges(step: PreparedStep, enc: LutEncoding, bias: Int32Array | undefined, pw: boolean): { biasPrime: number[]; bounds: AccBounds[] } {
  const p = step.params as RequantFields;
  const channels = p.outputDepth;
  const n = enc.indices.length;
  const weights = Int16Array.from(enc.indices, (i) => enc.table[i]);
  // Weights of channel c: a contiguous OHWI row (conv), or every channels-th of [1, H, W, C] (depthwise).
  const depthwise = step.op.type === 'DEPTHWISE_CONV_2D';
  const count = n / channels;
  const start = (c: number) => (depthwise ? c : c * count);
  const stride = depthwise ? channels : 1;
  const biasPrime: number[] = [];
  const bounds: AccBounds[] = [];
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let j = 0; j < count; j++) sum += weights[start(c) + j * stride];
    const b = bias?.[c] ?? 0;
    if (pw) {
      biasPrime.push(b + p.inputOffset * sum);
      bounds.push(accBounds(b + p.inputOffset * sum, weights, start(c), count, stride));
      continue;
    }
    const xLo = -128 + p.inputOffset;
    const xHi = 127 + p.inputOffset;
    let lo = b;
    let hi = b;
    for (let j = 0; j < count; j++) {
      const w = weights[start(c) + j * stride];
      lo += Math.min(0, w * xLo, w * xHi);
      hi += Math.max(0, w * xLo, w * xHi);
    }
    biasPrime.push(b);
    bounds.push({ min: lo, max: hi });
  }
  return { biasPrime, bounds };
}
