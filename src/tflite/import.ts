/**
 * TFLite flatbuffer → Graph IR. Reads subgraph 0 (tensors, constant buffers, quantization,
 * operators and their builtin options, inputs and outputs) and TFLite Micro's LUT compression
 * metadata (lut-compression.ts); other metadata, signature defs and other subgraphs are ignored. Every failure is a TinymlError naming what is wrong and where.
 */
import { ModelFormatError, UnsupportedOpError } from '../errors.js';
import { parseModel, readModelFile } from '../io/model-file.js';
import type { OpType } from '../ir/attrs.js';
import type { Graph, Op, Tensor } from '../ir/types.js';
import { foldShapeArithmetic } from '../passes/shape-fold.js';
import { uint8TfliteToInt8 } from '../passes/uint8-tflite.js';
import { DTYPE_BYTES, allocTensorData, elementCount } from '../ir/types.js';
import { BUILTIN_CUSTOM, builtinName } from './builtin-codes.js';
import { FlatBufferReader, type TableVector } from './flatbuffer-reader.js';
import { readOpAttrs } from './options.js';
import { isOpType, registeredOpTypes } from '../ops/registry.js';
import {
  OperatorCodeTable,
  OperatorTable,
  SubGraphTable,
  TensorTable,
  TFLITE_FILE_IDENTIFIER,
  TFLITE_SCHEMA_VERSION,
  readModel,
} from './schema.js';
import { DECODE_CUSTOM_CODE, decodeLutTensor, readCompressionMetadata, readDecodeAncillary } from './lut-compression.js';
import { applySubByteMetadata, metadataBuffer, SUBBYTE_METADATA_KEY } from './subbyte-metadata.js';
import { constantBytes, readTensor } from './tensors.js';

/** Parse a TFLite model. `name` becomes `Graph.name` and is used in error messages. */
export function importTflite(bytes: Uint8Array, name: string): Graph {
  // Last resort: every malformed input should already have hit an explicit check.
  return parseModel('TFLite', name, () => importModel(bytes, name));
}

/** Read and parse a .tflite file; the graph is named after the file's stem. */
export async function importTfliteFile(path: string): Promise<Graph> {
  const { bytes, name } = await readModelFile(path);
  return importTflite(bytes, name);
}

interface ResolvedOp {
  type: OpType;
  table: OperatorTable;
}

/**
 * TFLite Micro's DECODE operators (compressed weights, lut-compression.ts): each output k is the
 * decoding of inputs 2k (packed indices) and 2k + 1 (ancillary data: header and value tables).
 * The output becomes the constant it decodes to, with its LUT encoding, and the op disappears.
 */
function foldDecodeOps(decodes: OperatorTable[], tensors: Tensor[], numTensors: number): void {
  decodes.forEach((table, k) => {
    const inputs = tensorRefs(table.inputs() ?? [], numTensors, 'input of a DECODE op', false);
    const outputs = tensorRefs(table.outputs() ?? [], numTensors, 'output of a DECODE op', false);
    if (inputs.length !== 2 * outputs.length) {
      throw new ModelFormatError(`DECODE op ${k} has ${inputs.length} inputs for ${outputs.length} outputs (expected two per output)`);
    }
    outputs.forEach((o, j) => {
      const out = tensors[o];
      const label = `tensor ${o} '${out.name}' (DECODE output)`;
      const encoded = tensors[inputs[2 * j]].data;
      const ancillary = tensors[inputs[2 * j + 1]].data;
      const anc = readDecodeAncillary(ancillary instanceof Uint8Array || ancillary instanceof Int8Array ? new Uint8Array(ancillary.buffer, ancillary.byteOffset, ancillary.byteLength) : undefined, label);
      const idx = encoded instanceof Uint8Array || encoded instanceof Int8Array ? new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength) : undefined;
      const { data, encoding } = decodeLutTensor(out, idx, anc.values, anc.bits, label, anc.stride);
      out.data = data;
      out.weightEncoding = encoding;
    });
  });
}

