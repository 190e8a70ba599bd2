/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM: the reference kernel reproduces TensorFlow Lite Micro on a Keras 3
 * LSTM converted by the TFLite converter (test/fixtures/lstm, goldens from tflm_host_run), and the
 * C kernel equals the reference on random LSTMs (host gcc, ASan/UBSan).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphError, ModelFormatError, UnsupportedOpError } from '../../src/errors.js';
import type { UnidirectionalSequenceLstmAttrs } from '../../src/ir/attrs.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/types.js';
import { tensorDataBytes, tensorDataFromBytes } from '../../src/ir/types.js';
import { lstmScratchBytes, unidirectionalSequenceLstm as lstm, type LstmParams } from '../../src/ops/lstm.js';
import { importTflite, importTfliteFile } from '../../src/tflite/import.js';
import { writeTflite } from '../../src/tflite-writer/index.js';
import { PROJECT_ROOT, runOpCasesInC, runOpCasesInTs, type CKernelCase } from '../helpers/c-kernel-harness.js';
import { randomInt16, randomInt32, randomInt8, rng, singleOpContext, type TensorSpec } from '../helpers/op-graph.js';

const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/lstm');
const MODEL = join(FIXTURE, 'lstm_fmnist_int8.tflite');

interface Manifest {
  cases: { inputs: string[]; outputs: string[] }[];
}

