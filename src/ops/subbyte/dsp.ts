/**
 * Sub-byte weights on cores with the DSP extension (M4, M7, M33, M55): the DSP convolution
 * (firmware/kernels/arm/conv2d_dsp.c, `_sb4s` / `_sb2s`, else `_sb4` / `_sb2` / `_sb1`) and fully
 * connected layer (fully_connected_dsp.c: the nibble layout for int4, `_sb2` / `_sb1` below four
 * bits) with the weights kept packed in flash and unpacked in the inner loop. The convolution
 * keeps signed fields at the top of each halfword where its scaled sums provably fit int32
 * (convSignedFieldsFit), else, as the fully connected layer, each field stored with an offset
 * that makes it unsigned (w + 8, w + 2, or the bit of (w + 1) / 2), and the offset times the
 * input sum comes off the accumulator once per column. The convolution's words are laid out so
 * that one AND gives each SMLAD operand pair (convSbRowWords), each row followed by its
 * channel's record; the fully connected layer's below four bits take a mask and UXTB16
 * (subByteRowWords). The depthwise kernel keeps signed fields at the top of each halfword
 * (dwSubByteWords). Same im2col, bias folding and requantization plan as the int8 DSP kernels.
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { Conv2DQuantParams } from '../conv2d.js';
import type { FullyConnectedQuantParams } from '../fully-connected.js';
import type { TensorData } from '../../ir/types.js';
import type { SubByteKind } from '../../ir/weight-encoding.js';
import { flashBits, type PackBits } from '../../ir/weight-packing.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import { RQ_FAST_FOLDED, RQ_FAST_MIXED, type RequantPlan, cArray, cMode, cRequantDecls, constantOperands, dspTarget, rqNofix, foldChannelBias, hasConstantOperands, planLayerRequant, requantFields, scratchFor, scratchWithConstants, weightRows } from '../optimized/common.js';
import { CONV_MAX_SCRATCH, convDecodedBlocks, convDecodedBlocksWithin, withDecodedScratch } from '../optimized/conv2d.js';
import { FC_MAX_ROW_SCRATCH, emitFullyConnectedDsp, fcParamsDecl } from '../optimized/fully-connected.js';
import { convGeometry, cStructInit } from '../c-emit.js';
import { subByteParamsKind } from './common.js';
import { emitPortableSubByte } from './portable.js';
import { conv2d, isUnitWindow } from '../conv2d.js';
import { fullyConnected } from '../fully-connected.js';
import { depthwiseConv2d, type DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import { DW_MAX_SCRATCH, dwAsConv, dwParamsDecl, dwPlaneFor, dwScratchBytes, dwWeightsAsConv } from '../optimized/depthwise-conv2d.js';
import type { OpDef } from '../op-def.js';
import type { OpType } from '../../ir/attrs.js';
import { depthwiseInPlaceOk } from '../depthwise-in-place.js';
import { pointwiseExpandInPlaceOk, pointwiseInPlaceOk } from '../pointwise-in-place.js';
import { rowInPlaceBytes } from '../conv-rows-in-place.js';
import { BAND_NAMES, BAND_SCRATCH, emitConvRowsInPlace } from '../optimized/band-function.js';

/** A kernel call: FAST_MIXED has entry points of their own (`_mixed`), the other modes an argument. */
function mixedCall(fn: string, args: string, mode: number, nf = false): string {
  const suffix = nf ? '_nf' : '';
  return mode === RQ_FAST_MIXED ? `${fn}_mixed${suffix}(${args});` : `${fn}${suffix}(${args}, ${mode});`;
}

/** The stored field of weight w: unsigned, w + 8 (4 bits), w + 2 (2 bits), (w + 1) / 2 (1 bit). */
function field(w: number, bits: PackBits): number {
  return bits === 4 ? (w + 8) & 15 : bits === 2 ? (w + 2) & 3 : w > 0 ? 1 : 0;
}

/** Groups of four K indices a word holds. */
function groupsPerWord(bits: PackBits): number {
  return 8 / bits;
}

/** K groups of four, rounded up to whole words. */
export function subByteK4(k: number, bits: PackBits): number {
  const g = groupsPerWord(bits);
  return Math.ceil(Math.ceil(k / 4) / g) * g;
}

