/**
 * The first convolution of a model on cores with the DSP extension (issue #20): CONV_2D with 1-3
 * input channels, and DEPTHWISE_CONV_2D with input depth 1 (a convolution with depth_multiplier
 * outputs): firmware/kernels/arm/conv2d_stem_dsp.c. Each output pixel's window is expanded once
 * into an int16 column every output channel reads; two pixels x four channels accumulate in
 * registers. The weights are laid out here in exactly the order the kernel reads them (int16,
 * doubled in the FAST requantization modes, K padded to even with zero weights, output channels
 * padded to a multiple of four), the input offset is folded into the bias.
 *
 * Not with `--optimize size` (int16 weights take twice the flash of the generic kernel's int8).
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { Conv2DParams, Conv2DQuantParams } from '../conv2d.js';
import { conv2d } from '../conv2d.js';
import type { DepthwiseConv2DParams, DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import { depthwiseConv2d } from '../depthwise-conv2d.js';
import { rowInPlaceBytes, rowInPlaceMode } from '../conv-rows-in-place.js';
import { stemTightSchedule } from '../stem-in-place.js';
import type { TensorData } from '../../ir/types.js';
import { packSubByte, type PackBits } from '../../ir/weight-packing.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import {
  cArray,
  cRequantDecls,
  dspTarget,
  emitWithConstants,
  hasConstantOperands,
  cMode,
  requantFields,
  scratchFor,
  scratchWithConstants,
} from './common.js';
import { convRequantPlan } from './conv2d.js';
import { dwAsConv, dwWeightsAsConv } from './depthwise-conv2d.js';
import { convGeometry, cStructInit } from '../c-emit.js';

/** Most input channels the stem kernel takes (from 4 on, the generic kernel's im2col copies words). */
export const STEM_MAX_INPUT_DEPTH = 3;
/** Longest column in words of two K indices (TINYML_CONV2D_STEM_MAX_WORDS: the unrolled steps). */
export const STEM_MAX_WORDS = 40;

/**
 * The K index (OHWI, within one output channel) of each halfword of the kernel's column, -1 for
 * the padding halfword: per filter row its whole 4-byte words as SXTB16 expands them (x0, x2),
 * (x1, x3); then every row's remaining bytes in order.
 */
export function stemColumnOrder(filterHeight: number, filterWidth: number, inputDepth: number): number[] {
  const rowLen = filterWidth * inputDepth;
  const words = rowLen >> 2;
  const order: number[] = [];
  for (let fy = 0; fy < filterHeight; fy++) {
    for (let w = 0; w < words; w++) {
      const k = fy * rowLen + 4 * w;
      order.push(k, k + 2, k + 1, k + 3);
    }
  }
  for (let fy = 0; fy < filterHeight; fy++) for (let t = 4 * words; t < rowLen; t++) order.push(fy * rowLen + t);
  if (order.length % 2) order.push(-1);
  return order;
}

/** Column words (two K indices each) of a layer. */
export function stemWords(p: Conv2DQuantParams): number {
  return stemColumnOrder(p.filterHeight, p.filterWidth, p.inputDepth).length / 2;
}

/** Whether the stem kernel computes this convolution (int8 weights; ops/subbyte/stem.ts: packed ones). */
export function stemOk(p: Conv2DParams): p is Conv2DQuantParams {
  return p.kind === 'int8' && p.weightEncoding === undefined && stemShapeOk(p);
}

/** Whether the stem kernel takes this int8 convolution's shape, whatever its weights' storage. */
export function stemShapeOk(p: Conv2DQuantParams): boolean {
  return (
    p.groups === 1 &&
    p.inputDepth <= STEM_MAX_INPUT_DEPTH &&
    p.filterHeight * p.filterWidth > 1 &&
    p.dilationHeight === 1 &&
    p.dilationWidth === 1 &&
    stemWords(p) <= STEM_MAX_WORDS
  );
}

/**
 * The convolution the stem kernel computes for a layer of this shape, whatever its weights'
 * storage: a CONV_2D it takes as it is, a DEPTHWISE_CONV_2D with input depth 1 as dwAsConv(p);
 * undefined otherwise. The sub-byte and clustered twins add their own storage checks.
 */
