/**
 * What every op file declares besides its kernel: a TFLite options mapping whose fields match
 * schema.fbs's shape (unique ids, one union position per table), and the quantization rules of
 * the TFLite int8 / 16x8 specification. The writer and importer round trip of every op's
 * attributes is in test/tflite-writer/options.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { OpType } from '../../src/ir/attrs.js';
import { findOpDef, isOpType, registeredOpTypes } from '../../src/ops/registry.js';
import { fixedOutputQParams, followsInputPrecision, notQuantizable, sameQParams, weightRule } from '../../src/quantize/rules.js';

describe('op files', () => {
  it('declare options tables with unique field ids and one union position per table', () => {
    const unionOf = new Map<string, number>();
    const tableOf = new Map<number, string>();
    for (const type of registeredOpTypes()) {
      const o = findOpDef(type)!.tflite.options;
      if (!o) continue;
      const ids = o.fields.map((f) => f.id);
      expect(new Set(ids).size, `${type}: duplicate field id`).toBe(ids.length);
      expect(new Set(o.fields.map((f) => f.name)).size, `${type}: duplicate field name`).toBe(ids.length);
      expect(unionOf.get(o.table) ?? o.unionType, `${type}: ${o.table}`).toBe(o.unionType);
      expect(tableOf.get(o.unionType) ?? o.table, `${type}: union type ${o.unionType}`).toBe(o.table);
      unionOf.set(o.table, o.unionType);
      tableOf.set(o.unionType, o.table);
    }
  });

  it('name TFLite builtins, so the registry is the TFLite op table', () => {
    for (const type of registeredOpTypes()) expect(isOpType(type)).toBe(true);
    expect(isOpType('SPACE_TO_BATCH_ND')).toBe(false);
    expect(findOpDef('NOT_AN_OP')).toBeUndefined();
  });

  it('carry the quantization rules of the TFLite int8 / 16x8 specification', () => {
    const weights: Partial<Record<OpType, unknown>> = {};
    const same: Partial<Record<OpType, unknown>> = {};
    const fixed: Partial<Record<OpType, unknown>> = {};
    const follows: OpType[] = [];
    const refused: OpType[] = [];
    for (const t of registeredOpTypes()) {
      if (weightRule(t)) weights[t] = weightRule(t);
      if (sameQParams(t)) same[t] = sameQParams(t);
      if (fixedOutputQParams(t, 'int8')) fixed[t] = [fixedOutputQParams(t, 'int8'), fixedOutputQParams(t, 'int16')];
      if (followsInputPrecision(t)) follows.push(t);
      if (notQuantizable(t)) refused.push(t);
    }
    expect(weights).toEqual({
      CONV_2D: { weights: 1, axis: 0, bias: 2, input: 0 },
      DEPTHWISE_CONV_2D: { weights: 1, axis: 3, bias: 2, input: 0 },
      FULLY_CONNECTED: { weights: 1, axis: 0, bias: 2, input: 0 },
      TRANSPOSE_CONV: { weights: 1, axis: 0, bias: 3, input: 2 },
    });
    expect(same).toEqual({
      RESHAPE: 'first',
      SQUEEZE: 'first',
      MAX_POOL_2D: 'first',
      AVERAGE_POOL_2D: 'first',
      STRIDED_SLICE: 'first',
      RESIZE_NEAREST_NEIGHBOR: 'first',
      RESIZE_BILINEAR: 'first',
      CONCATENATION: 'all',
      PAD: [0, 2],
      MAXIMUM: 'all',
      MINIMUM: 'all',
      TRANSPOSE: 'first',
      DEPTH_TO_SPACE: 'first',
      SPACE_TO_DEPTH: 'first',
      MIRROR_PAD: 'first',
      SPLIT: [1],
      SPLIT_V: 'first',
      UNPACK: 'first',
    });
    const s16 = { scale: 1 / 32768, zeroPoint: 0 };
    expect(fixed).toEqual({
      SOFTMAX: [{ scale: 1 / 256, zeroPoint: -128 }, s16],
      LOGISTIC: [{ scale: 1 / 256, zeroPoint: -128 }, s16],
      TANH: [{ scale: 1 / 128, zeroPoint: 0 }, s16],
      // TFLM has no int16 L2_NORMALIZATION (prepare refuses it); int16 is the spec's usual Q15.
      L2_NORMALIZATION: [{ scale: 1 / 128, zeroPoint: 0 }, s16],
      // TFLM has no int16 LOG_SOFTMAX either; int16 keeps the int8 range [-8, 0) at 16 bits.
      LOG_SOFTMAX: [{ scale: 16 / 256, zeroPoint: 127 }, { scale: 16 / 32768, zeroPoint: 0 }],
    });
    expect(follows.sort()).toEqual(['CONCATENATION', 'DEPTH_TO_SPACE', 'MAX_POOL_2D', 'MIRROR_PAD', 'PAD', 'RESHAPE', 'RESIZE_NEAREST_NEIGHBOR', 'SPACE_TO_DEPTH', 'SPLIT', 'SPLIT_V', 'SQUEEZE', 'STRIDED_SLICE', 'TRANSPOSE', 'UNPACK']);
    expect(refused.sort()).toEqual(['DEQUANTIZE', 'QUANTIZE']);
  });
});