/**
 * One row of `k` weights as words: K index 4 (j G + g) + b is field g (bits wide) of byte b of
 * word j (G = 8 / bits groups per word). Indices past k hold weight 0 (their inputs are zero).
 */
export function subByteRowWords(weights: ArrayLike<number>, start: number, k: number, bits: PackBits): number[] {
  const g4 = groupsPerWord(bits);
  const words = subByteK4(k, bits) / g4;
  const out: number[] = [];
  for (let j = 0; j < words; j++) {
    let v = 0;
    for (let g = 0; g < g4; g++) {
      for (let b = 0; b < 4; b++) {
        const kk = 4 * (j * g4 + g) + b;
        const w = kk < k ? weights[start + kk] : bits === 1 ? -1 : 0;
        v += field(w, bits) * 2 ** (8 * b + g * bits);
      }
    }
    out.push(v);
  }
  return out;
}

/** Groups of four K indices per iteration of the convolution's word loop (conv2d_dsp.c SB_UNIT). */
function convSbUnit(bits: PackBits): number {
  return bits === 1 ? 8 : 4;
}

/**
 * The groups each weight word of a convolution row holds (conv2d_dsp.c): one partly used word
 * per set bit of k4 % unit (1, 2, then 4 groups), then whole words of 8 / bits groups.
 */
export function convSbWordGroups(k4: number, bits: PackBits): number[] {
  const unit = convSbUnit(bits);
  const out: number[] = [];
  for (let part = 1; part < unit; part *= 2) if (k4 & part) out.push(part);
  const whole = (k4 - (k4 % unit)) / groupsPerWord(bits);
  for (let j = 0; j < whole; j++) out.push(groupsPerWord(bits));
  return out;
}

/**
 * One convolution row of `k` weights as words, in the order the DSP loop reads them. Offset
 * fields (`signedTop` false): in a word, pair q = 2 g + (b & 1) of its group g holds K index
 * 4 g + b in bits [16 (b >> 1) + bits q, + bits), so `(v >> bits q) & mask` is the SMLAD operand
 * of the column word (x0, x2) or (x1, x3). Signed fields (`signedTop`, 2 and 4 bits): the two's
 * complement field at the top of the halfword instead, bits [16 (b >> 1) + 16 - bits (q + 1),
 * + bits), so `(v << bits q) & mask` is 2^(16 - bits) times the pair. K indices past k hold
 * weight 0 (their inputs are zero); unused fields are zero.
 */
export function convSbRowWords(weights: ArrayLike<number>, start: number, k: number, bits: PackBits, signedTop = false): number[] {
  const out: number[] = [];
  let g0 = 0;
  for (const groups of convSbWordGroups(Math.ceil(k / 4), bits)) {
    let v = 0;
    for (let g = 0; g < groups; g++) {
      for (let b = 0; b < 4; b++) {
        const kk = 4 * (g0 + g) + b;
        const w = kk < k ? weights[start + kk] : bits === 1 ? -1 : 0;
        const q = 2 * g + (b & 1);
        v += signedTop ? (w & ((1 << bits) - 1)) * 2 ** (16 * (b >> 1) + 16 - bits * (q + 1)) : field(w, bits) * 2 ** (16 * (b >> 1) + bits * q);
      }
    }
    out.push(v);
    g0 += groups;
  }
  return out;
}

/**
 * Whether a convolution takes the signed-field layout (conv2d_dsp.c `_sb4s` / `_sb2s`): 2 or 4
 * bits, and every channel whose output depends on its sum (a non-zero multiplier) keeps
 * 2^(16 - bits) times that sum of products (of inputs doubled in the FAST modes) inside int32,
 * so that the kernel's shift back is exact.
 */
function convSignedFieldsFit(weights: ArrayLike<number>, k: number, bits: PackBits, plan: RequantPlan): boolean {
  if (bits === 1) return false;
  const n = weights.length / k;
  for (let c = 0; c < n; c++) {
    if (plan.records[plan.records.length > 1 ? c : 0][0] === 0) continue;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += Math.abs(weights[c * k + i]);
    if (sum * 128 * (plan.doubled ? 2 : 1) * 2 ** (16 - bits) >= 2 ** 31) return false;
  }
  return true;
}

function convK(p: Conv2DQuantParams): number {
  return p.filterHeight * p.filterWidth * p.filterInputDepth;
}

