/**
 * Reads an op's builtin options table into the IR's attrs. The fields of each table and their
 * mapping onto attrs are the op's own (`tflite.options` of its OpDef in src/ops/); this only
 * checks the table is of the kind the op takes and reads the fields it lists.
 */
import { ModelFormatError } from '../errors.js';
import type { OpAttrs, OpType } from '../ir/attrs.js';
import { getOpDefOfType, registeredOpTypes } from '../ops/registry.js';
import { OptionsReadContext, RawOptions, type TfliteField, type TfliteFieldValues, type TfliteOptions } from '../ops/tflite-options.js';
import type { Table } from './flatbuffer-reader.js';
import type { OperatorTable } from './schema.js';

/** The name of BuiltinOptions union member `code` among the tables supported ops use. */
export function optionsTypeName(code: number): string | undefined {
  for (const type of registeredOpTypes()) {
    const o = getOpDefOfType(type).tflite.options;
    if (o && o.unionType === code) return o.table;
  }
  return undefined;
}

/**
 * The attrs of op `type` from its builtin options. `label` names the op in errors
 * ("op #3 CONV_2D"); `numInputs` is the op's input count (RESHAPE needs it).
 */
export function readOpAttrs<T extends OpType>(type: T, op: OperatorTable, label: string, numInputs: number): OpAttrs[T] {
  const spec = getOpDefOfType(type).tflite.options as TfliteOptions<OpAttrs[T]> | undefined;
  // Attribute-less op: whatever options it carries mean nothing to tinyml.
  if (spec?.read === undefined) return {} as OpAttrs[T];
  const table = optionsTable(type, spec, op, label);
  const values: TfliteFieldValues = {};
  for (const f of spec.fields) values[f.name] = table ? readField(table, f) : (f.withoutTable ?? fieldDefault(f));
  return spec.read(new RawOptions(values), new OptionsReadContext(label, numInputs));
}

/** The op's options table when it is the kind `type` expects; undefined when absent. */
function optionsTable(type: OpType, spec: TfliteOptions<unknown>, op: OperatorTable, label: string): Table | undefined {
  const actual = op.builtinOptionsType;
  if (actual === 0) return undefined;
  if (actual !== spec.unionType) {
    const name = optionsTypeName(actual);
    throw new ModelFormatError(
      `${label} carries builtin options of union type ${actual}${name ? ` (${name})` : ''}, ` +
        `but ${type} takes ${spec.table} (union type ${spec.unionType})`,
    );
  }
  return op.builtinOptions(`the ${spec.table} of ${label}`);
}

function fieldDefault(f: TfliteField): number | boolean | undefined {
  if (f.kind === 'i32s') return undefined;
  return f.default ?? (f.kind === 'bool' ? false : 0);
}

function readField(t: Table, f: TfliteField): number | boolean | number[] | undefined {
  switch (f.kind) {
    case 'i8':
      return t.i8(f.id, f.name, fieldDefault(f) as number);
    case 'i32':
      return t.i32(f.id, f.name, fieldDefault(f) as number);
    case 'f32':
      return t.f32(f.id, f.name, fieldDefault(f) as number);
    case 'bool':
      return t.bool(f.id, f.name, fieldDefault(f) as boolean);
    case 'i32s':
      return t.i32s(f.id, f.name);
  }
}
