/**
 * Writes an op's builtin options table. Which table, its fields and how attrs map onto them are
 * the op's own (`tflite.options` of its OpDef in src/ops/); this stores the fields the op's
 * `write` returns in field-id order. Fields equal to the schema default are left out, as the
 * converter's FlatBufferBuilder does, except where a field says a reader relies on it.
 */
import type { Builder } from 'flatbuffers';
import { GraphError } from '../errors.js';
import type { OpAttrs } from '../ir/attrs.js';
import type { Graph, Op } from '../ir/types.js';
import { describeOp } from '../ir/types.js';
import { findOpDef } from '../ops/registry.js';
import { OptionsWriteContext, type TfliteField, type TfliteOptions } from '../ops/tflite-options.js';

export interface WrittenOptions {
  /** BuiltinOptions union type (0 = NONE). */
  type: number;
  /** Offset of the options table (0 when there is none). */
  offset: number;
}

const NONE: WrittenOptions = { type: 0, offset: 0 };

/**
 * Context the writer knows but the IR attrs do not carry: whether the op runs on int16
 * activations (ADD/SUB then need pot_scale_int16 = false, as the converter writes for 16x8
 * models with general scales).
 */
export interface OptionsContext {
  int16: boolean;
}

/** Writes `op`'s options table (must be called outside any other table under construction). */
export function writeOptions(b: Builder, graph: Graph, op: Op, ctx: OptionsContext): WrittenOptions {
  const def = findOpDef(op.type);
  if (!def) throw new GraphError(`${describeOp(graph, op)}: op type ${String(op.type)} cannot be written to TFLite`);
  const spec = def.tflite.options as TfliteOptions<OpAttrs[typeof op.type]> | undefined;
  // No options table exists for the op in schema.fbs.
  if (!spec) return NONE;
  const values = spec.write(op.attrs, new OptionsWriteContext(graph, op, ctx.int16));
  if (values === undefined) return NONE;
  const fields = [...spec.fields].sort((x, y) => x.id - y.id).filter((f) => values[f.name] !== undefined);
  // Vectors are built before the table that points at them.
  const vectors = new Map<string, number>();
  for (const f of fields) if (f.kind === 'i32s') vectors.set(f.name, i32Vector(b, values[f.name] as number[]));
  b.startObject(spec.fields.length === 0 ? 0 : Math.max(...spec.fields.map((f) => f.id)) + 1);
  for (const f of fields) writeField(b, f, values[f.name] as number | boolean, vectors.get(f.name));
  return { type: spec.unionType, offset: b.endObject() };
}

function writeField(b: Builder, f: TfliteField, v: number | boolean, vector: number | undefined): void {
  // A null default makes the builder store the value even when it equals the schema default.
  const def = (d: number): number | null => (f.alwaysWrite ? null : d);
  switch (f.kind) {
    case 'i8':
      b.addFieldInt8(f.id, v as number, def((f.default as number | undefined) ?? 0));
      return;
    case 'bool':
      b.addFieldInt8(f.id, v ? 1 : 0, def(f.default === true ? 1 : 0));
      return;
    case 'i32':
      b.addFieldInt32(f.id, v as number, def((f.default as number | undefined) ?? 0));
      return;
    case 'f32':
      b.addFieldFloat32(f.id, v as number, def((f.default as number | undefined) ?? 0));
      return;
    case 'i32s':
      b.addFieldOffset(f.id, vector!, 0);
      return;
  }
}

function i32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}