function convSbScratch(p: Conv2DQuantParams): number {
  return Math.ceil(convK(p) / 4) * (p.inputDepth % 4 === 0 ? 32 : 36);
}

/**
 * Blocks a chunk of decoded rows (conv2d_dsp.c; ops/optimized/conv2d.ts convDecodedBlocks), or 0:
 * int4, int2 and ternary rows (binary ones keep their loop); the signed fields and the FOLDED
 * requantization are checked at emission. In place the layer never announces them: the decoded
 * rows' scratch beside the layer's one buffer would be RAM the int8 build of the same layer does
 * not take (KWS's 25x5x64 layers: 5,792 bytes where int8 takes 1,344), and issue #15 gives
 * sub-byte weights no RAM beyond int8's (test/plan/compressed-arena.test.ts). There it asks for
 * room instead (convSbScratchRoom) and takes the chunks that fit in what the plan gave it
 * (`roomBytes`, ctx.scratchBytes): the arena's free bytes at that step, so no arena grows.
 */
function convSbDecodedBlocks(p: Conv2DQuantParams, optimize?: OptimizeGoal, roomBytes?: number): number {
  const kind = subByteParamsKind(p);
  if (kind === undefined || kind === 'binary') return 0;
  return roomBytes === undefined ? convDecodedBlocks(p, optimize, true) : convDecodedBlocksWithin(p, optimize, true, roomBytes, true);
}

/**
 * In place, a pointwise layer asks for the scratch of all its blocks' decoded rows in one chunk
 * (KernelVariant.scratchRoomBytes) and takes what it gets in chunks (convSbDecodedBlocks): no
 * wider out than in, the chunks in order; widening, the chunks from the last pixel down
 * (p->descending, as the band driver of a widening layer runs the kernel). Not when not in place
 * (the announced chunks).
 */
function convSbScratchRoom(params: unknown, _constants: (TensorData | undefined)[] | undefined, optimize: OptimizeGoal | undefined, inPlace: boolean): number | undefined {
  const p = params as Conv2DQuantParams;
  if (!inPlace || !(pointwiseInPlaceOk(p) || pointwiseExpandInPlaceOk(p)) || convSbDecodedBlocks(p, optimize, Infinity) === 0) return undefined;
  return withDecodedScratch(p, (p.outputHeight * p.outputWidth) >> 2, convSbScratch(p));
}

/** Words of int16 stream the frame-decoded layers may take (conv2d_dsp.c TINYML_SB_W16_WORDS). */
const SB_W16_WORDS = 192;

/**
 * Whether a layer calls the `_w16` entry points (conv2d_dsp.c TINYML_CONV2D_SB_W16_ENTRIES: its
 * signed fields decoded exactly on the call's stack frame into int16 rows, then the int16
 * kernel's loops; kept apart so that other models link neither): pointwise, signed fields, 4 or 2
 * bits, FOLDED with at most 192 words of int16 stream ({bias' x 4, 2 k4 pairs, m, t, e} a
 * channel), or FAST_MIXED without the sign correction at exactly 8 -> 16 with no clamp; at least
 * 16 (k4 + 1) pixels (the kernel checks each call again and runs the sub-byte loops otherwise).
 */
function convSbW16(p: Conv2DQuantParams, bits: PackBits, signedTop: boolean, mode: number, nf: boolean): boolean {
  const k4 = Math.ceil(p.inputDepth / 4);
  const n = p.outputDepth;
  const shape = isUnitWindow(p) && p.groups === 1 && p.inputDepth % 4 === 0 && p.outputHeight * p.outputWidth >= 16 * (k4 + 1);
  if (!signedTop || (bits !== 4 && bits !== 2) || !shape) return false;
  if (mode === RQ_FAST_FOLDED) return n * (7 + 2 * k4) <= SB_W16_WORDS;
  return mode === RQ_FAST_MIXED && nf && p.inputDepth === 8 && n === 16 && p.activationMin === -128 && p.activationMax === 127;
}

function convAccepts(params: unknown, target: TargetInfo): boolean {
  const kind = subByteParamsKind(params);
  const p = params as Conv2DQuantParams;
  return dspTarget(target) && kind !== undefined && p.groups === 1 && convSbScratch(p) <= CONV_MAX_SCRATCH;
}

