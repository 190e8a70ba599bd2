/**
 * Run-time input quantization of the hybrid (dynamic-range) kernels, on the host: what
 * firmware/kernels/hybrid_quantize.c computes, in float32 arithmetic (Math.fround after every
 * operation the C does in float). TFLite's hybrid kernels quantize each batch of a float input
 * just before their int8 dot products: symmetrically (SymmetricQuantizeFloats: zero point 0,
 * values in [-127, 127]) or asymmetrically (AsymmetricQuantizeFloats: a nudged zero point).
 */
import { roundHalfAwayFromZero } from '../../fixedpoint.js';

export interface QuantizedInput {
  /** The float value of one quantization step. */
  scale: number;
  /** The int8 value that stands for 0.0 (0 when symmetric). */
  zeroPoint: number;
}

const f = Math.fround;

/** min(0, x) and max(0, x) over x[start, start + n). */
function range(x: Float32Array, start: number, n: number): { lo: number; hi: number } {
  let lo = 0;
  let hi = 0;
  for (let i = start; i < start + n; i++) {
    const v = x[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}

/** Quantizes x[start, start + n) into q[0, n) symmetrically; returns the scale (zero point 0). */
export function quantizeSymmetric(x: Float32Array, start: number, n: number, q: Int8Array): QuantizedInput {
  const { lo, hi } = range(x, start, n);
  const r = Math.max(Math.abs(lo), Math.abs(hi));
  if (r === 0) {
    q.fill(0, 0, n);
    return { scale: 1, zeroPoint: 0 };
  }
  const inv = f(127 / r);
  for (let i = 0; i < n; i++) {
    const v = roundHalfAwayFromZero(f(x[start + i] * inv));
    q[i] = v < -127 ? -127 : v > 127 ? 127 : v;
  }
  return { scale: f(r / 127), zeroPoint: 0 };
}

/** Quantizes x[start, start + n) into q[0, n) asymmetrically over [min(0, x), max(0, x)]. */
export function quantizeAsymmetric(x: Float32Array, start: number, n: number, q: Int8Array): QuantizedInput {
  const { lo, hi } = range(x, start, n);
  if (lo === hi) {
    q.fill(0, 0, n);
    return { scale: 1, zeroPoint: 0 };
  }
  // The zero point comes from the end of the range that loses less to rounding (in doubles).
  const s = (hi - lo) / 255;
  const fromMin = -128 - lo / s;
  const fromMax = 127 - hi / s;
  const zp = 128 + Math.abs(lo / s) < 127 + Math.abs(hi / s) ? fromMin : fromMax;
  const zeroPoint = zp <= -128 ? -128 : zp >= 127 ? 127 : roundHalfAwayFromZero(zp);
  const scale = f(s);
  const inv = f(1 / scale);
  for (let i = 0; i < n; i++) {
    const v = roundHalfAwayFromZero(f(zeroPoint + f(x[start + i] * inv)));
    q[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
  return { scale, zeroPoint };
}