export function stemConvOf(op: string, params: unknown): Conv2DQuantParams | undefined {
  if (op === 'CONV_2D') return stemShapeOk(params as Conv2DQuantParams) ? (params as Conv2DQuantParams) : undefined;
  if (op !== 'DEPTHWISE_CONV_2D' || (params as DepthwiseConv2DQuantParams).inputDepth !== 1) return undefined;
  const c = dwAsConv(params as DepthwiseConv2DQuantParams);
  return stemShapeOk(c) ? c : undefined;
}

/** Scratch: two interleaved columns, then two windows' bytes (TINYML_CONV2D_STEM_SCRATCH_BYTES). */
export function stemScratchBytes(p: Conv2DQuantParams): number {
  return stemWords(p) * 8 + 2 * p.filterHeight * p.filterWidth * p.inputDepth;
}

/**
 * Weights in kernel order: per block of four output channels (zero channels pad the last), per
 * column word the four channels' halfword pairs; `scale` 2 in the FAST modes.
 */
export function stemWeightLayout(w: ArrayLike<number>, n: number, order: readonly number[], scale: number): Int16Array {
  const k = w.length / n;
  const blocks = Math.ceil(n / 4);
  const out = new Int16Array(blocks * order.length * 4);
  let o = 0;
  for (let b = 0; b < blocks; b++) {
    for (let j = 0; j < order.length; j += 2) {
      for (let ch = 4 * b; ch < 4 * b + 4; ch++) {
        for (const idx of [order[j], order[j + 1]]) out[o++] = ch < n && idx >= 0 ? w[ch * k + idx] * scale : 0;
      }
    }
  }
  return out;
}

/** `values` (each within `bits` bits' range; 1 bit: > 0 sets it) as little-endian words of packed fields. */
function packedWords(values: ArrayLike<number>, bits: PackBits): Uint32Array {
  const bytes = packSubByte(values, bits);
  const out = new Uint32Array(Math.ceil(bytes.length / 4));
  bytes.forEach((b, i) => (out[i >> 2] |= b << (8 * (i & 3))));
  return out;
}

/** Each channel's bias' twice (its A and B accumulators), in blocks of four channels padded with zeros. */
export function stemBiasLayout(bias: readonly number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < Math.ceil(bias.length / 4); b++) {
    for (let ch = 4 * b; ch < 4 * b + 4; ch++) out.push(bias[ch] ?? 0, bias[ch] ?? 0);
  }
  return out;
}

/** Halfwords of a layer's int16 weight layout (stemWeightLayout). */
function stemLayoutHalfwords(p: Conv2DQuantParams): number {
  return Math.ceil(p.outputDepth / 4) * stemWords(p) * 8;
}

/** Words of a sub-byte stem's packed weights: one `bits`-bit field per halfword of the int16 layout. */
export function stemPackedWords(p: Conv2DQuantParams, bits: PackBits): number {
  return Math.ceil((stemLayoutHalfwords(p) * bits) / 32);
}

/**
 * Bytes of the int16 layout a sub-byte stem decodes its packed weights into, once per call
 * (tinyml_conv2d_stem_dsp_decode writes whole packed words' fields).
 */
export function stemDecodedBytes(p: Conv2DQuantParams, bits: PackBits): number {
  return stemPackedWords(p, bits) * (32 / bits) * 2;
}

/** Largest decoded layout kept on the kernel's stack frame (TINYML_CONV2D_STEM_SB_STACK_BYTES). */
export const STEM_SB_STACK_BYTES = 1024;

/**
 * Whether a clustered stem's decoded layout and the kernel's scratch both fit the frame of
 * tinyml_conv2d_s8_stem_dsp_lut4 (called with scratch NULL then, and taking no arena bytes: VWW).
 */
export function lutStemFrameOnly(p: Conv2DQuantParams): boolean {
  return stemDecodedBytes(p, 4) + stemScratchBytes(p) <= STEM_SB_STACK_BYTES;
}

/**
 * Scratch bytes a sub-byte stem takes for its decoded layout: none when it fits the kernel's
 * stack frame (tinyml_conv2d_s8_stem_dsp_sb<bits>), else all of it at the start of the scratch.
 */
export function stemDecodedScratchBytes(p: Conv2DQuantParams, bits: PackBits): number {
  const bytes = stemDecodedBytes(p, bits);
  return bytes <= STEM_SB_STACK_BYTES ? 0 : bytes;
}

/** Clustered stem weights: 4-bit `indices` (OHWI, one per weight) into `table` (at most 16 entries). */
export interface StemLut {
  indices: ArrayLike<number>;
  table: Int8Array;
}