function convEmit(params: unknown, names: EmitNames, ctx: EmitContext): CEmission {
  const p = params as Conv2DQuantParams;
  const kind = subByteParamsKind(p)!;
  const operands = constantOperands(p, ctx.constants);
  if (!operands) return emitPortableSubByte(conv2d as unknown as OpDef<OpType, unknown>, kind, p, names, ctx);
  return emitConvSubByte(p, kind, operands.weights, operands.bias, names, ctx);
}

/**
 * The DSP sub-byte convolution of a CONV_2D-shaped layer (groups 1) with OHWI `weights`. In
 * place (`ctx.inPlace`, convSbInPlaceScratchBytes): a pointwise layer as it is (the kernel walks
 * the pixels as the int8 one does, ops/pointwise-in-place.ts; a widening one from the last pixel
 * down, through the band-function driver, or called directly when it runs on decoded rows in the
 * room the plan gave it), any other through the row window or stage, the band-function driver
 * calling this same kernel on each run or output row.
 */
function emitConvSubByte(p: Conv2DQuantParams, kind: SubByteKind, weights: Int8Array, bias: TensorData | undefined, names: EmitNames, ctx: EmitContext): CEmission {
  const bits = flashBits(kind);
  const k = convK(p);
  const n = p.outputDepth;
  const at = weightRows(k);
  const biasPrime = foldChannelBias(bias, weights, n, p.inputOffset, at);
  const plan = planLayerRequant(p, weights, biasPrime, at, true);
  const signedTop = convSignedFieldsFit(weights, k, bits, plan);
  // Decoded rows: the plain call (not a pair's band), signed fields, FOLDED; in place only in the
  // room the plan gave the layer beyond its announced scratch (a layer no wider out than in: a
  // chunk's inputs are all in its columns before any of its outputs is written; a widening one:
  // the chunks from the last pixel down, `descending`, the kernel called directly rather than
  // through the band driver, which would run it the same way without them).
  const room = ctx.inPlace ? ctx.scratchBytes ?? 0 : undefined;
  const decoded = ctx.scratch !== BAND_SCRATCH && signedTop && (bits === 4 || bits === 2) && plan.mode === RQ_FAST_FOLDED ? convSbDecodedBlocks(p, ctx.optimize, room) : 0;
  const expand = ctx.inPlace === true && pointwiseExpandInPlaceOk(p);
  if (ctx.inPlace && !pointwiseInPlaceOk(p) && !(expand && decoded)) {
    const plain = emitConvSubByte(p, kind, weights, bias, BAND_NAMES, { ...ctx, inPlace: false, scratch: BAND_SCRATCH });
    return emitConvRowsInPlace(p, plain, convSbScratch(p), names, ctx, /^tinyml_conv2d_s8_dsp_sb\w+$/);
  }
  // One stream: each channel's row, then its record {m, t, e, bias'} (conv2d_dsp.c).
  const words: number[] = [];
  for (let c = 0; c < n; c++) {
    const [m, t, e] = plan.records[plan.records.length > 1 ? c : 0];
    words.push(...convSbRowWords(weights, c * k, k, bits, signedTop), m >>> 0, t >>> 0, e >>> 0, plan.bias[c] >>> 0);
  }
  const pre = ctx.prefix;
  const name = `conv2d_s8_dsp_sb${bits}${signedTop ? 's' : ''}`;
  const scratch = scratchFor(ctx, decoded ? withDecodedScratch(p, decoded, convSbScratch(p)) : convSbScratch(p), name);
  const nf = rqNofix(plan.mode, p.outputOffset, p.activationMin);
  const decls = [
    cArray('uint32_t', `${pre}_w${bits}`, words),
    cStructInit('tinyml_conv2d_dsp_params', `${pre}_params`, {
      ...convGeometry('packed', p),
      output_depth: n,
      k4: Math.ceil(k / 4),
      pad_value: -p.inputOffset,
      mode: cMode(plan.mode, p.outputOffset, p.activationMin),
      // Bias' and the records are in the weight stream.
      ...requantFields(pre, p, plan),
      bias: 'NULL',
      rq: 'NULL',
      descending: expand ? 1 : 0,
      decoded_rows: decoded,
    }),
  ].join('\n');
  return {
    kernels: ['arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/conv2d_dsp.h'],
    decls,
    // The entry points without the sign correction (_nf) where the clamp makes it dead; _w16 for
    // small layers (convSbW16).
    call: `tinyml_${name}${!decoded && convSbW16(p, bits, signedTop, plan.mode, nf) ? '_w16' : ''}${plan.mode === RQ_FAST_MIXED ? '_mixed' : ''}${nf ? '_nf' : ''}(&${pre}_params, ${names.inputs[0]}, ${pre}_w${bits}, ${names.outputs[0]}, ${scratch});`,
  };
}

