/**
 * The contract every op implements. One file per op (or per small family) under `src/ops/`
 * exports an `OpDef`; `registry.ts` collects them. The op's attributes (its `OpAttrs` entry),
 * TFLite options mapping, quantization rule, shape rule, MAC count, quantization constants
 * (`prepare`) and reference semantics (`evaluate`) live together, and the C kernel in
 * `firmware/kernels/` is driven by exactly the params `prepare` returns, which is what makes
 * the firmware bit-exact with the reference interpreter.
 */
import type { OpAttrs, OpType } from '../ir/attrs.js';
import type { Graph, Op, Tensor, TensorData } from '../ir/types.js';
import type { TfliteMapping } from './tflite-options.js';

export interface OpContext<T extends OpType = OpType> {
  graph: Graph;
  op: Op<T>;
  /** Input tensors in op order; `undefined` where an optional input is omitted (index -1). */
  inputs: (Tensor | undefined)[];
  outputs: Tensor[];
}

export interface OpDef<T extends OpType = OpType, P = unknown> {
  type: T;
  /** Its TFLite builtin options (read and write) and version rule; the builtin's name is `type`. */
  tflite: TfliteMapping<OpAttrs[T]>;
  /** How post-training quantization treats it (absent: plain activations in and out). */
  quant?: QuantRule;
  /**
   * Output shapes computed from input shapes, constant operands and attrs. Throws GraphError
   * (wrong arity, incompatible shapes) naming the op via `describeOp`.
   */
  inferShapes(ctx: OpContext<T>): number[][];
  /** Multiply-accumulates per inference (conv, depthwise, dense, transpose conv); 0 otherwise. */
  macs(ctx: OpContext<T>): number;
  /**
   * Everything constant the kernel needs, computed once at load/generation time: dims, strides,
   * padding, requantization multipliers and shifts (per channel where needed), clamp ranges,
   * lookup tables. Plain JSON-serializable data (numbers, arrays, strings, booleans; typed arrays
   * allowed for tables). Throws UnsupportedOpError naming the op and the dtypes for an
   * unsupported combination.
   */
  prepare(ctx: OpContext<T>): P;
  /**
   * The host kernel the reference interpreter runs. Reads `inputs` (constant operands included:
   * weights, bias, shape tensors) and fills the preallocated `outputs`, using only `params` for
   * everything else.
   */
  evaluate(params: P, inputs: (TensorData | undefined)[], outputs: TensorData[]): void;
  /**
   * The plain reference kernel, TFLite Micro's reference loops transcribed: the oracle. Present
   * when `evaluate` is a faster host path (padded float64 GEMMs, requantization fast paths);
   * the two are tested equal on random cases and the C kernels are tested against this one.
   * Absent: `evaluate` is itself the plain reference.
   */
  reference?(params: P, inputs: (TensorData | undefined)[], outputs: TensorData[]): void;
  /** Output 0 is input 0 reinterpreted (RESHAPE, SQUEEZE): the memory planner aliases them. */
  aliasesInput?: boolean;
  /**
   * Lowers one instance of the op to a call into its portable C kernel in firmware/kernels/,
   * with every constant parameter (from `prepare`) baked in. The C kernel computes exactly what
   * `evaluate` computes from the same params.
   */
  emitC?(params: P, names: EmitNames, ctx: EmitContext): CEmission;
  /**
   * Bytes of working memory the portable C kernel needs while it runs (0 or absent: none). The
   * memory planner places it in the arena, alive during this op only, and `emitC` gets it as
   * `ctx.scratch`: kernels never keep buffers of their own outside the arena.
   */
  scratchBytes?(params: P): number;
  /**
   * When the portable kernel can write this layer's output over its input 0: the bytes of scratch
   * it then needs (0: none); undefined when it cannot. The planner may then alias the two.
   */
  inPlaceScratchBytes?(params: P): number | undefined;
}

/** Where an op keeps its weights: quantized per channel along `axis`, the bias at 32 (or 64) bits. */
export interface WeightRule {
  /** Input index of the weights. */
  weights: number;
  /** Per-channel axis: 0 for conv/FC/transpose-conv (OHWI, [out, in]), 3 for depthwise (1HWC). */
  axis: number;
  /** Input index of the (optional) bias. */
  bias: number;
  /** Input index of the activation the bias scale derives from. */
  input: number;
}

/** Fixed output quantization of the TFLite spec (TFLite Micro checks it). */
export interface FixedQParams {
  scale: number;
  zeroPoint: number;
}

