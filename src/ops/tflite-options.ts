/**
 * How an op file declares its TFLite builtin options: the options table's fields as schema.fbs
 * lists them (id, type, default) and two pure functions between their raw values and the op's
 * typed attrs. `tflite/` reads the fields from a model and calls `read`; `tflite-writer/` calls
 * `write` and stores the fields. Neither knows any op, so an op's TFLite mapping lives in its
 * own file, read and write side by side.
 */
import { GraphError, ModelFormatError } from '../errors.js';
import type { FusedActivation, Padding } from '../ir/attrs.js';
import type { DType, Graph, Op } from '../ir/types.js';
import { describeOp } from '../ir/types.js';

/** Flatbuffer scalar or vector kinds the options tables of supported ops use. */
export type TfliteFieldKind = 'i8' | 'i32' | 'f32' | 'bool' | 'i32s';

export interface TfliteField {
  /** Field id (its position in the table in schema.fbs). */
  id: number;
  /** Its snake_case name in schema.fbs (messages and `read`/`write` keys). */
  name: string;
  kind: TfliteFieldKind;
  /** Schema default (0 / false unless schema.fbs says otherwise); unused for `i32s`. */
  default?: number | boolean;
  /** Value `read` sees when the op carries no options table at all (default: `default`). */
  withoutTable?: number | boolean;
  /** Written even when equal to the default (readers that take absent as another value). */
  alwaysWrite?: boolean;
}

/** Raw field values by schema name; an absent vector field is `undefined`. */
export type TfliteFieldValues = Record<string, number | boolean | number[] | undefined>;

/** The raw values `read` gets (schema defaults filled in), typed by kind. */
export class RawOptions {
  constructor(private readonly values: TfliteFieldValues) {}

  /** An `i8` or `i32` or `f32` field. */
  num(name: string): number {
    const v = this.values[name];
    if (typeof v !== 'number') throw new Error(`options field ${name} is not a number field`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.values[name];
    if (typeof v !== 'boolean') throw new Error(`options field ${name} is not a bool field`);
    return v;
  }

  /** An `i32s` field; undefined when the table lacks it. */
  ints(name: string): number[] | undefined {
    const v = this.values[name];
    if (v !== undefined && !Array.isArray(v)) throw new Error(`options field ${name} is not a vector field`);
    return v;
  }
}

export interface TfliteOptions<A> {
  /** The BuiltinOptions union member, e.g. 'Conv2DOptions', and its position in the union. */
  table: string;
  unionType: number;
  fields: readonly TfliteField[];
  /**
   * Raw values (schema defaults filled in) to attrs, validating enums and ranges so later stages
   * can trust them. Absent: the op has no attributes and the importer ignores its options table.
   */
  read?(v: RawOptions, c: OptionsReadContext): A;
  /** Attrs to raw values; `undefined` writes no options table (RESHAPE with a shape input). */
  write(a: A, c: OptionsWriteContext): TfliteFieldValues | undefined;
}

/** What an op file knows about TFLite beyond its builtin name (= its IR op type). */
export interface TfliteMapping<A> {
  /** Absent: the op has no options table in schema.fbs (LOGISTIC, RELU, ...). */
  options?: TfliteOptions<A>;
  /** OperatorCode.version for the op/dtype combination (op_version.cc); default 1. */
  version?(graph: Graph, op: Op): number;
}

const PADDINGS: readonly Padding[] = ['SAME', 'VALID'];
const ACTIVATIONS: readonly FusedActivation[] = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

/** Checks for `read`, naming the op ("op #3 CONV_2D") in every error. */
export class OptionsReadContext {
  constructor(
    readonly label: string,
    /** The op's input count (RESHAPE's new_shape means something else with a shape input). */
    readonly numInputs: number,
  ) {}

  padding(v: number): Padding {
    const p = PADDINGS[v];
    if (p === undefined) throw new ModelFormatError(`${this.label} has invalid padding ${v} (expected 0 SAME or 1 VALID)`);
    return p;
  }

  activation(v: number): FusedActivation {
    const a = ACTIVATIONS[v];
    if (a === undefined) {
      throw new ModelFormatError(`${this.label} has invalid fused activation ${v} (expected 0..${ACTIVATIONS.length - 1})`);
    }
    return a;
  }

  positive(v: number, field: string): number {
    if (!(v >= 1)) {
      throw new ModelFormatError(`${this.label} has ${field} ${v}; it must be at least 1 (missing or corrupt options?)`);
    }
    return v;
  }

  finite(v: number, field: string): number {
    if (!Number.isFinite(v)) throw new ModelFormatError(`${this.label} has non-finite ${field} ${v}`);
    return v;
  }
}

/** Checks for `write`, naming the op in every error; `int16` tells whether it runs on int16. */
export class OptionsWriteContext {
  constructor(
    readonly graph: Graph,
    readonly op: Op,
    /** Some tensor of the op is int16 (ADD/SUB then write pot_scale_int16 = false). */
    readonly int16: boolean,
  ) {}

  int(field: string, v: unknown): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new GraphError(`${describeOp(this.graph, this.op)}: attribute ${field} is ${String(v)}, not an int32; cannot write it to TFLite`);
    }
    return v;
  }

  ints(field: string, v: readonly number[]): number[] {
    return v.map((d, i) => this.int(`${field}[${i}]`, d));
  }

  activation(a: FusedActivation): number {
    const code = ACTIVATIONS.indexOf(a);
    if (code < 0) throw new GraphError(`${describeOp(this.graph, this.op)}: unknown fused activation '${String(a)}'`);
    return code;
  }

  padding(p: Padding): number {
    const code = PADDINGS.indexOf(p);
    if (code < 0) throw new GraphError(`${describeOp(this.graph, this.op)}: unknown padding '${String(p)}'`);
    return code;
  }
}

/** An options table with no fields the IR keeps (PadOptions, QuantizeOptions...): written empty. */
export function emptyOptions<A>(table: string, unionType: number, read?: () => A): TfliteOptions<A> {
  return { table, unionType, fields: [], ...(read ? { read } : {}), write: () => ({}) };
}

/** The dtype of `op`'s input or output `ref` (undefined for an omitted input). */
export function dtypeOf(graph: Graph, ref: number | undefined): DType | undefined {
  return ref !== undefined && ref >= 0 ? graph.tensors[ref]?.dtype : undefined;
}

/** The usual version rule: by input 0's dtype (int16, int8, anything else). */
export function versionByInput(int16: number, int8: number, other = 1): (graph: Graph, op: Op) => number {
  return (graph, op) => {
    const d = dtypeOf(graph, op.inputs[0]);
    return d === 'int16' ? int16 : d === 'int8' ? int8 : other;
  };
}

