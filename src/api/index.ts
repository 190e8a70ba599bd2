/** The library API (what `import { ... } from 'tinyml'` gives). See README.md, "As a library". */
export { loadModel, type Model, type ModelLike, type TensorSpec } from './model.js';
export { quantize, type QuantizeOptions, type QuantizeOutput } from './quantize.js';
export { build, type BuildOptions, type BuildOutput } from './build.js';
export { deploy, startSession, type ConnectOptions, type DeployOptions, type Inference, type Latency, type Session } from './session.js';
export { evaluate, type EvaluateOptions, type EvalResult, type EvalProgress } from './evaluate.js';
