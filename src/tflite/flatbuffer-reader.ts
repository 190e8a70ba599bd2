/**
 * A bounds-checked FlatBuffers reader. Every read checks that the bytes it touches lie inside the
 * file and throws ModelFormatError (naming what was being read and where) otherwise, so a
 * truncated or corrupted model can never cause a RangeError, an `undefined` read or a hang.
 *
 * FlatBuffers layout in brief: a table starts with an int32 `soffset`; its vtable lives at
 * `table - soffset` and holds uint16 [vtable size, table size, field offsets...]. A field whose
 * vtable slot is absent or 0 takes the schema default. Reference fields (tables, vectors,
 * strings) hold a uint32 offset relative to the field's own position. Vectors and strings start
 * with a uint32 element count.
 *
 * Because a malicious file can make many references point to the same large vector, the reader
 * also keeps a work budget proportional to the file size: every vector element visited and every
 * byte copied is charged, so the total work of an import is linear in the file size.
 */
import { ByteBuffer } from 'flatbuffers';
import { ModelFormatError } from '../errors.js';

/** How many vector elements / copied bytes an import may touch per byte of file, plus a floor. */
const BUDGET_PER_BYTE = 16;
const BUDGET_FLOOR = 1 << 20;

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class FlatBufferReader {
  readonly bb: ByteBuffer;
  /** Size in bytes of the whole file. */
  readonly size: number;
  private budget: number;

  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
    this.budget = BUDGET_PER_BYTE * this.size + BUDGET_FLOOR;
  }

  fail(message: string): never {
    throw new ModelFormatError(message);
  }

  /** Charge `units` of work (vector elements visited, bytes copied) against the budget. */
  charge(units: number, what: string): void {
    this.budget -= units;
    if (this.budget < 0) {
      this.fail(
        `corrupt model: reading ${what} exceeds the work any well-formed ${this.size}-byte model needs ` +
          `(tables or vectors are referenced many times over)`,
      );
    }
  }

  /** Throws unless bytes [pos, pos + len) lie inside the file. */
  check(pos: number, len: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || !Number.isSafeInteger(len) || len < 0 || pos + len > this.size) {
      this.fail(
        `truncated or corrupt model: ${what} at offset ${pos} (${len} bytes) runs past end of file (size ${this.size})`,
      );
    }
  }

  u8(pos: number, what: string): number {
    this.check(pos, 1, what);
    return this.bb.readUint8(pos);
  }
  i8(pos: number, what: string): number {
    this.check(pos, 1, what);
    return this.bb.readInt8(pos);
  }
  u16(pos: number, what: string): number {
    this.check(pos, 2, what);
    return this.bb.readUint16(pos);
  }
  i32(pos: number, what: string): number {
    this.check(pos, 4, what);
    return this.bb.readInt32(pos);
  }
  u32(pos: number, what: string): number {
    this.check(pos, 4, what);
    return this.bb.readUint32(pos);
  }
  i64(pos: number, what: string): bigint {
    this.check(pos, 8, what);
    return this.bb.readInt64(pos);
  }
  u64(pos: number, what: string): bigint {
    this.check(pos, 8, what);
    return this.bb.readUint64(pos);
  }
  f32(pos: number, what: string): number {
    this.check(pos, 4, what);
    return this.bb.readFloat32(pos);
  }

  /** The 4-character file identifier at bytes 4..8 (as printable text). */
  fileIdentifier(): string {
    this.check(0, 8, 'the file header (root offset and file identifier)');
    let s = '';
    for (let i = 4; i < 8; i++) {
      const c = this.bytes[i];
      s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
    }
    return s;
  }

  /** The root table (the uint32 at offset 0 points to it). */
  root(what: string): Table {
    const off = this.u32(0, 'the root table offset');
    return this.table(off, what);
  }

  /** Follow the uint32 offset stored at `pos` (relative to `pos`). */
  deref(pos: number, what: string): number {
    const off = this.u32(pos, `the offset to ${what}`);
    const target = pos + off;
    if (target >= this.size) {
      this.fail(
        `truncated or corrupt model: ${what} is at offset ${target}, past the end of the file (size ${this.size})`,
      );
    }
    return target;
  }

  /** A table starting at `pos`, with its vtable validated. */
  table(pos: number, what: string): Table {
    const soffset = this.i32(pos, what);
    const vtable = pos - soffset;
    if (vtable < 0 || vtable + 4 > this.size) {
      this.fail(
        `corrupt model: the vtable of ${what} (table at offset ${pos}) would be at offset ${vtable}, ` +
          `outside the file (size ${this.size})`,
      );
    }
    const vtableSize = this.u16(vtable, `the vtable of ${what}`);
    const tableSize = this.u16(vtable + 2, `the vtable of ${what}`);
    if (vtableSize < 4 || vtableSize % 2 !== 0) {
      this.fail(`corrupt model: the vtable of ${what} at offset ${vtable} declares an invalid size ${vtableSize}`);
    }
    this.check(vtable, vtableSize, `the vtable of ${what}`);
    if (tableSize < 4) {
      this.fail(`corrupt model: ${what} at offset ${pos} declares an invalid inline size ${tableSize}`);
    }
    this.check(pos, tableSize, what);
    return new Table(this, pos, vtable, vtableSize, what);
  }

  /** Location and length of a vector whose elements are `elemSize` bytes, starting at `pos`. */
  vectorAt(pos: number, elemSize: number, what: string): VectorRef {
    const length = this.u32(pos, `the length of ${what}`);
    const start = pos + 4;
    const bytes = length * elemSize;
    if (start + bytes > this.size) {
      this.fail(
        `truncated or corrupt model: ${what} at offset ${pos} has ${length} elements of ${elemSize} bytes, ` +
          `which runs past end of file (size ${this.size})`,
      );
    }
    this.charge(length, what);
    return { start, length };
  }

  /** A UTF-8 string starting at `pos` (invalid sequences decode to U+FFFD). */
  stringAt(pos: number, what: string): string {
    const { start, length } = this.vectorAt(pos, 1, what);
    return utf8.decode(this.bytes.subarray(start, start + length));
  }
}