/** The layout's halfwords as 4-bit indices (padding: 0, which the kernel multiplies by zero or never stores), little-endian words, low field first. */
function lutLayoutWords(lut: StemLut, n: number, order: readonly number[]): Uint32Array {
  const layout = stemWeightLayout(Int16Array.from(lut.indices), n, order, 1);
  const out = new Uint32Array(Math.ceil(layout.length / 8));
  layout.forEach((v, i) => (out[i >> 3] |= v << (4 * (i & 7))));
  return out;
}

/**
 * The stem kernel's emission for an int8 convolution with OHWI `weights` (stemOk). With `bits`
 * (sub-byte weights, whose values `weights` holds decoded) the int16 layout is stored packed,
 * one field per halfword, and decoded before the kernel runs: on tinyml_conv2d_s8_stem_dsp_sb<bits>'s
 * stack frame when it fits STEM_SB_STACK_BYTES, else at the scratch's start. In place, a layout
 * that fits is decoded once for the whole layer (decodedOnceInPlace); a larger one is the
 * sub-byte twin's, through the band-function driver (ops/subbyte/stem.ts). With `lut`
 * (clustered weights, `weights` = table[indices]) the layout is stored as 4-bit indices and
 * decoded through the table by tinyml_conv2d_s8_stem_dsp_lut4, by the same rule.
 */
