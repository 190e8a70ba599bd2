/**
 * Clustered-weight layers (`weightEncoding` 'lut') lowered to firmware/kernels/lut_layers.c: the
 * weights go to flash as TFLite Micro's packed indices plus the int8 table(s), never as int8
 * values, and the layer calls the LUT kernel with the params struct of the op's own portable
 * int8 kernel (same loops, so bit-exact with the int8 kernel on the decoded weights). Layers the
 * LUT kernels do not cover (16x8, other ops) run the int8 kernel on the decoded weights.
 */
import type { PreparedGraph, PreparedStep } from '../interp/interpreter.js';
import type { LutEncoding } from '../ir/weight-encoding.js';
import type { CEmission, EmitContext, EmitNames } from '../ops/op-def.js';
import { cStructInit } from '../ops/c-emit.js';
import { packIndices } from '../tflite/lut-compression.js';
import { cArrayBody } from './c-literals.js';

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

export function emitLutLayer(step: PreparedStep, enc: LutEncoding, names: EmitNames, ctx: EmitContext): CEmission {
  const int8Fn = LUT_KERNELS[step.op.type];
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
