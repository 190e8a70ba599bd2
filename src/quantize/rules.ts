/**
 * Per-op quantization rules of the TFLite int8 / 16x8 specification, as each op declares them
 * (`quant` of its OpDef in src/ops/): which inputs are weights (and along which axis they are
 * quantized per channel), which is the bias, which outputs have fixed parameters, and which ops
 * require their output quantized exactly like their input(s).
 */
import type { OpType } from '../ir/attrs.js';
import type { QuantRule, WeightRule } from '../ops/op-def.js';
import { findOpDef } from '../ops/registry.js';
import type { ActivationDType, QParams } from './qparams.js';

export type { WeightRule };

function rule(type: OpType): QuantRule | undefined {
  return findOpDef(type)?.quant;
}

/** Where the op keeps its weights and bias; undefined for ops without weights. */
export function weightRule(type: OpType): WeightRule | undefined {
  return rule(type)?.weights;
}

/** Input slots whose quantization the output shares (TFLite Micro copies or compares without rescaling). */
export function sameQParams(type: OpType): QuantRule['sameQParams'] {
  return rule(type)?.sameQParams;
}

/** Data-movement ops: when not chosen explicitly, they run at the precision of their input. */
export function followsInputPrecision(type: OpType): boolean {
  return rule(type)?.followsInputPrecision === true;
}

/** Outputs with parameters fixed by the spec (TFLite Micro checks them). */
export function fixedOutputQParams(type: OpType, dtype: ActivationDType): QParams | undefined {
  return rule(type)?.fixedOutput?.[dtype];
}

/** Input slots the op needs quantized with zero point 0. */
export function symmetricInputs(type: OpType): readonly number[] {
  return rule(type)?.symmetricInputs ?? [];
}

/** Float ops in a float graph the quantizer refuses outright (what they mean is already quantized). */
export function notQuantizable(type: OpType): boolean {
  return rule(type)?.notQuantizable === true;
}
