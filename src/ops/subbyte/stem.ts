/**
 * The sub-byte twin of the DSP stem kernel (ops/optimized/conv2d-stem.ts, issue #20): first
 * convolutions (CONV_2D with 1-3 input channels, DEPTHWISE_CONV_2D with input depth 1) whose
 * weights are int4, int2, ternary or binary. The stem's int16 weight layout is stored packed in
 * flash, one field per halfword, and decoded once per call (tinyml_conv2d_stem_dsp_decode, three
 * to four instructions a weight); the int8 stem kernel then runs on it unchanged, so sub-byte first
 * layers take their int8 twins' instructions. The decoded layout goes on the kernel's stack frame
 * when it is at most STEM_SB_STACK_BYTES (VWW: 448 bytes; its stem's live set is the model's
 * largest, so scratch there would grow the arena), else at the start of the layer's scratch,
 * counted by the planner (KWS: 5,120 bytes, where the stem is not at the arena's peak).
 */
import type { KernelVariant } from '../kernel-variants.js';
import type { Conv2DQuantParams } from '../conv2d.js';
import type { DepthwiseConv2DQuantParams } from '../depthwise-conv2d.js';
import type { TensorData } from '../../ir/types.js';
import { flashBits, type PackBits } from '../../ir/weight-packing.js';
import type { CEmission, EmitContext, EmitNames, OptimizeGoal, TargetInfo } from '../op-def.js';
import { constantOperands, dspTarget, hasConstantOperands } from '../optimized/common.js';
import { emitConvStem, stemConvOf, stemDecodedScratchBytes, stemScratchBytes, stemTightExtraInstructions } from '../optimized/conv2d-stem.js';
import { stemTightSchedule } from '../stem-in-place.js';
import { dwWeightsAsConv } from '../optimized/depthwise-conv2d.js';
import { rowInPlaceBytes } from '../conv-rows-in-place.js';
import { subByteParamsKind } from './common.js';
import { BAND_NAMES, BAND_SCRATCH, emitConvRowsInPlace } from '../optimized/band-function.js';

/** The stem-shaped convolution a sub-byte layer is, or undefined when the twin does not take it. */
function stemConv(params: unknown, op: 'CONV_2D' | 'DEPTHWISE_CONV_2D'): Conv2DQuantParams | undefined {
  return subByteParamsKind(params) === undefined ? undefined : stemConvOf(op, params);
}

/** Decoded weights (none when they fit the kernel's stack frame), then the stem kernel's own scratch. */
function bytes(p: Conv2DQuantParams, kindOf: unknown): number {
  return stemDecodedScratchBytes(p, flashBits(subByteParamsKind(kindOf)!)) + stemScratchBytes(p);
}

function variant(op: 'CONV_2D' | 'DEPTHWISE_CONV_2D'): KernelVariant {
  return {
    name: `${op === 'CONV_2D' ? 'conv2d' : 'depthwise_conv2d'}_s8_stem_dsp_subbyte`,
    op,
    // Not with --optimize size: the generic sub-byte kernel stores the same packed weights and needs no decode code.
    accepts: (params: unknown, target: TargetInfo, optimize?: OptimizeGoal) => dspTarget(target) && optimize !== 'size' && stemConv(params, op) !== undefined,
    emitC: (params: unknown, names: EmitNames, ctx: EmitContext): CEmission => {
      const p = stemConv(params, op)!;
      const operands = constantOperands(p, ctx.constants);
      if (!operands) throw new Error(`${ctx.prefix}: sub-byte weights must be constants`);
      const w = op === 'CONV_2D' ? operands.weights : dwWeightsAsConv(operands.weights, params as DepthwiseConv2DQuantParams);
      const bits = flashBits(subByteParamsKind(params)!);
      if (ctx.inPlace) return emitInPlace(p, w, operands.bias, bits, names, ctx);
      return emitConvStem(p, w, operands.bias, names, ctx, bits);
    },
    scratchBytes: (params: unknown, constants?: (TensorData | undefined)[]) => {
      const p = stemConv(params, op)!;
      return constants && !hasConstantOperands(p, constants) ? 0 : bytes(p, params);
    },
  };
}

/**
 * A sub-byte CONV_2D stem run in place through the row window or stage
 * (ops/conv-rows-in-place.ts). A decoded layout that fits a stack frame (VWW: 448 bytes) is
 * decoded once for the layer onto the frame of a generated function, which then drives the int8
 * stem kernel over every output row (emitConvStem): the stem, at the arena's peak, takes no more
 * scratch than its int8 twin, and no decode per row (about 700 instructions each, issue #15's
 * time bound). A larger one (KWS: 5,120 bytes) goes through the band-function driver, whose
 * sub-byte kernel decodes it at the start of its scratch, after the window, on each row. The
 * scratch: the window or stage, then the kernel's; undefined when the rows rule refuses the layer.
 */
function inPlaceScratchBytes(params: unknown, constants?: (TensorData | undefined)[]): number | undefined {
  const p = stemConv(params, 'CONV_2D');
  if (!p || !constants || !hasConstantOperands(p, constants)) return undefined;
  const rows = rowInPlaceBytes(p);
  return rows === undefined ? undefined : rows + bytes(p, params);
}

function emitInPlace(p: Conv2DQuantParams, w: Int8Array, bias: TensorData | undefined, bits: PackBits, names: EmitNames, ctx: EmitContext): CEmission {
  // A layout that fits a frame is decoded once for the layer, not once per row (issue #15's time bound on VWW).
  if (stemDecodedScratchBytes(p, bits) === 0) return emitConvStem(p, w, bias, names, ctx, bits);
  const plain = emitConvStem(p, w, bias, BAND_NAMES, { ...ctx, inPlace: false, scratch: BAND_SCRATCH }, bits);
  return emitConvRowsInPlace(p, plain, stemDecodedScratchBytes(p, bits) + stemScratchBytes(p), names, ctx, /^tinyml_conv2d_s8_stem_dsp_sb\d$/);
}

/**
 * With no scratch at all (ops/stem-in-place.ts): a layout that fits the frame is decoded there
 * once and the tight driver runs the int8 stem kernel on it, as for an int8 stem.
 */
function tightInPlaceOk(params: unknown, constants?: (TensorData | undefined)[]): boolean {
  const p = stemConv(params, 'CONV_2D');
  if (!p || inPlaceScratchBytes(params, constants) === undefined) return false;
  return stemDecodedScratchBytes(p, flashBits(subByteParamsKind(params)!)) === 0 && stemTightSchedule(p, stemScratchBytes(p)) !== undefined;
}

export const SUBBYTE_STEM_VARIANTS: KernelVariant[] = [
  variant('DEPTHWISE_CONV_2D'),
  { ...variant('CONV_2D'), inPlaceScratchBytes, tightInPlaceOk, tightInPlaceExtraInstructions: (params) => stemTightExtraInstructions(stemConv(params, 'CONV_2D')) },
];