function convScratchBytes(params: unknown, constants?: (TensorData | undefined)[], optimize?: OptimizeGoal): number {
  const p = params as Conv2DQuantParams;
  if (constants && !hasConstantOperands(p, constants)) return 0;
  return withDecodedScratch(p, convSbDecodedBlocks(p, optimize), convSbScratch(p));
}

/**
 * In place (emitConvSubByte): a pointwise layer no wider out than in with its usual scratch, other
 * convolutions the row rules accept with the window or stage before it; only on the DSP kernel
 * (constant weights and bias: the portable sub-byte kernel has no in-place form).
 */
function convSbInPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = params as Conv2DQuantParams;
  if (subByteParamsKind(p) === undefined || p.groups !== 1 || !constants || !hasConstantOperands(p, constants)) return undefined;
  if (pointwiseInPlaceOk(p) || pointwiseExpandInPlaceOk(p)) return convSbScratch(p);
  const rows = rowInPlaceBytes(p);
  return rows === undefined ? undefined : rows + convSbScratch(p);
}

/** Bytes of expanded input row the fully connected kernel keeps in scratch. */
function fcSbScratch(p: FullyConnectedQuantParams, kind: SubByteKind): number {
  // int4: the nibble layout's k8 * 16; below: k4 (whole words) * 8.
  return kind === 'int4' ? Math.ceil(p.inputDepth / 8) * 16 : subByteK4(p.inputDepth, flashBits(kind)) * 8;
}

function fcAccepts(params: unknown, target: TargetInfo): boolean {
  const kind = subByteParamsKind(params);
  return dspTarget(target) && kind !== undefined && fcSbScratch(params as FullyConnectedQuantParams, kind) <= FC_MAX_ROW_SCRATCH;
}

function fcEmit(params: unknown, names: EmitNames, ctx: EmitContext): CEmission {
  const p = params as FullyConnectedQuantParams;
  const kind = subByteParamsKind(p)!;
  const operands = constantOperands(p, ctx.constants);
  if (!operands) return emitPortableSubByte(fullyConnected as unknown as OpDef<OpType, unknown>, kind, p, names, ctx);
  const { weights, bias } = operands;
  if (kind === 'int4') return emitFullyConnectedDsp(p, weights, bias, names, ctx, true);
  const bits = flashBits(kind);
  const n = p.outputDepth;
  const k = p.inputDepth;
  const at = weightRows(k);
  const biasPrime = foldChannelBias(bias, weights, n, p.inputOffset, at);
  const plan = planLayerRequant(p, weights, biasPrime, at, true);
  const rows = Array.from({ length: n }, (_, r) => subByteRowWords(weights, r * k, k, bits));
  const nw = rows[0]?.length ?? 0;
  // Rows in groups of four, their words interleaved; then the remaining rows whole.
  const words: number[] = [];
  const full = n - (n % 4);
  for (let g = 0; g < full; g += 4) for (let j = 0; j < nw; j++) for (let r = 0; r < 4; r++) words.push(rows[g + r][j]);
  for (let r = full; r < n; r++) words.push(...rows[r]);
  const pre = ctx.prefix;
  const k4 = subByteK4(k, bits);
  const scratch = scratchFor(ctx, fcSbScratch(p, kind), `fully_connected_s8_dsp_sb${bits}`);
  const decls = [
    cArray('uint32_t', `${pre}_w${bits}`, words),
    ...cRequantDecls(pre, plan),
    fcParamsDecl(pre, p, plan, k4, k4),
  ].join('\n');
  return {
    kernels: ['arm/fully_connected_dsp.c', 'arm/fully_connected_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/fully_connected_dsp.h'],
    decls,
    call: mixedCall(`tinyml_fully_connected_s8_dsp_sb${bits}`, `&${pre}_params, ${names.inputs[0]}, ${pre}_w${bits}, ${names.outputs[0]}, ${scratch}`, plan.mode),
  };
}

