/** Rendering IR values as C source: element types, array initializers, identifiers, strings. */
import type { DType, TensorData } from '../ir/types.js';

export const C_TYPE: Record<DType, string> = {
  int8: 'int8_t',
  uint8: 'uint8_t',
  bool: 'uint8_t',
  int16: 'int16_t',
  int32: 'int32_t',
  int64: 'int64_t',
  float32: 'float',
};

/** tinyml_dtype_t enumerator for each dtype (see firmware/runtime/tinyml_model.h). */
export const C_DTYPE_ENUM: Record<DType, string> = {
  int8: 'TINYML_DTYPE_INT8',
  uint8: 'TINYML_DTYPE_UINT8',
  int16: 'TINYML_DTYPE_INT16',
  int32: 'TINYML_DTYPE_INT32',
  float32: 'TINYML_DTYPE_FLOAT32',
  int64: 'TINYML_DTYPE_INT64',
  bool: 'TINYML_DTYPE_BOOL',
};

/** A C float literal that round-trips a float32 exactly. */
export function cFloat(x: number): string {
  if (Number.isNaN(x)) return '(0.0f / 0.0f)';
  if (x === Infinity) return '(1.0f / 0.0f)';
  if (x === -Infinity) return '(-1.0f / 0.0f)';
  const s = Math.fround(x).toPrecision(9);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

/** A C integer literal valid for its type (INT32_MIN and INT64 extremes need care). */
export function cInt(x: number | bigint, dtype: DType = 'int32'): string {
  if (dtype === 'int64') {
    const v = BigInt(x);
    if (v === -(1n << 63n)) return 'INT64_MIN';
    return `INT64_C(${v})`;
  }
  if (x === -2147483648) return 'INT32_MIN';
  return String(x);
}

/** Comma-separated initializer, `perLine` values per line. */
export function cArrayBody(data: TensorData | readonly number[], dtype: DType, perLine = 16): string {
  const n = data.length;
  const parts: string[] = [];
  let line: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = (data as ArrayLike<number | bigint>)[i];
    line.push(dtype === 'float32' ? cFloat(v as number) : dtype === 'int64' || dtype === 'int32' ? cInt(v, dtype) : String(v));
    if (line.length === perLine) {
      parts.push(`  ${line.join(', ')}`);
      line = [];
    }
  }
  if (line.length) parts.push(`  ${line.join(', ')}`);
  return parts.join(',\n');
}

/** Turns an arbitrary name into a valid, readable C identifier fragment. */
export function cIdent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
  return /^[0-9]/.test(s) || s === '' ? `t_${s}` : s;
}

/** A C string literal. */
export function cString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[^\x20-\x7e]/g, '?')}"`;
}