function importModel(bytes: Uint8Array, name: string): Graph {
  if (bytes.length < 8) {
    throw new ModelFormatError(`not a TFLite model: '${name}' is only ${bytes.length} bytes long`);
  }
  const reader = new FlatBufferReader(bytes);
  const ident = reader.fileIdentifier();
  if (ident !== TFLITE_FILE_IDENTIFIER) {
    throw new ModelFormatError(`not a TFLite model: file identifier is '${ident}', expected '${TFLITE_FILE_IDENTIFIER}'`);
  }
  const model = readModel(reader);
  const version = model.version;
  if (version !== TFLITE_SCHEMA_VERSION) {
    throw new ModelFormatError(`unsupported TFLite schema version ${version} (expected ${TFLITE_SCHEMA_VERSION})`);
  }
  const subgraphs = model.subgraphs();
  if (!subgraphs || subgraphs.length === 0) throw new ModelFormatError('the TFLite model has no subgraphs');
  const sg = new SubGraphTable(subgraphs.at(0, 'subgraph 0'));

  const tensorTables = sg.tensors();
  const numTensors = tensorTables?.length ?? 0;
  const { ops, decodes } = resolveOps(sg.operators(), model.operatorCodes());

  const src = { reader, buffers: model.buffers() };
  const decodeInputs = new Set(decodes.flatMap((d) => d.inputs() ?? []));
  const luts = readCompressionMetadata(reader, model.t, (b) => constantBytes(src, b, 'the compression metadata'));
  const tensors: Tensor[] = [];
  for (let i = 0; i < numTensors; i++) {
    tensors.push(readTensor(src, new TensorTable(tensorTables!.at(i, `tensor ${i}`)), i, luts.get(i), decodeInputs.has(i)));
  }

  const graphOps: Op[] = ops.map(({ type, table }, index) => {
    const label = `op #${index} ${type}`;
    const inputs = tensorRefs(table.inputs() ?? [], numTensors, `input of ${label}`, true);
    const outputs = tensorRefs(table.outputs() ?? [], numTensors, `output of ${label}`, false);
    return { index, type, inputs, outputs, attrs: readOpAttrs(type, table, label, inputs.length) };
  });

  const subByte = metadataBuffer(model.t, SUBBYTE_METADATA_KEY);
  if (subByte !== undefined) {
    const bytes = constantBytes(src, subByte, `the ${SUBBYTE_METADATA_KEY} metadata`);
    if (bytes) applySubByteMetadata(bytes, tensors);
  }
  resetVariables(tensors, graphOps, reader);
  foldDecodeOps(decodes, tensors, numTensors);

  const meta: Record<string, string> = { format: 'tflite', version: String(version) };
  const description = model.description();
  if (description) meta.description = description;
  if (subgraphs.length > 1) meta.subgraphs = String(subgraphs.length);

  const graph: Graph = {
    name,
    tensors,
    ops: graphOps,
    inputs: tensorRefs(sg.inputs() ?? [], numTensors, 'model input', false),
    outputs: tensorRefs(sg.outputs() ?? [], numTensors, 'model output', false),
    meta,
  };
  const dynamicBatch = graph.inputs.filter((i) => {
    const signature = new TensorTable(tensorTables!.at(i, `tensor ${i}`)).shapeSignature();
    return signature !== undefined && signature.length === tensors[i].shape.length && signature.length > 0 && signature[0] === -1;
  });
  if (dynamicBatch.length > 0) graph.dynamicBatchInputs = dynamicBatch.map((i) => tensors[i].name);
  // With the batch fixed, shapes computed at run time (Flatten under an unfixed batch) are constants.
  // A legacy uint8 model then becomes the equivalent int8 one, uint8 at its inputs and outputs.
  return uint8TfliteToInt8(foldShapeArithmetic(graph));
}

/**
 * Variable tensors (an LSTM's hidden and cell state) become constants holding the value TFLite
 * Micro gives them when it resets them (MicroInterpreter::Reset after AllocateTensors): the zero
 * point for int8, 0 otherwise. TFLM then carries the state over from one Invoke to the next; tinyml
 * starts every inference from the reset state, so an inference depends only on its inputs (what a
 * stateless Keras LSTM means, and what TFLM computes on its first Invoke). A variable tensor an op
 * writes as an output, or that no op reads, is left alone.
 */
function resetVariables(tensors: Tensor[], ops: Op[], reader: FlatBufferReader): void {
  const written = new Set(ops.flatMap((op) => op.outputs));
  const read = new Set(ops.flatMap((op) => op.inputs));
  for (const t of tensors) {
    if (!t.isVariable || t.data || written.has(t.id) || !read.has(t.id)) continue;
    // Charged like constant data: a tiny corrupt file cannot make the import allocate gigabytes.
    reader.charge(elementCount(t.shape) * DTYPE_BYTES[t.dtype], `the initial value of variable tensor ${t.id} '${t.name}'`);
    const data = allocTensorData(t.dtype, elementCount(t.shape));
    const zp = t.quant?.zeroPoint[0] ?? 0;
    if (t.dtype === 'int8' && zp !== 0) (data as Int8Array).fill(zp);
    t.data = data;
  }
}