/** An op's rule in the TFLite int8 / 16x8 quantization specification. */
export interface QuantRule {
  /** Its weights and bias inputs. */
  weights?: WeightRule;
  /**
   * The quantized output shares the scale and zero point of these inputs (TFLite Micro copies or
   * compares without rescaling): the first, all, or the listed input slots.
   */
  sameQParams?: 'first' | 'all' | readonly number[];
  /** Data movement: when not chosen explicitly, it runs at the precision of its input. */
  followsInputPrecision?: boolean;
  /** Output parameters fixed by the spec, per activation type. */
  fixedOutput?: { int8: FixedQParams; int16: FixedQParams };
  /** Refused in a float graph (what it means is already quantized). */
  notQuantizable?: boolean;
  /**
   * Input slots quantized with zero point 0: where TFLite Micro's kernel is exact only then
   * (CUMSUM's int8 running sum starts from -input_zero_point).
   */
  symmetricInputs?: readonly number[];
}

/** Erases the params type for storage in the registry. */
export type AnyOpDef = OpDef<OpType, any>;

/** C expressions naming an op's operands in the generated model.c. */
export interface EmitNames {
  /**
   * One per input: the name of a `const` array for constant tensors (weights, biases, shape
   * operands), or a typed pointer expression into the arena for activations, e.g.
   * `((const int8_t *)(tinyml_arena + 1024))`; `undefined` for an omitted optional input.
   */
  inputs: (string | undefined)[];
  /** One per output: a typed pointer expression into the arena, e.g. `((int8_t *)(tinyml_arena + 0))`. */
  outputs: string[];
}

/** What the generated code runs on: lets emitters pick kernels per core. */
export interface TargetInfo {
  /** GCC -mcpu name, e.g. "cortex-m4"; "host" when compiled for the build machine. */
  core: string;
  /** Armv7E-M / Armv8-M DSP extension (SMLAD, SXTB16, SSAT...). */
  dsp: boolean;
  /** Helium (M-profile Vector Extension). */
  mve: boolean;
}

export const HOST_TARGET: TargetInfo = { core: 'host', dsp: false, mve: false };

/**
 * What generated code favours where flash and speed conflict: 'speed' (the default) may store
 * weights pre-expanded or lookup tables in flash to save instructions; 'size' takes the
 * smallest layouts and kernels.
 */
export type OptimizeGoal = 'speed' | 'size';

export interface EmitContext {
  /** Unique C identifier prefix for this op's file-scope declarations, e.g. "op3". */
  prefix: string;
  /** The core the code is generated for (portable kernels ignore it). */
  target?: TargetInfo;
  /** Flash or speed where an emitter has the choice (default 'speed'). */
  optimize?: OptimizeGoal;
  /**
   * Contents of constant inputs, by input position (undefined for activations), for emitters
   * that lay weights out offline for their kernel. An emitter that does so declares its own
   * arrays in `decls`; constants nobody references are left out of the firmware.
   */
  constants?: (TensorData | undefined)[];
  /**
   * This layer's scratch buffer, as a C expression of type `uint8_t *` (16-byte aligned, at least
   * the bytes the kernel announced through `scratchBytes`), placed in the arena by the memory
   * planner. Present exactly when the kernel announced scratch; an emitter that needs scratch and
   * gets none throws (no kernel falls back to a static buffer).
   */
  scratch?: string;
  /**
   * Bytes the memory plan gives `scratch`: at least what the kernel announced, more where the
   * kernel asked for room (`scratchRoomBytes`) and the arena had free bytes at this layer.
   */
  scratchBytes?: number;
  /**
   * The layer runs in place: the memory plan put its output over its input 0 (same arena bytes).
   * Set only for layers whose kernel announced it can (`inPlaceScratchBytes`); `scratch` is then
   * that kernel's in-place scratch.
   */
  inPlace?: boolean;
  /**
   * With `inPlace`: the memory plan gave the layer no scratch at all, so the kernel must take its
   * tight in-place form (every byte it writes on input bytes already read; a stem:
   * ops/stem-in-place.ts). Set only for layers whose kernel announced it (`tightInPlaceOk`).
   */
  tightInPlace?: boolean;
  /**
   * The kernel will be called on bands of a few rows at a time (a row-stream pair,
   * pw_dw_stream_dsp.c or mve/pw_dw_stream_mve.c), not on the whole tensor: emitters whose layout only pays off over
   * whole images keep their row form.
   */
  rowBands?: boolean;
}

/** What an op contributes to the generated model.c. */
export interface CEmission {
  /** Kernel sources this call needs, relative to firmware/kernels/ (e.g. ["conv2d.c"]). */
  kernels: string[];
  /** Headers under firmware/kernels/ to #include in model.c (e.g. ["conv2d.h"]). */
  includes: string[];
  /** File-scope declarations: `static const` params structs, per-channel multiplier arrays. */
  decls: string;
  /** The C statement(s) that run the op inside tinyml_invoke(). */
  call: string;
}