const fcScratchBytes = scratchWithConstants<FullyConnectedQuantParams>((p) => fcSbScratch(p, subByteParamsKind(p)!));

/** Bits a depthwise weight takes in the DSP layout: 4 for int4, else 2 (binary too). */
function dwBits(kind: SubByteKind): 2 | 4 {
  return kind === 'int4' ? 4 : 2;
}

function dwAccepts(params: unknown, target: TargetInfo): boolean {
  const kind = subByteParamsKind(params);
  const p = params as DepthwiseConv2DQuantParams;
  if (!dspTarget(target) || kind === undefined) return false;
  if (p.inputDepth === 1) return convSbScratch(dwAsConv(p)) <= CONV_MAX_SCRATCH;
  return p.depthMultiplier === 1 && p.outputDepth % 4 === 0 && dwScratchBytes(p) <= DW_MAX_SCRATCH;
}

/**
 * Weight words of the DSP sub-byte depthwise kernel (depthwise_conv2d_dsp.h): per group of four
 * channels, 8 / bits taps per word; channel b's weight for the word's tap j is the two's
 * complement field at bit 16 (b >> 1) + 16 - bits (2 j + (b & 1) + 1), so that
 * (v << bits q) & (the top field of both halfwords) is the operand pair q = 2 j + (b & 1).
 */
export function dwSubByteWords(weights: Int8Array, taps: number, c: number, bits: 2 | 4): number[] {
  const per = 8 / bits;
  const mask = (1 << bits) - 1;
  const out: number[] = [];
  for (let g = 0; g < c / 4; g++) {
    for (let t0 = 0; t0 < taps; t0 += per) {
      let v = 0;
      for (let t = t0; t < Math.min(taps, t0 + per); t++) {
        for (let b = 0; b < 4; b++) {
          const q = 2 * (t - t0) + (b & 1);
          v += (weights[t * c + 4 * g + b] & mask) * 2 ** (16 * (b >> 1) + 16 - bits * (q + 1));
        }
      }
      out.push(v);
    }
  }
  return out;
}

/**
 * The DSP sub-byte depthwise kernel's stream (depthwise_conv2d_dsp.c): per group of four
 * channels its weight words, then each channel's record (m, t, e, bias'). In FAST_MIXED a left
 * shift s (e = -s <= 0) is stored as s - 256, still <= 0 with s in its low byte, which is what
 * the kernel's register-specified LSL reads.
 */
function dwSubByteStream(words: readonly number[], plan: RequantPlan, c: number): number[] {
  const perGroup = words.length / (c / 4);
  const out: number[] = [];
  for (let g = 0; g < c / 4; g++) {
    out.push(...words.slice(g * perGroup, (g + 1) * perGroup));
    for (let ch = 4 * g; ch < 4 * g + 4; ch++) {
      const [m, t, e] = plan.records[plan.records.length > 1 ? ch : 0];
      out.push(m >>> 0, t >>> 0, (plan.mode === RQ_FAST_MIXED && e <= 0 ? -e - 256 : e) >>> 0, plan.bias[ch] >>> 0);
    }
  }
  return out;
}

/**
 * Whether the DSP sub-byte depthwise kernel can take a layer of depth > 1 with these (decoded)
 * weights: it accumulates 2^(16 - bits) times the sum of products from zero, which must stay
 * inside int32 for its shift back to be exact (bias' is added after that shift). Otherwise the
 * layer runs the portable sub-byte kernel.
 */
export function dwSubByteFits(p: DepthwiseConv2DQuantParams, weights: Int8Array): boolean {
  const kind = subByteParamsKind(p);
  if (kind === undefined) return false;
  const bits = dwBits(kind);
  const taps = p.filterHeight * p.filterWidth;
  const c = p.outputDepth;
  for (let ch = 0; ch < c; ch++) {
    let w = 0;
    for (let t = 0; t < taps; t++) w += Math.abs(weights[t * c + ch]) * 128;
    if (w * 2 ** (16 - bits) >= 2 ** 31) return false;
  }
  return true;
}

