/**
 * tinyml as a library: load, quantize, build, deploy and evaluate models from TypeScript.
 * Errors are the typed classes of errors.ts (each with a stable `code`).
 */
export * from './api/index.js';
export { generateClient, clientFileName, type ClientSource } from './client-gen/generate-client.js';
export {
  TinymlError,
  ModelFormatError,
  UnsupportedOpError,
  GraphError,
  InputError,
  ToolMissingError,
  ToolFailedError,
  DoesNotFitError,
  DeviceError,
  WouldOverwriteError,
  MismatchError,
} from './errors.js';
export type { CheckResult, LatencyResult } from './deploy/verify.js';
export type { ProfileReport, LayerProfile } from './profile/profile.js';
export type { Graph, Tensor, TensorData, DType } from './ir/types.js';