export function emitConvStem(p: Conv2DQuantParams, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext, bits?: PackBits, lut?: StemLut): CEmission {
  const n = p.outputDepth;
  // Sub-byte and clustered weights often give multipliers near 1 (shifts of both signs): FAST_MIXED then, not REF.
  const { eff, plan } = convRequantPlan(p, weights, bias, bits !== undefined || lut !== undefined);
  const pre = ctx.prefix;
  const order = stemColumnOrder(p.filterHeight, p.filterWidth, p.inputDepth);
  const windowed = ctx.inPlace === true;
  // Sub-byte in place here only when the decoded layout fits a frame (else the band driver: ops/subbyte/stem.ts).
  if (windowed && (lut || (bits && stemDecodedScratchBytes(p, bits) > 0))) throw new Error(`${pre}: only the int8 stem and a sub-byte one whose layout fits the frame run in place on this emission`);
  const mode = windowed ? rowInPlaceMode(p) : undefined;
  if (windowed && !mode) throw new Error(`${pre}: this convolution cannot run in place`);
  // With no scratch at all (ops/stem-in-place.ts): the columns and the row on input bytes already read.
  const tight = windowed && ctx.tightInPlace === true ? stemTightSchedule(p, stemScratchBytes(p)) : undefined;
  if (windowed && ctx.tightInPlace && !tight) throw new Error(`${pre}: this stem cannot run in place with no scratch`);
  const decoded = lut || bits ? stemDecodedScratchBytes(p, lut ? 4 : bits!) : 0;
  const kernelName = `conv2d_s8_stem_dsp${lut ? '_lut4' : bits ? `_sb${bits}` : ''}${windowed ? '_in_place' : ''}`;
  // Clustered: the kernel's scratch too on the frame when both fit it (lutStemFrameOnly): no arena bytes.
  const frameOnly = lut !== undefined && lutStemFrameOnly(p);
  const base = frameOnly || tight ? 'NULL' : scratchFor(ctx, decoded + (windowed ? rowInPlaceBytes(p)! : 0) + stemScratchBytes(p), kernelName);
  const scratch = decoded ? `((void *)((int8_t *)${base} + ${decoded}))` : base;
  // Sub-byte: the packed fields of the undoubled layout; the decode doubles them in the FAST modes.
  const weightDecl = lut
    ? [cArray('uint32_t', `${pre}_w4`, lutLayoutWords(lut, n, order)), cArray('int8_t', `${pre}_lut`, Int8Array.from({ length: 16 }, (_, i) => lut.table[i] ?? 0))].join('\n')
    : bits
      ? cArray('uint32_t', `${pre}_w${bits}`, packedWords(stemWeightLayout(eff, n, order, 1), bits))
      : cArray('int16_t', `${pre}_w`, stemWeightLayout(eff, n, order, plan.doubled ? 2 : 1));
  // One record per channel (a per-tensor layer's repeated), padded to whole blocks of four.
  const records = Array.from({ length: Math.ceil(n / 4) * 4 }, (_, c) => plan.records[plan.records.length > 1 ? Math.min(c, n - 1) : 0]);
  const [biasDecl, rqDecl] = cRequantDecls(pre, { ...plan, bias: stemBiasLayout(plan.bias), records });
  const decls = [
    weightDecl,
    biasDecl,
    rqDecl,
    cStructInit('tinyml_conv2d_dsp_params', `${pre}_params`, {
      ...convGeometry('packed', p),
      output_depth: n,
      k4: 0,
      pad_value: -p.inputOffset,
      // TINYML_RQ_NOFIX where the clamp makes the sign correction dead (the pairs routine's kinds 3, 4).
      mode: cMode(plan.mode, p.outputOffset, p.activationMin),
      ...requantFields(pre, p, plan),
      per_channel: 1,
      descending: 0,
      decoded_rows: 0,
    }),
  ].join('\n');
  // VWW's shape (eight channels, 3x3 on three, stride 2 across, an even output width) links the
  // routine of its own (conv2d_stem8_dsp.c, ~4 KB; the kernel runs it where its mode and clamp fit
  // too): other stems do not carry it.
  const stem8 = n === 8 && p.filterHeight === 3 && p.filterWidth === 3 && p.inputDepth === 3 && p.strideWidth === 2 && p.outputWidth % 2 === 0;
  const kernels = ['arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h', ...(stem8 ? ['arm/conv2d_stem8_dsp.c'] : [])];
  const scale = plan.doubled ? 2 : 1;
  if (windowed) {
    const driver = `tinyml_conv2d_s8_dsp_in_place${mode === 'stage' ? '_staged' : ''}`;
    const runOn = (data: string, w: string, s: string): string =>
      tight
        ? `tinyml_conv2d_s8_stem_dsp_in_place_tight(&${pre}_params, ${data}, ${w}, ${tight.scatterRows}, ${tight.pixelRows}, ${tight.split});`
        : `${driver}(&${pre}_params, ${data}, ${w}, 2, ${s});`;
    return {
      // The row-window driver (conv2d_dsp_in_place.c) runs the stem kernel on each band: weights kind 2.
      kernels: [...kernels, 'arm/conv2d_dsp.c', 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h'],
      includes: ['arm/conv2d_dsp_in_place.h', ...(bits ? ['arm/conv2d_stem_dsp.h'] : [])],
      decls: bits ? `${decls}
${decodedOnceInPlace(pre, runOn('data', tight ? '(const int16_t *)(const void *)layout' : 'layout', 'scratch'), stemPackedWords(p, bits), bits, scale, stemDecodedBytes(p, bits))}` : decls,
      call: bits
        ? `${pre}_in_place(${names.outputs[0]}, ${tight ? 'NULL' : scratch});`
        : runOn(names.outputs[0], `${pre}_w`, scratch),
    };
  }
  return {
    kernels,
    includes: ['arm/conv2d_stem_dsp.h'],
    decls,
    // Sub-byte: tinyml_conv2d_s8_stem_dsp_sb<bits> decode on its stack frame or into the scratch's start, by the same rule.
    call: lut
      ? `tinyml_conv2d_s8_stem_dsp_lut4(&${pre}_params, ${names.inputs[0]}, ${pre}_w4, ${stemPackedWords(p, 4)}, ${pre}_lut, ${scale}, ${names.outputs[0]}, ${base});`
      : bits
        ? `tinyml_conv2d_s8_stem_dsp_sb${bits}(&${pre}_params, ${names.inputs[0]}, ${pre}_w${bits}, ${stemPackedWords(p, bits)}, ${scale}, ${names.outputs[0]}, ${base});`
        : `tinyml_conv2d_s8_stem_dsp(&${pre}_params, ${names.inputs[0]}, ${pre}_w, ${names.outputs[0]}, ${scratch});`,
  };
}

/**
 * A sub-byte stem in place whose decoded layout fits a frame (STEM_SB_STACK_BYTES, VWW: 448
 * bytes): a function of the layer decodes the packed weights once onto its own frame, then the
 * row driver runs the int8 stem kernel on that layout for every output row. Not inlined, so the
 * layout's bytes are on the stack only while the layer runs; and not in the arena, where the
 * stem (VWW's 96x96x3 image, at the arena's peak) would grow it.
 */
function decodedOnceInPlace(pre: string, driverCall: string, words: number, bits: PackBits, scale: number, bytes: number): string {
  return (
    `static __attribute__((noinline)) void ${pre}_in_place(int8_t *data, void *scratch) {\n` +
    `  uint32_t layout[${bytes / 4}]; /* words: the kernel reads it with LDRD */\n` +
    (/\bscratch\)/.test(driverCall) ? '' : `  (void)scratch; /* the tight driver takes none */\n`) +
    `  tinyml_conv2d_stem_dsp_decode(${pre}_w${bits}, ${words}, ${bits}, ${scale}, (int16_t *)(void *)layout);\n` +
    `  ${driverCall}\n}`
  );
}