describe('UNIDIRECTIONAL_SEQUENCE_LSTM vs TFLite Micro', () => {
  it('imports the converter output: a real int8 LSTM op, its options and its reset state', async () => {
    const g = await importTfliteFile(MODEL);
    expect(g.ops.map((o) => o.type)).toEqual(['UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'FULLY_CONNECTED']);
    const op = g.ops[0];
    expect(op.inputs.length).toBe(24);
    // The converter writes cell_clip 10 for a Keras LSTM.
    expect(op.attrs).toMatchObject({ activation: 'TANH', timeMajor: false, cellClip: 10 });
    const [x, hidden, cell] = [op.inputs[0], op.inputs[18], op.inputs[19]].map((i) => g.tensors[i]);
    expect([x.dtype, x.shape]).toEqual(['int8', [1, 28, 28]]);
    // The variable state tensors start at TFLM's reset values: the zero point (int8), 0 (int16).
    expect(hidden.isVariable && cell.isVariable).toBe(true);
    expect([hidden.dtype, cell.dtype]).toEqual(['int8', 'int16']);
    expect(Array.from(hidden.data as Int8Array)).toEqual(new Array(24).fill(hidden.quant!.zeroPoint[0]));
    expect(Array.from(cell.data as Int16Array)).toEqual(new Array(24).fill(0));
    const p = lstm.prepare({ graph: g, op: op as never, inputs: op.inputs.map((i) => (i >= 0 ? g.tensors[i] : undefined)), outputs: [g.tensors[op.outputs[0]]] });
    // Cell state scale 2^-11: TFLM's tanh left shift is 15 - 11 - 3 = 1 (power-of-two case).
    expect([p.cellTanhMultiplier, p.cellTanhShift]).toEqual([0, 1]);
    expect(p.cellClip).toBe(10 * 2 ** 11);
    expect(lstm.macs({ graph: g, op: op as never, inputs: op.inputs.map((i) => (i >= 0 ? g.tensors[i] : undefined)), outputs: [g.tensors[op.outputs[0]]] })).toBe(28 * 4 * 24 * (28 + 24));
  });

  it('every golden case bit-exact (random, near zero point, structured, real images)', async () => {
    const g = await importTfliteFile(MODEL);
    const prepared = prepareGraph(g);
    const m = JSON.parse(readFileSync(join(FIXTURE, 'golden/manifest.json'), 'utf8')) as Manifest;
    expect(m.cases.length).toBeGreaterThanOrEqual(10);
    for (const [k, c] of m.cases.entries()) {
      const input = tensorDataFromBytes('int8', readFileSync(join(FIXTURE, 'golden', c.inputs[0])));
      const out = runGraph(prepared, [input]);
      expect(Array.from(tensorDataBytes(out[0])), `case ${k}`).toEqual(Array.from(readFileSync(join(FIXTURE, 'golden', c.outputs[0]))));
    }
  });
});

const ATTRS: UnidirectionalSequenceLstmAttrs = {
  activation: 'TANH',
  cellClip: 0,
  projClip: 0,
  timeMajor: false,
  asymmetricQuantizeInputs: false,
  diagonalRecurrentTensors: false,
};

interface Shape {
  batches: number;
  steps: number;
  inputSize: number;
  units: number;
  timeMajor: boolean;
  cellScale: number;
  cellClip: number;
  /** Weights zero point (the converter writes 0; TFLM's FC still applies one). */
  weightZp?: number;
}

/** A random int8 LSTM with the converter's layout (weights per tensor, zero weight zero points). */
function randomLstm(s: Shape, rand: () => number, overrides: Partial<Record<number, TensorSpec | undefined>> = {}) {
  const q = (scale: number, zeroPoint = 0) => ({ scale, zeroPoint });
  const u = s.units;
  const xShape = s.timeMajor ? [s.steps, s.batches, s.inputSize] : [s.batches, s.steps, s.inputSize];
  const xScale = 10 ** (-2.6 + rand() * 1.5);
  const hScale = 10 ** (-2.5 + rand() * 1.3);
  const hZp = Math.floor(rand() * 60) - 30;
  const inputs: (TensorSpec | undefined)[] = new Array(24).fill(undefined);
  inputs[0] = { shape: xShape, dtype: 'int8', quant: q(xScale, Math.floor(rand() * 256) - 128) };
  for (let k = 0; k < 4; k++) {
    inputs[1 + k] = { shape: [u, s.inputSize], dtype: 'int8', quant: q(10 ** (-3 + rand() * 1.3), s.weightZp ?? 0), data: randomInt8(u * s.inputSize, rand) };
    inputs[5 + k] = { shape: [u, u], dtype: 'int8', quant: q(10 ** (-3 + rand() * 1.3), -(s.weightZp ?? 0)), data: randomInt8(u * u, rand) };
    inputs[12 + k] = { shape: [u], dtype: 'int32', quant: q(1e-5), data: randomInt32(u, rand, -40000, 40000) };
  }
  inputs[18] = { shape: [s.batches, u], dtype: 'int8', quant: q(hScale, hZp), data: randomInt8(s.batches * u, rand) };
  inputs[19] = { shape: [s.batches, u], dtype: 'int16', quant: q(s.cellScale), data: randomInt16(s.batches * u, rand, -12000, 12000) };
  for (const [k, v] of Object.entries(overrides)) inputs[Number(k)] = v;
  const out = { shape: [xShape[0], xShape[1], u], dtype: 'int8' as const, quant: q(hScale, hZp) };
  return singleOpContext('UNIDIRECTIONAL_SEQUENCE_LSTM', { ...ATTRS, timeMajor: s.timeMajor, cellClip: s.cellClip }, inputs, [out]);
}

describe('UNIDIRECTIONAL_SEQUENCE_LSTM C kernel matches evaluate', () => {
  it('random LSTMs (batch/time major, clipping, cell scales, weight zero points), host gcc with ASan/UBSan', () => {
    const rand = rng(1313);
    const cases: CKernelCase[] = [];
    for (let k = 0; k < 40; k++) {
      const cellPow = -(8 + Math.floor(rand() * 8));
      const s: Shape = {
        batches: 1 + Math.floor(rand() * 3),
        steps: 1 + Math.floor(rand() * 6),
        inputSize: 1 + Math.floor(rand() * 40),
        units: 1 + Math.floor(rand() * 33),
        timeMajor: rand() < 0.3,
        // Mostly powers of two, as the converter makes them; sometimes not (TFLM rounds the log2).
        cellScale: rand() < 0.8 ? 2 ** cellPow : 2 ** cellPow * (0.7 + rand() * 0.6),
        cellClip: rand() < 0.3 ? 0.5 + rand() * 4 : 0,
        weightZp: rand() < 0.25 ? 1 + Math.floor(rand() * 6) : 0,
      };
      const ctx = randomLstm(s, rand);
      const params = lstm.prepare(ctx);
      cases.push({ ctx, params, inputs: ctx.inputs.map((t) => t?.data ?? (t ? randomInt8(t.shape.reduce((a, b) => a * b, 1), rand) : undefined)) });
    }
    for (const c of cases) expect(JSON.parse(JSON.stringify(c.params))).toEqual(c.params);
    // Both sides saturate somewhere and not everywhere: the cases exercise the arithmetic.
    const ts = runOpCasesInTs(lstm, cases);
    const all = ts.flatMap((o) => Array.from(o[0] as Int8Array));
    expect(all.filter((v) => v === 127 || v === -128).length).toBeGreaterThan(0);
    expect(new Set(all).size).toBeGreaterThan(200);
    const c = runOpCasesInC(lstm, cases, { sanitize: true });
    for (let i = 0; i < cases.length; i++) expect(Array.from(c[i][0]), `case ${i}`).toEqual(Array.from(ts[i][0]));
  });

  it('the scratch size covers the state and the four gate buffers, word aligned', () => {
    const p = { units: 5 } as LstmParams;
    // hidden: 8 bytes (5 padded); cell + 4 gates: 5 x 12 bytes (10 padded).
    expect(lstmScratchBytes(p)).toBe(8 + 60);
  });
});

describe('UNIDIRECTIONAL_SEQUENCE_LSTM refuses what TFLite Micro refuses', () => {
  const s: Shape = { batches: 1, steps: 2, inputSize: 3, units: 4, timeMajor: false, cellScale: 2 ** -11, cellClip: 0 };
  it('peephole, projection and layer norm variants', () => {
    const rand = rng(7);
    const peephole = randomLstm(s, rand, { 9: { shape: [4], dtype: 'int16', quant: { scale: 1e-3, zeroPoint: 0 }, data: new Int16Array(4) } });
    expect(() => lstm.prepare(peephole)).toThrow(/peephole/);
    const proj = randomLstm(s, rand, { 16: { shape: [4, 4], dtype: 'int8', quant: { scale: 1e-3, zeroPoint: 0 }, data: new Int8Array(16) } });
    expect(() => lstm.prepare(proj)).toThrow(/projection/);
    const norm = randomLstm(s, rand, { 20: { shape: [4], dtype: 'int16', quant: { scale: 1e-3, zeroPoint: 0 }, data: new Int16Array(4) } });
    expect(() => lstm.prepare(norm)).toThrow(UnsupportedOpError);
  });
  it('per-channel weights, other dtypes, a non-tanh cell activation, wrong shapes', () => {
    const rand = rng(8);
    const perChannel = randomLstm(s, rand, {
      1: { shape: [4, 3], dtype: 'int8', quant: { scale: [0.01, 0.02, 0.01, 0.02], zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 }, data: new Int8Array(12) },
    });
    expect(() => lstm.prepare(perChannel)).toThrow(/per channel/);
    const f32 = randomLstm(s, rand, { 0: { shape: [1, 2, 3], dtype: 'float32' } });
    expect(() => lstm.prepare(f32)).toThrow(/unsupported data types.*float32/);
    const relu = randomLstm(s, rand);
    (relu.op.attrs as UnidirectionalSequenceLstmAttrs).activation = 'RELU';
    expect(() => lstm.prepare(relu)).toThrow(/TANH/);
    const badWeights = randomLstm(s, rand, { 6: { shape: [4, 5], dtype: 'int8', quant: { scale: 0.01, zeroPoint: 0 }, data: new Int8Array(20) } });
    expect(() => lstm.prepare(badWeights)).toThrow(GraphError);
    const noState = randomLstm(s, rand, { 19: undefined });
    expect(() => lstm.prepare(noState)).toThrow(/cell state.*missing/);
  });
});

describe('UNIDIRECTIONAL_SEQUENCE_LSTM through the TFLite writer', () => {
  it('the written fixture re-imports with the same options and computes the same outputs', async () => {
    const original = await importTfliteFile(MODEL);
    const written = importTflite(writeTflite(original), 'written');
    expect(written.ops[0].type).toBe('UNIDIRECTIONAL_SEQUENCE_LSTM');
    expect(written.ops[0].attrs).toEqual(original.ops[0].attrs);
    const [a, b] = [prepareGraph(original), prepareGraph(written)];
    const rand = rng(5);
    for (let k = 0; k < 3; k++) {
      const x = randomInt8(784, rand);
      expect(runGraph(b, [x])).toEqual(runGraph(a, [x]));
    }
  });
});

describe('variable tensors at import', () => {
  const graphWithState = (shape: number[]): Graph => ({
    name: 'state',
    tensors: [
      { id: 0, name: 'x', shape, dtype: 'int16', quant: { scale: [1], zeroPoint: [0], quantizedDimension: 0 } },
      { id: 1, name: 'state', shape, dtype: 'int8', quant: { scale: [1], zeroPoint: [-7], quantizedDimension: 0 }, isVariable: true },
      { id: 2, name: 'y', shape, dtype: 'int8' },
    ],
    ops: [{ index: 0, type: 'ADD', inputs: [0, 1], outputs: [2], attrs: { activation: 'NONE' } }],
    inputs: [0],
    outputs: [2],
  });
  it('one an op reads starts at its reset value (int8: the zero point)', () => {
    const g = importTflite(writeTflite(graphWithState([1, 3])), 'm');
    expect(Array.from(g.tensors[1].data as Int8Array)).toEqual([-7, -7, -7]);
  });
  it('a huge one in a small file is a ModelFormatError, not gigabytes allocated', () => {
    const bytes = writeTflite(graphWithState([1, 1 << 30]));
    expect(bytes.length).toBeLessThan(2000);
    expect(() => importTflite(bytes, 'm')).toThrow(ModelFormatError);
    expect(() => importTflite(bytes, 'm')).toThrow(/initial value of variable tensor 1 'state'/);
  });
});
