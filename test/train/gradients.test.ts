/**
 * Gradient checks: every backward pass of src/train/ against central finite differences of its
 * forward pass, for L = Σ y · r with a fixed random r (so dL/dy = r). Layers are tested alone on
 * small odd shapes (stride, padding, depth multiplier), then the whole Fashion CNN in float mode,
 * which checks the wiring (residual ADD, PAD, MEAN, RESHAPE, fused ReLU).
 */
import { describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../src/onnx/index.js';
import {
  convBackward,
  convForward,
  denseBackward,
  denseForward,
  depthwiseBackward,
  depthwiseForward,
  maxPoolBackward,
  maxPoolForward,
  padBackward,
  padForward,
  spatialMeanBackward,
  spatialMeanForward,
  type ConvGeom,
} from '../../src/train/layers.js';
import { backward, buildNetwork, forward, zeroGrads } from '../../src/train/network.js';
import { fashionModelPath } from '../quantize/fashion.js';

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648 - 0.5;
  };
}

function filled(n: number, rnd: () => number): Float32Array {
  return Float32Array.from({ length: n }, rnd);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Central difference of L(v) at every index of v (or the given ones), against `analytic`. */
function expectGradient(v: Float32Array, loss: () => number, analytic: Float32Array, eps = 1e-2, indices?: number[]): void {
  const idx = indices ?? Array.from({ length: v.length }, (_, i) => i);
  for (const i of idx) {
    const keep = v[i];
    v[i] = keep + eps;
    const up = loss();
    v[i] = keep - eps;
    const down = loss();
    v[i] = keep;
    const numeric = (up - down) / (2 * eps);
    expect(Math.abs(numeric - analytic[i]), `index ${i}: numeric ${numeric}, analytic ${analytic[i]}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
  }
}

const geom = (o: Partial<ConvGeom>): ConvGeom => ({
  batch: 2, inH: 5, inW: 6, inC: 3, outH: 3, outW: 3, outC: 4, fH: 3, fW: 3, strideH: 2, strideW: 2, dilH: 1, dilW: 1, padH: 1, padW: 1, ...o,
});

describe('backward passes equal finite differences', () => {
  it('CONV_2D 3x3 stride 2 with padding (im2col), and 1x1 (pointwise)', () => {
    for (const g of [geom({}), geom({ fH: 1, fW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, outH: 5, outW: 6 })]) {
      const rnd = random(7);
      const x = filled(g.batch * g.inH * g.inW * g.inC, rnd);
      const w = filled(g.outC * g.fH * g.fW * g.inC, rnd);
      const b = filled(g.outC, rnd);
      const r = filled(g.batch * g.outH * g.outW * g.outC, rnd);
      const loss = (): number => dot(convForward(x, w, b, g).y, r);
      const { cache } = convForward(x, w, b, g);
      const dw = new Float32Array(w.length);
      const db = new Float32Array(b.length);
      const dx = new Float32Array(x.length);
      convBackward(cache, w, r, g, dw, db, dx);
      expectGradient(x, loss, dx);
      expectGradient(w, loss, dw);
      expectGradient(b, loss, db);
    }
  });

  it('DEPTHWISE_CONV_2D, depth multiplier 1 and 2', () => {
    for (const g of [geom({ outC: 3 }), geom({ outC: 6, strideH: 1, strideW: 1, outH: 5, outW: 6 })]) {
      const rnd = random(11);
      const x = filled(g.batch * g.inH * g.inW * g.inC, rnd);
      const w = filled(g.fH * g.fW * g.outC, rnd);
      const b = filled(g.outC, rnd);
      const r = filled(g.batch * g.outH * g.outW * g.outC, rnd);
      const loss = (): number => dot(depthwiseForward(x, w, b, g), r);
      const dw = new Float32Array(w.length);
      const db = new Float32Array(b.length);
      const dx = new Float32Array(x.length);
      depthwiseBackward(x, w, r, g, dw, db, dx);
      expectGradient(x, loss, dx);
      expectGradient(w, loss, dw);
      expectGradient(b, loss, db);
    }
  });

  it('FULLY_CONNECTED', () => {
    const rnd = random(3);
    const [rows, k, n] = [3, 7, 5];
    const x = filled(rows * k, rnd);
    const w = filled(n * k, rnd);
    const b = filled(n, rnd);
    const r = filled(rows * n, rnd);
    const loss = (): number => dot(denseForward(x, w, b, rows, k, n), r);
    const dw = new Float32Array(w.length);
    const db = new Float32Array(b.length);
    const dx = new Float32Array(x.length);
    denseBackward(x, w, r, rows, k, n, dw, db, dx);
    expectGradient(x, loss, dx);
    expectGradient(w, loss, dw);
    expectGradient(b, loss, db);
  });

  it('MAX_POOL_2D, PAD and MEAN over H and W', () => {
    const rnd = random(5);
    const pg = { batch: 2, inH: 5, inW: 4, c: 3, outH: 3, outW: 2, fH: 2, fW: 2, strideH: 2, strideW: 2, padH: 1, padW: 0 };
    const x = filled(2 * 5 * 4 * 3, rnd);
    const r = filled(2 * 3 * 2 * 3, rnd);
    const dx = new Float32Array(x.length);
    maxPoolBackward(maxPoolForward(x, pg).argmax, r, dx);
    expectGradient(x, () => dot(maxPoolForward(x, pg).y, r), dx, 1e-4);

    const padG = { inShape: [2, 5, 4, 3], outShape: [2, 7, 5, 3], before: [0, 1, 0, 0] };
    const rp = filled(2 * 7 * 5 * 3, rnd);
    const dxp = new Float32Array(x.length);
    padBackward(rp, padG, dxp);
    expectGradient(x, () => dot(padForward(x, padG, 0), rp), dxp);

    const rm = filled(2 * 3, rnd);
    const dxm = new Float32Array(x.length);
    spatialMeanBackward(rm, 2, 20, 3, dxm);
    expectGradient(x, () => dot(spatialMeanForward(x, 2, 20, 3), rm), dxm);
  });

  it('the whole Fashion CNN (float mode): weights and biases of every layer', async () => {
    const net = buildNetwork(await loadOnnxModel(fashionModelPath()), { kind: 'int8' });
    const rnd = random(9);
    const batch = 2;
    const x = Float32Array.from({ length: batch * net.inputSize }, () => rnd() + 0.5);
    const r = filled(batch * net.outputSize, rnd);
    const loss = (): number => dot(forward(net, x, batch, false).values.get(net.output)!, r);
    zeroGrads(net);
    backward(net, forward(net, x, batch, false), r);
    for (const p of net.weights) {
      const picks = [0, 1, 2].map((k) => Math.floor(((k + 0.5) / 3) * p.w.length));
      expectGradient(p.w, loss, p.dw, 1e-3, picks);
      if (p.b && p.db) expectGradient(p.b, loss, p.db, 1e-3, [0, p.b.length - 1]);
    }
  }, 60_000);
});
