/**
 * Builds small ONNX models in tests (encoded with the importer's own protobuf subset) and a naive
 * NCHW reference evaluator for the ops the tests use, to check the importer's layout conversion
 * numerically.
 */
import { encodeModelProto, OnnxAttrType } from '../../src/onnx/schema.js';
import { mulberry32 } from '../../src/random.js';

export type Attr =
  | { kind: 'int'; v: number }
  | { kind: 'float'; v: number }
  | { kind: 'ints'; v: number[] }
  | { kind: 'floats'; v: number[] }
  | { kind: 'string'; v: string }
  | { kind: 'tensor'; v: TensorSpec };

export const int = (v: number): Attr => ({ kind: 'int', v });
export const float = (v: number): Attr => ({ kind: 'float', v });
export const ints = (v: number[]): Attr => ({ kind: 'ints', v });
export const floats = (v: number[]): Attr => ({ kind: 'floats', v });
export const str = (v: string): Attr => ({ kind: 'string', v });
export const tensorAttr = (v: TensorSpec): Attr => ({ kind: 'tensor', v });

export interface TensorSpec {
  name: string;
  dims: number[];
  /** ONNX data type (1 float, 2 uint8, 3 int8, 6 int32, 7 int64). */
  type?: number;
  values: ArrayLike<number>;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
  name?: string;
  domain?: string;
}

function rawData(type: number, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  let arr: ArrayBufferView;
  switch (type) {
    case 1:
      arr = Float32Array.from(values);
      break;
    case 2:
      arr = Uint8Array.from(values);
      break;
    case 3:
      arr = Int8Array.from(values);
      break;
    case 6:
      arr = Int32Array.from(values);
      break;
    case 7:
      arr = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
      break;
    default:
      throw new Error(`type ${type}`);
  }
  void n;
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

export function tensorProto(t: TensorSpec): Record<string, unknown> {
  const type = t.type ?? 1;
  return { name: t.name, dims: t.dims, dataType: type, rawData: rawData(type, t.values) };
}

function attrProto(name: string, a: Attr): Record<string, unknown> {
  switch (a.kind) {
    case 'int':
      return { name, type: OnnxAttrType.INT, i: a.v };
    case 'float':
      return { name, type: OnnxAttrType.FLOAT, f: a.v };
    case 'ints':
      return { name, type: OnnxAttrType.INTS, ints: a.v };
    case 'floats':
      return { name, type: OnnxAttrType.FLOATS, floats: a.v };
    case 'string':
      return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(a.v) };
    case 'tensor':
      return { name, type: OnnxAttrType.TENSOR, t: tensorProto(a.v) };
  }
}

export interface ModelSpec {
  inputs: { name: string; shape: (number | string)[]; type?: number }[];
  outputs: { name: string; shape?: number[]; type?: number }[];
  nodes: NodeSpec[];
  initializers?: TensorSpec[];
  opset?: number;
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const vi = (v: { name: string; shape?: (number | string)[]; type?: number }): Record<string, unknown> => ({
    name: v.name,
    type: { tensorType: { elemType: v.type ?? 1, shape: { dim: (v.shape ?? []).map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  return encodeModelProto({
    irVersion: 7,
    producerName: 'tinyml-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, k) => ({
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? `${n.op.toLowerCase()}_${k}`,
        ...(n.domain ? { domain: n.domain } : {}),
        attribute: Object.entries(n.attrs ?? {}).map(([k2, a]) => attrProto(k2, a)),
      })),
      initializer: (spec.initializers ?? []).map(tensorProto),
      input: spec.inputs.map(vi),
      output: spec.outputs.map(vi),
    },
  });
}

// ---------------------------------------------------------------------------------------------
// NCHW reference kernels (float64)
// ---------------------------------------------------------------------------------------------

export interface Arr {
  shape: number[];
  data: Float64Array;
}

export function arr(shape: number[], data: ArrayLike<number>): Arr {
  return { shape, data: Float64Array.from(data) };
}

export function refConv(x: Arr, w: Arr, b: ArrayLike<number> | undefined, opts: { pads?: number[]; strides?: number[]; dilations?: number[]; group?: number }): Arr {
  const [N, C, H, W] = x.shape;
  const [O, CI, KH, KW] = w.shape;
  const [pt, pl, pb, pr] = opts.pads ?? [0, 0, 0, 0];
  const [sh, sw] = opts.strides ?? [1, 1];
  const [dh, dw] = opts.dilations ?? [1, 1];
  const g = opts.group ?? 1;
  const OH = Math.floor((H + pt + pb - ((KH - 1) * dh + 1)) / sh) + 1;
  const OW = Math.floor((W + pl + pr - ((KW - 1) * dw + 1)) / sw) + 1;
  const out = new Float64Array(N * O * OH * OW);
  const opg = O / g;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / opg);
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let acc = b ? b[o] : 0;
          for (let ci = 0; ci < CI; ci++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * sh - pt + ky * dh;
                const ix = ox * sw - pl + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const c = grp * CI + ci;
                acc += x.data[((n * C + c) * H + iy) * W + ix] * w.data[((o * CI + ci) * KH + ky) * KW + kx];
              }
          out[((n * O + o) * OH + oy) * OW + ox] = acc;
        }
    }
  return { shape: [N, O, OH, OW], data: out };
}

export function refGemm(a: Arr, wOutIn: Arr, b?: ArrayLike<number>): Arr {
  const [N, K] = a.shape;
  const [M] = wOutIn.shape;
  const out = new Float64Array(N * M);
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++) {
      let acc = b ? b[m] : 0;
      for (let k = 0; k < K; k++) acc += a.data[n * K + k] * wOutIn.data[m * K + k];
      out[n * M + m] = acc;
    }
  return { shape: [N, M], data: out };
}

export function refMaxPool(x: Arr, k: number, s: number): Arr {
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H - k) / s) + 1;
  const OW = Math.floor((W - k) / s) + 1;
  const out = new Float64Array(N * C * OH * OW);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let m = -Infinity;
          for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) m = Math.max(m, x.data[((n * C + c) * H + oy * s + ky) * W + ox * s + kx]);
          out[((n * C + c) * OH + oy) * OW + ox] = m;
        }
  return { shape: [N, C, OH, OW], data: out };
}

export const relu = (x: Arr): Arr => ({ shape: x.shape, data: x.data.map((v) => Math.max(0, v)) });

/** NCHW data → NHWC data. */
export function toNhwc(x: Arr): Float32Array {
  const [N, C, H, W] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[((n * H + h) * W + w) * C + c] = x.data[((n * C + c) * H + h) * W + w];
  return out;
}

/** Deterministic pseudo-random values in [lo, hi). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  const next = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(lo + next() * (hi - lo));
  return out;
}

export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return err / (scale || 1);
}