function convAccepts(params: unknown, target: TargetInfo, optimize?: OptimizeGoal): boolean {
  return dspTarget(target) && optimize !== 'size' && stemOk(params as Conv2DParams);
}

/** In place through the row window or stage of ops/conv-rows-in-place.ts, the stem scratch after it. */
function convInPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = params as Conv2DQuantParams;
  if (!stemOk(p) || (constants && !hasConstantOperands(p, constants))) return undefined;
  const rows = rowInPlaceBytes(p);
  return rows === undefined ? undefined : rows + stemScratchBytes(p);
}

/** Whether the stem runs in place with no scratch at all (ops/stem-in-place.ts). */
export function stemTightOk(params: unknown, constants?: (TensorData | undefined)[]): boolean {
  return convInPlaceScratchBytes(params, constants) !== undefined && stemTightSchedule(params as Conv2DQuantParams, stemScratchBytes(params as Conv2DQuantParams)) !== undefined;
}

/**
 * Modelled extra instructions of the tight form over the staged one: a scattered row's gather
 * (4 per byte), and the pixel rows' pixels where the kernel's pairs routine does not take them
 * (tinyml_conv2d_s8_stem_dsp_pair: 3x3 on three channels, blocks of four channels, no clamp): the
 * pixel path's instructions per pixel (per column word two taps of about 16 instructions and 3
 * per channel, then about 16 per channel to requantize and store) less the kernel's (about 11 per
 * word and channel block of two pixels, 10 per channel). Pairs on the routine, and the kernel rows
 * in one call with their columns on the frame, cost what the kernel costs (VWW: 609,468 tight
 * against 610,408 plain, qemu-m4).
 */
export function stemTightExtraInstructions(params: unknown): number {
  const p = params as Conv2DQuantParams;
  const s = stemTightSchedule(p, stemScratchBytes(p));
  if (!s) return 0;
  const words = stemWords(p);
  const n = p.outputDepth;
  const onPairs = p.filterHeight === 3 && p.filterWidth * p.inputDepth === 9 && n % 4 === 0 && p.activationMin === -128 && p.activationMax === 127;
  const perPixel = onPairs ? 0 : words * (32 + 3 * n) + 16 * n - (words * 11 * Math.ceil(n / 4)) / 2 - 10 * n;
  return s.pixelRows * p.outputWidth * Math.max(0, perPixel) + s.scatterRows * p.outputWidth * n * 4;
}

export const conv2dStemDspVariant: KernelVariant = {
  name: 'conv2d_s8_stem_dsp',
  op: 'CONV_2D',
  accepts: convAccepts,
  emitC: emitWithConstants(conv2d, emitConvStem),
  scratchBytes: scratchWithConstants(stemScratchBytes),
  inPlaceScratchBytes: convInPlaceScratchBytes,
  tightInPlaceOk: stemTightOk,
  tightInPlaceExtraInstructions: stemTightExtraInstructions,
};

/** A depthwise layer with input depth 1 that the stem kernel takes as dwAsConv(p). */
function dwStemOk(p: DepthwiseConv2DParams): p is DepthwiseConv2DQuantParams {
  return p.kind === 'int8' && p.inputDepth === 1 && stemOk(dwAsConv(p));
}

export const depthwiseConv2dStemDspVariant: KernelVariant = {
  name: 'depthwise_conv2d_s8_stem_dsp',
  op: 'DEPTHWISE_CONV_2D',
  accepts: (params, target, optimize) => dspTarget(target) && optimize !== 'size' && dwStemOk(params as DepthwiseConv2DParams),
  emitC: emitWithConstants<DepthwiseConv2DQuantParams>(depthwiseConv2d, (p, weights, bias, names, ctx) =>
    emitConvStem(dwAsConv(p), dwWeightsAsConv(weights, p), bias, names, ctx),
  ),
  scratchBytes: scratchWithConstants<DepthwiseConv2DQuantParams>((p) => stemScratchBytes(dwAsConv(p))),
};
