/**
 * Lowers a prepared graph to C: model.c (constants, arena, layer calls) and model.h (shapes,
 * dtypes, quantization as macros), from the Handlebars templates in templates/. Each op lowers
 * itself through its OpDef's `emitC`; this module only places operands and assembles the file.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PreparedGraph } from '../interp/interpreter.js';
import type { Tensor } from '../ir/types.js';
import { DTYPE_BYTES, describeOp, elementCount } from '../ir/types.js';
import type { OptimizeGoal, TargetInfo } from '../ops/op-def.js';
import { HOST_TARGET } from '../ops/op-def.js';
import type { MemoryPlan } from '../plan/memory-plan.js';
import { stepConstants } from './plan-model.js';
import { lutFlashBytes, stepLutEncoding } from './lut-layer.js';
import { emitLayer, layerScratchBytes } from './select-kernel.js';
// Registers the optimized per-core kernel variants with the selection seam.
import '../ops/optimized/index.js';
import '../ops/optimized-mve/index.js';
import '../ops/hybrid/index.js';
import '../ops/subbyte/index.js';
import { C_DTYPE_ENUM, C_TYPE, cArrayBody, cFloat, cIdent, cString } from './c-literals.js';
import { FIRMWARE_DIR, packageVersion, renderTemplate } from './templates.js';
import { assertStructsComplete } from './c-structs.js';
import type { Conv2DQuantParams } from '../ops/conv2d.js';
import type { DepthwiseConv2DQuantParams } from '../ops/depthwise-conv2d.js';
import { emitStreamPair, streamPairScratchBytes } from './pw-dw-stream.js';

export interface GeneratedModel {
  /** Project-relative path → contents, e.g. 'model/model.c'. */
  files: Record<string, string>;
  /** Kernel files under firmware/kernels/ the model needs (sources and every header). */
  kernelFiles: string[];
  arenaBytes: number;
  numLayers: number;
  /** Bytes of constant tensors emitted into flash. */
  constantBytes: number;
}

export interface GenerateOptions {
  /** Hex digest of the source model file (the first 16 digits are embedded). */
  hash: string;
  /** The core to generate for; selects optimized kernels where one applies. Default: portable. */
  target?: TargetInfo;
  /** Flash or speed where kernels have the choice (default 'speed'). */
  optimize?: OptimizeGoal;
}

function tensorInfo(t: Tensor, offset: number) {
  const per = t.quant && t.quant.scale.length === 1;
  return {
    name: t.name,
    nameLiteral: cString(t.name),
    dtype: t.dtype,
    dtypeEnum: C_DTYPE_ENUM[t.dtype],
    ctype: C_TYPE[t.dtype],
    rank: t.shape.length,
    shape: t.shape.length ? t.shape.join(', ') : '0',
    shapeText: t.shape.join('x'),
    elements: elementCount(t.shape),
    bytes: elementCount(t.shape) * DTYPE_BYTES[t.dtype],
    scale: per ? cFloat(t.quant!.scale[0]) : '0.0f',
    zeroPoint: per ? t.quant!.zeroPoint[0] : 0,
    offset,
  };
}

