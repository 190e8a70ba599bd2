/**
 * The fast host evaluation of windows that each read one input plane: DEPTHWISE_CONV_2D, and
 * CONV_2D with one input channel (a depthwise conv whose every output channel reads plane 0).
 * The input becomes a channel-planar, zero-padded buffer of doubles with the input offset
 * applied (padding taps then contribute 0, as the reference's skipped taps do); each output
 * channel slides its window over its input plane with the weights in locals (3x3 unrolled).
 */
import type { WindowFields } from './layer-params.js';
import { ACC_CHUNK, type F64Buffer, SCRATCH_ACC, SCRATCH_INPUT, f64Scratch, padInput, windowReach } from './gemm-f64.js';
import { finalizeOutputs, type OutputStage } from './requant-fast.js';

/**
 * A whole planar window layer: `W` holds each output channel's taps contiguous ([outC][fH*fW]
 * doubles), output channel oc reads input channel floor(oc / mult), and `stage` turns the
 * accumulators into outputs.
 */
export function planeConvLayer(
  p: WindowFields & { dilationHeight: number; dilationWidth: number },
  mult: number,
  input: Int8Array | Int16Array | Float32Array,
  inOff: number,
  W: F64Buffer,
  stage: OutputStage,
): void {
  // `| 0`: V8 may hold params fields as doubles; int32 locals keep all index arithmetic integral.
  const inH = p.inputHeight | 0;
  const inW = p.inputWidth | 0;
  const inC = p.inputDepth | 0;
  const fH = p.filterHeight | 0;
  const fW = p.filterWidth | 0;
  const outH = p.outputHeight | 0;
  const outW = p.outputWidth | 0;
  const outC = p.outputDepth | 0;
  const sH = p.strideHeight | 0;
  const sW = p.strideWidth | 0;
  const dH = p.dilationHeight | 0;
  const dW = p.dilationWidth | 0;
  mult |= 0;
  inOff |= 0;
  const taps = fH * fW;
  const hp = windowReach(outH, sH, fH, dH);
  const wp = windowReach(outW, sW, fW, dW);
  const X = f64Scratch(SCRATCH_INPUT, hp * wp * inC);
  const rowsPerChunk = Math.max(1, Math.floor(ACC_CHUNK / (outW * outC))) | 0;
  const acc = f64Scratch(SCRATCH_ACC, Math.min(outH, rowsPerChunk) * outW * outC);
  const tapOffsets = windowTapOffsets(fH, fW, dH, dW, wp);
  const threeByThree = fH === 3 && fW === 3;
  for (let b = 0; b < (p.batches | 0); b++) {
    padInput('planar', input, b * inH * inW * inC, inH, inW, inC, inOff, X, hp, wp, p.padHeight | 0, p.padWidth | 0);
    for (let oy0 = 0; oy0 < outH; oy0 += rowsPerChunk) {
      const oy1 = Math.min(outH, oy0 + rowsPerChunk) | 0;
      const pixels = (oy1 - oy0) * outW;
      // Channel-major accumulators: each channel's outputs contiguous.
      for (let oc = 0; oc < outC; oc++) {
        const plane = ((oc / mult) | 0) * hp * wp;
        planeConvChannel(X, plane, wp, sH, sW, threeByThree, tapOffsets, W, oc * taps, oy0, oy1, outW, acc, oc * pixels);
      }
      finalizeOutputs(stage, acc, pixels, outC, (b * outH + oy0) * outW * outC, true);
    }
  }
}

/**
 * One output channel's window slid over one input plane (at `plane` in X, rows wp wide) for
 * output rows [oy0, oy1), into acc[o...] in pixel order, with weights W[w...] in (fy, fx) order.
 * A 3x3 window keeps its nine weights in locals; any other reads taps at tapOffsets.
 */
function planeConvChannel(
  X: F64Buffer,
  plane: number,
  wp: number,
  sH: number,
  sW: number,
  threeByThree: boolean,
  tapOffsets: readonly number[],
  W: F64Buffer,
  w: number,
  oy0: number,
  oy1: number,
  outW: number,
  acc: F64Buffer,
  o: number,
): void {
  plane |= 0;
  wp |= 0;
  sH |= 0;
  sW |= 0;
  w |= 0;
  oy0 |= 0;
  oy1 |= 0;
  outW |= 0;
  o |= 0;
  if (threeByThree) {
    const k0 = W[w];
    const k1 = W[w + 1];
    const k2 = W[w + 2];
    const k3 = W[w + 3];
    const k4 = W[w + 4];
    const k5 = W[w + 5];
    const k6 = W[w + 6];
    const k7 = W[w + 7];
    const k8 = W[w + 8];
    // Taps (fy, fx) sit at row fy's offset plus column fx's: tapOffsets[3 * fy + fx].
    const dW = tapOffsets[1] | 0;
    const d2 = tapOffsets[2] | 0;
    const dHwp = tapOffsets[3] | 0;
    for (let oy = oy0; oy < oy1; oy++) {
      const r0 = plane + oy * sH * wp;
      const r1 = r0 + dHwp;
      const r2 = r1 + dHwp;
      for (let ox = 0, x = 0; ox < outW; ox++, x += sW, o++) {
        acc[o] =
          k0 * X[r0 + x] + k1 * X[r0 + x + dW] + k2 * X[r0 + x + d2] +
          k3 * X[r1 + x] + k4 * X[r1 + x + dW] + k5 * X[r1 + x + d2] +
          k6 * X[r2 + x] + k7 * X[r2 + x + dW] + k8 * X[r2 + x + d2];
      }
    }
    return;
  }
  const taps = tapOffsets.length;
  for (let oy = oy0; oy < oy1; oy++) {
    const row = plane + oy * sH * wp;
    for (let ox = 0; ox < outW; ox++, o++) {
      const corner = row + ox * sW;
      let s = 0;
      for (let t = 0; t < taps; t++) s += W[w + t] * X[corner + tapOffsets[t]];
      acc[o] = s;
    }
  }
}

/** Offsets of a window's taps within one padded plane of width wp, in (fy, fx) order. */
function windowTapOffsets(fH: number, fW: number, dH: number, dW: number, wp: number): number[] {
  const offsets: number[] = [];
  for (let fy = 0; fy < fH; fy++) for (let fx = 0; fx < fW; fx++) offsets.push(fy * dH * wp + fx * dW);
  return offsets;
}