export interface VectorRef {
  /** Offset of the first element. */
  start: number;
  length: number;
}

/** A vector of tables: elements are uint32 offsets relative to each element's position. */
export class TableVector {
  constructor(
    private readonly reader: FlatBufferReader,
    private readonly ref: VectorRef,
    private readonly elementName: string,
  ) {}

  get length(): number {
    return this.ref.length;
  }

  /** Element `i` as a table; `what` names it in errors (defaults to "<element> <i>"). */
  at(i: number, what = `${this.elementName} ${i}`): Table {
    if (!Number.isInteger(i) || i < 0 || i >= this.ref.length) {
      this.reader.fail(`corrupt model: ${what} does not exist (only ${this.ref.length})`);
    }
    const slot = this.ref.start + 4 * i;
    return this.reader.table(this.reader.deref(slot, what), what);
  }
}

/** One table: typed field accessors that return the schema default for absent fields. */
export class Table {
  constructor(
    readonly reader: FlatBufferReader,
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
    /** What this table is, for error messages ("tensor 3 of subgraph 0"). */
    readonly what: string,
  ) {}

  /** Absolute position of field `id`, or 0 when the field is absent. */
  private field(id: number): number {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vtableSize) return 0;
    const off = this.reader.u16(this.vtable + slot, `the vtable of ${this.what}`);
    return off === 0 ? 0 : this.pos + off;
  }

  private name(field: string): string {
    return `field '${field}' of ${this.what}`;
  }

  has(id: number): boolean {
    return this.field(id) !== 0;
  }

  /** A scalar field: `read` at its position, or the schema default `def` when the field is absent. */
  private scalar<T>(id: number, field: string, def: T, read: (pos: number, what: string) => T): T {
    const p = this.field(id);
    return p === 0 ? def : read(p, this.name(field));
  }

  u8(id: number, field: string, def = 0): number {
    return this.scalar(id, field, def, (p, what) => this.reader.u8(p, what));
  }
  i8(id: number, field: string, def = 0): number {
    return this.scalar(id, field, def, (p, what) => this.reader.i8(p, what));
  }
  bool(id: number, field: string, def = false): boolean {
    return this.scalar(id, field, def, (p, what) => this.reader.u8(p, what) !== 0);
  }
  i32(id: number, field: string, def = 0): number {
    return this.scalar(id, field, def, (p, what) => this.reader.i32(p, what));
  }
  u32(id: number, field: string, def = 0): number {
    return this.scalar(id, field, def, (p, what) => this.reader.u32(p, what));
  }
  u64(id: number, field: string, def = 0n): bigint {
    return this.scalar(id, field, def, (p, what) => this.reader.u64(p, what));
  }
  f32(id: number, field: string, def = 0): number {
    return this.scalar(id, field, def, (p, what) => this.reader.f32(p, what));
  }

  /** A sub-table, or undefined when absent. */
  table(id: number, field: string, what: string): Table | undefined {
    const p = this.field(id);
    if (p === 0) return undefined;
    return this.reader.table(this.reader.deref(p, `${what} (${this.name(field)})`), what);
  }

  string(id: number, field: string): string | undefined {
    const p = this.field(id);
    if (p === 0) return undefined;
    const what = this.name(field);
    return this.reader.stringAt(this.reader.deref(p, what), what);
  }

  /** Raw vector reference, or undefined when absent. */
  vector(id: number, field: string, elemSize: number): VectorRef | undefined {
    const p = this.field(id);
    if (p === 0) return undefined;
    const what = this.name(field);
    return this.reader.vectorAt(this.reader.deref(p, what), elemSize, what);
  }

  tables(id: number, field: string, elementName: string): TableVector | undefined {
    const ref = this.vector(id, field, 4);
    return ref === undefined ? undefined : new TableVector(this.reader, ref, elementName);
  }

  /** A vector of `size`-byte numbers, element i read by `read` at its position (bounds checked by `vector`). */
  private numbers<T>(id: number, field: string, size: number, read: (pos: number) => T): T[] | undefined {
    const ref = this.vector(id, field, size);
    if (ref === undefined) return undefined;
    const out = new Array<T>(ref.length);
    for (let i = 0; i < ref.length; i++) out[i] = read(ref.start + size * i);
    return out;
  }

  i32s(id: number, field: string): number[] | undefined {
    return this.numbers(id, field, 4, (p) => this.reader.bb.readInt32(p));
  }

  f32s(id: number, field: string): number[] | undefined {
    return this.numbers(id, field, 4, (p) => this.reader.bb.readFloat32(p));
  }

  i64s(id: number, field: string): bigint[] | undefined {
    return this.numbers(id, field, 8, (p) => this.reader.bb.readInt64(p));
  }

  /**
   * An int64 vector as JS numbers without BigInt (much faster): exact for |v| < 2^53, and values
   * beyond that stay far beyond any int32 range check.
   */
  i64sAsNumbers(id: number, field: string): number[] | undefined {
    const bb = this.reader.bb;
    return this.numbers(id, field, 8, (p) => bb.readInt32(p + 4) * 4294967296 + bb.readUint32(p));
  }

  /** A [ubyte] vector as a view into the file (no copy), or undefined when absent. */
  bytes(id: number, field: string): Uint8Array | undefined {
    const ref = this.vector(id, field, 1);
    if (ref === undefined) return undefined;
    return this.reader.bytes.subarray(ref.start, ref.start + ref.length);
  }
}