function tensorRefs(refs: number[], numTensors: number, what: string, allowOmitted: boolean): number[] {
  for (const r of refs) {
    if (r === -1 && allowOmitted) continue;
    if (r < 0 || r >= numTensors) {
      throw new ModelFormatError(`${what} refers to tensor ${r}, but subgraph 0 has ${numTensors} tensors`);
    }
  }
  return refs;
}

/**
 * The op type of every operator. All unsupported ops are collected first so the error can name
 * each kind the model uses, not just the first.
 */
function resolveOps(operators: TableVector | undefined, codes: TableVector | undefined): { ops: ResolvedOp[]; decodes: OperatorTable[] } {
  const count = operators?.length ?? 0;
  const numCodes = codes?.length ?? 0;
  const codeCache = new Map<number, OperatorCodeTable>();
  const resolved: ResolvedOp[] = [];
  const decodes: OperatorTable[] = [];
  const unsupported = new Map<string, { first: string; indices: number[] }>();

  for (let i = 0; i < count; i++) {
    const table = new OperatorTable(operators!.at(i, `operator ${i}`));
    const codeIndex = table.opcodeIndex;
    if (codeIndex >= numCodes) {
      throw new ModelFormatError(`op #${i} refers to operator code ${codeIndex}, but the model has ${numCodes}`);
    }
    let code = codeCache.get(codeIndex);
    if (!code) {
      code = new OperatorCodeTable(codes!.at(codeIndex, `operator code ${codeIndex}`));
      codeCache.set(codeIndex, code);
    }
    const builtin = code.effectiveCode;
    if (builtin < 0) {
      throw new ModelFormatError(`op #${i} has invalid builtin code ${builtin} (operator code ${codeIndex})`);
    }
    const opName = builtinName(builtin);
    if (opName !== undefined && isOpType(opName)) {
      resolved.push({ type: opName, table });
      continue;
    }
    if (builtin === BUILTIN_CUSTOM && code.customCode() === DECODE_CUSTOM_CODE) {
      decodes.push(table);
      continue;
    }
    let kind: string;
    let sentence: string;
    if (builtin === BUILTIN_CUSTOM) {
      const custom = code.customCode();
      const desc = custom ? `custom op '${custom}'` : 'a custom op without a custom_code';
      kind = desc;
      sentence = `op #${i} is ${desc} (builtin code ${BUILTIN_CUSTOM}, CUSTOM), which tinyml does not support; tinyml runs only builtin ops`;
    } else if (opName === undefined) {
      kind = `unknown builtin code ${builtin}`;
      sentence = `op #${i} has builtin code ${builtin}, which is not a TFLite builtin op tinyml knows (a newer TensorFlow, or a corrupt model?)`;
    } else {
      kind = opName;
      sentence = `op #${i} is ${opName} (builtin code ${builtin}), which tinyml does not support`;
    }
    const entry = unsupported.get(kind);
    if (entry) entry.indices.push(i);
    else unsupported.set(kind, { first: sentence, indices: [i] });
  }

  if (unsupported.size > 0) {
    const [first, ...rest] = [...unsupported.entries()];
    const more = first[1].indices.slice(1);
    let message = first[1].first + (more.length > 0 ? ` (${opList(more)} ${more.length === 1 ? 'is' : 'are'} too)` : '') + '.';
    if (rest.length > 0) {
      message += ` The model also uses ${rest.map(([kind, { indices }]) => `${kind} (${opList(indices)})`).join(', ')}, which tinyml does not support either.`;
    }
    message += ` Supported ops: ${registeredOpTypes().join(', ')}.`;
    throw new UnsupportedOpError(message);
  }
  return { ops: resolved, decodes };
}

/** "op #3" / "ops #3, #4, #7" (at most 5 listed). */
function opList(indices: number[]): string {
  const shown = indices.slice(0, 5).map((i) => `#${i}`).join(', ');
  return `${indices.length === 1 ? 'op' : 'ops'} ${shown}${indices.length > 5 ? `, ... (${indices.length} in all)` : ''}`;
}