export function generateModelC(prepared: PreparedGraph, plan: MemoryPlan, options: GenerateOptions): GeneratedModel {
  const { graph } = prepared;
  const constName = new Map<number, string>();
  const nameFor = (t: Tensor): string => {
    let n = constName.get(t.id);
    if (!n) {
      n = `tensor${t.id}_${cIdent(t.name).slice(0, 40)}`;
      constName.set(t.id, n);
    }
    return n;
  };
  const arenaPtr = (t: Tensor, writable: boolean): string => {
    const off = plan.offsets.get(t.id);
    if (off === undefined) throw new Error(`tensor ${t.id} '${t.name}' has no arena offset`);
    return `((${writable ? '' : 'const '}${C_TYPE[t.dtype]} *)(tinyml_arena + ${off}))`;
  };

  // A layer's kernel scratch: its planned place in the arena (see planModelMemory).
  const scratchPtr = (k: number, bytes: number): string | undefined => {
    if (bytes === 0) return undefined;
    const b = plan.buffers.find((x) => x.scratchOf === k);
    if (!b || b.size < bytes) {
      throw new Error(`layer ${k} needs ${bytes} bytes of kernel scratch but the memory plan has ${b ? b.size : 'none'}: plan with planModelMemory() for the same target`);
    }
    return `(tinyml_arena + ${b.offset})`;
  };
  // The bytes the plan gives a layer's scratch (more than announced where the kernel asked for room).
  const plannedScratch = (k: number): number => plan.buffers.find((x) => x.scratchOf === k)?.size ?? 0;
  const includes = new Set<string>();
  const kernels = new Set<string>();
  const decls: string[] = [];
  let lutBytes = 0;
  // Streamed pairs (plan.streamed): the consumer runs both layers, row by row; the producer's
  // output has no place in the arena, so the producer emits nothing.
  const streamedInto = new Map(plan.streamed.map((p) => [p.producer, p.consumer]));
  const streamedFrom = new Map(plan.streamed.map((p) => [p.consumer, p.producer]));
  const layers = prepared.steps.map((step, k) => {
    const { op } = step;
    const outT = graph.tensors[op.outputs[0]];
    const into = streamedInto.get(k);
    if (into !== undefined) return { index: k, comment: `${op.type} -> '${outT.name}' [${outT.shape.join('x')}], computed row by row in layer ${into}`.replace(/\*\//g, '* /'), call: '' };
    const from = streamedFrom.get(k);
    if (from !== undefined) {
      const pw = prepared.steps[from];
      const target = options.target ?? HOST_TARGET;
      const optimize = options.optimize ?? 'speed';
      const scratchBytes = streamPairScratchBytes(pw.params as Conv2DQuantParams, step.params as DepthwiseConv2DQuantParams, target, optimize);
      const scratch = scratchPtr(k, scratchBytes)!;
      const inPlace = plan.inPlace.has(k);
      const em = emitStreamPair(
        pw.params as Conv2DQuantParams,
        step.params as DepthwiseConv2DQuantParams,
        { input: arenaPtr(graph.tensors[pw.op.inputs[0]], false), output: arenaPtr(outT, true), scratch },
        { pwPrefix: `l${from}`, dwPrefix: `l${k}`, target, optimize, pwConstants: stepConstants(prepared, from), dwConstants: stepConstants(prepared, k) },
      );
      em.includes.forEach((h) => includes.add(h));
      em.kernels.forEach((c) => kernels.add(c));
      assertStructsComplete(em.decls, `layers ${from} and ${k} (${pw.op.type} and ${op.type}, row by row)`);
      decls.push(em.decls);
      return {
        index: k,
        comment: `${pw.op.type} (layer ${from}) and ${op.type} row by row -> '${outT.name}' [${outT.shape.join('x')}]${inPlace ? ', in place' : ''}, scratch ${scratchBytes} B at arena + ${plan.scratchOffsets.get(k)}`.replace(/\*\//g, '* /'),
        call: `  ${em.call}`,
      };
    }
    const inputs = op.inputs.map((i) => {
      if (i < 0) return undefined;
      const t = graph.tensors[i];
      return t.data ? nameFor(t) : arenaPtr(t, false);
    });
    const outputs = op.outputs.map((i) => arenaPtr(graph.tensors[i], true));
    const constants = stepConstants(prepared, k);
    const target = options.target ?? HOST_TARGET;
    const optimize = options.optimize ?? 'speed';
    const lut = stepLutEncoding(prepared, k);
    const inPlace = plan.inPlace.has(k);
    const tight = inPlace && (plan.tightInPlace?.has(k) ?? false);
    const scratchBytes = layerScratchBytes(step, target, constants, optimize, { lut, inPlace, tight });
    const scratch = scratchPtr(k, scratchBytes);
    const given = scratch ? plannedScratch(k) : 0;
    const em = emitLayer(
      step,
      { inputs, outputs },
      { prefix: `l${k}`, target, optimize, constants, ...(scratch ? { scratch, scratchBytes: given } : {}), ...(inPlace ? { inPlace } : {}), ...(tight ? { tightInPlace: true } : {}) },
      lut,
    );
    if (lut) lutBytes += lutFlashBytes(lut);
    em.includes.forEach((h) => includes.add(h));
    em.kernels.forEach((c) => kernels.add(c));
    assertStructsComplete(em.decls, `layer ${k} (${op.type})`);
    if (em.decls.trim()) decls.push(em.decls);
    return {
      index: k,
      comment: `${op.type} -> '${outT.name}' [${outT.shape.join('x')}]${inPlace ? `, in place${tight ? ' with no scratch' : ''}` : ''}${scratch ? `, scratch ${given} B at arena + ${plan.scratchOffsets.get(k)}` : ''}`.replace(/\*\//g, '* /'),
      call: em.call
        .split('\n')
        .map((l) => (l.trim() ? `  ${l.trimStart()}` : l))
        .join('\n'),
    };
  });

  // Emit only constants some call or declaration refers to (unused statics would warn).
  const referenced = layers.map((l) => l.call).join('\n') + decls.join('\n');
  let constantBytes = 0;
  const constants = [...constName.entries()]
    .filter(([, name]) => new RegExp(`\\b${name}\\b`).test(referenced))
    .sort((a, b) => a[0] - b[0])
    .map(([id, name]) => {
      const t = graph.tensors[id];
      constantBytes += t.data!.byteLength;
      return {
        id,
        comment: t.name.replace(/\*\//g, '* /'),
        dtype: t.dtype,
        shape: t.shape.join('x'),
        ctype: C_TYPE[t.dtype],
        name,
        count: Math.max(1, t.data!.length),
        body: t.data!.length ? cArrayBody(t.data!, t.dtype) : '  0',
      };
    });

  const data = {
    fileName: 'model.c',
    version: packageVersion(),
    modelName: graph.name,
    modelNameLiteral: cString(graph.name),
    hash: options.hash.slice(0, 16),
    arenaBytes: plan.arenaBytes,
    arenaAlloc: Math.max(16, plan.arenaBytes),
    numBuffers: plan.buffers.length,
    numScratch: plan.scratchOffsets.size,
    numLayers: layers.length,
    includes: [...includes].sort(),
    constants,
    decls,
    inputs: graph.inputs.map((i) => tensorInfo(graph.tensors[i], plan.offsets.get(i)!)),
    outputs: graph.outputs.map((i) => tensorInfo(graph.tensors[i], plan.offsets.get(i)!)),
    layers,
  };
  // Every top-level kernel header (they include one another); variant folders list their own.
  const headers = readdirSync(join(FIRMWARE_DIR, 'kernels')).filter((f) => f.endsWith('.h'));
  return {
    files: { 'model/model.c': renderTemplate('model.c.hbs', data), 'model/model.h': renderTemplate('model.h.hbs', data) },
    kernelFiles: [...new Set([...[...kernels].sort(), ...headers.sort()])],
    arenaBytes: plan.arenaBytes,
    numLayers: layers.length,
    constantBytes: constantBytes + lutBytes,
  };
}
