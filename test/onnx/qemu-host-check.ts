/**
 * Shared by the ONNX fixture tests: the quantized model input ONNX's QuantizeLinear makes of a
 * float NCHW input, and a deploy to qemu-m4 whose outputs must equal the host reference's.
 */
import { expect } from 'vitest';
import { buildModelFirmware } from '../../src/deploy/firmware.js';
import { openTargetSession } from '../../src/deploy/target-session.js';
import { checkAgainstReference, inferOnDevice } from '../../src/deploy/verify.js';
import { prepareGraph, runGraph } from '../../src/interp/interpreter.js';
import type { Graph, TensorData } from '../../src/ir/types.js';
import { tensorDataBytes } from '../../src/ir/types.js';
import { roundHalfEven, transposeData } from '../../src/onnx/tensors.js';
import { requireArmToolchain, requireQemu } from '../helpers/tools.js';

/** QuantizeLinear (half to even, saturated) of a float input given in ONNX layout, as the IR's input (NHWC for rank 4). */
export function quantizeInput(g: Graph, x: number[], onnxShape: number[]): TensorData {
  const t = g.tensors[g.inputs[0]];
  const q = t.quant!;
  const values = onnxShape.length === 4 ? Array.from(transposeData(Float32Array.from(x), onnxShape, [0, 2, 3, 1])) : x;
  const [lo, hi] = t.dtype === 'uint8' ? [0, 255] : [-128, 127];
  const out = values.map((v) => Math.max(lo, Math.min(hi, roundHalfEven(v / q.scale[0]) + q.zeroPoint[0])));
  return t.dtype === 'uint8' ? Uint8Array.from(out) : Int8Array.from(out);
}

/**
 * Builds `modelPath` for qemu-m4 (warning-free), runs `inputs(graph)` and 3 random inputs on it,
 * and expects the host reference interpreter's bytes; returns the compiled graph.
 */
export async function expectQemuMatchesHost(modelPath: string, outDir: string, inputs: (g: Graph) => TensorData[]): Promise<Graph> {
  requireArmToolchain();
  requireQemu();
  const built = await buildModelFirmware(modelPath, { board: 'qemu-m4', outDir });
  expect(built.build.log).not.toMatch(/warning:/);
  const g = built.compiled.graph;
  const prepared = prepareGraph(g);
  const session = await openTargetSession(built.board, built.build.elf!, { timeoutMs: 30_000 });
  try {
    for (const [i, x] of inputs(g).entries()) {
      const want = Array.from(tensorDataBytes(runGraph(prepared, [x])[0]));
      expect(Array.from((await inferOnDevice(session.client, [x]))[0]), `input ${i}`).toEqual(want);
    }
    expect(await checkAgainstReference(session.client, prepared, 3)).toMatchObject({ cases: 3, matched: 3 });
  } finally {
    await session.close();
  }
  return g;
}