function dwEmit(params: unknown, names: EmitNames, ctx: EmitContext): CEmission {
  const p = params as DepthwiseConv2DQuantParams;
  const kind = subByteParamsKind(p)!;
  const operands = constantOperands(p, ctx.constants);
  const portable = () => emitPortableSubByte(depthwiseConv2d as unknown as OpDef<OpType, unknown>, kind, p, names, ctx);
  if (!operands) return portable();
  const { weights, bias } = operands;
  const taps = p.filterHeight * p.filterWidth;
  const c = p.outputDepth;
  // Input depth 1: a plain convolution.
  if (p.inputDepth === 1) return emitConvSubByte(dwAsConv(p), kind, dwWeightsAsConv(weights, p), bias, names, ctx);
  const at = { step: 1, count: taps, stride: c };
  const biasPrime = foldChannelBias(bias, weights, c, p.inputOffset, at);
  const plan = planLayerRequant(p, weights, biasPrime, at, true);
  const bits = dwBits(kind);
  if (!dwSubByteFits(p, weights)) return portable();
  const pre = ctx.prefix;
  const scratch = scratchFor(ctx, dwScratchBytes(p), `depthwise_conv2d_s8_dsp_sb${bits}`);
  const decls = [
    cArray('uint32_t', `${pre}_w${bits}`, dwSubByteStream(dwSubByteWords(weights, taps, c, bits), plan, c)),
    dwParamsDecl(pre, p, 'NULL', dwPlaneFor(p, plan.mode, ctx)),
  ].join('\n');
  return {
    kernels: ['arm/depthwise_conv2d_dsp.c', 'arm/depthwise_conv2d_dsp.h', 'arm/tinyml_dsp.h'],
    includes: ['arm/depthwise_conv2d_dsp.h'],
    decls,
    // The entry points without the sign correction (_nf) where the clamp makes it dead.
    call: mixedCall(`tinyml_depthwise_conv2d_s8_dsp_sb${bits}`, `&${pre}_params, ${names.inputs[0]}, ${pre}_w${bits}, ${names.outputs[0]}, ${scratch}`, plan.mode,
      rqNofix(plan.mode, p.outputOffset, p.activationMin)),
  };
}

const dwScratch = scratchWithConstants<DepthwiseConv2DQuantParams>((p) => (p.inputDepth === 1 ? convSbScratch(dwAsConv(p)) : dwScratchBytes(p)));

/**
 * In place, as the int8 DSP depthwise kernel (ops/optimized/depthwise-conv2d.ts): the sub-byte
 * entry points share its row filling and plane bands (fill_rows, dw_plane_run), which read every
 * input row before the output rows over it are written; the scratch is the usual one. Not for
 * input depth 1 (the convolution kernel) nor where the layer falls back to the portable kernel.
 */
function dwSbInPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = params as DepthwiseConv2DQuantParams;
  if (subByteParamsKind(p) === undefined || p.inputDepth === 1 || !depthwiseInPlaceOk(p)) return undefined;
  if (!constants || !hasConstantOperands(p, constants) || !dwSubByteFits(p, constants[1] as Int8Array)) return undefined;
  return dwScratchBytes(p);
}

export const dwSubByteDspVariant: KernelVariant = {
  name: 'depthwise_conv2d_s8_dsp_subbyte',
  op: 'DEPTHWISE_CONV_2D',
  accepts: dwAccepts,
  emitC: dwEmit,
  scratchBytes: dwScratch,
  inPlaceScratchBytes: dwSbInPlaceScratchBytes,
};
export const convSubByteDspVariant: KernelVariant = {
  name: 'conv2d_s8_dsp_subbyte',
  op: 'CONV_2D',
  accepts: convAccepts,
  emitC: convEmit,
  scratchBytes: convScratchBytes,
  inPlaceScratchBytes: convSbInPlaceScratchBytes,
  scratchRoomBytes: convSbScratchRoom,
};

export const SUBBYTE_DSP_VARIANTS: KernelVariant[] = [
  dwSubByteDspVariant,
  convSubByteDspVariant,
  { name: 'fully_connected_s8_dsp_subbyte', op: 'FULLY_CONNECTED', accepts: fcAccepts, emitC: fcEmit, scratchBytes: fcScratchBytes },
];
