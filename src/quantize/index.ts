/**
 * Post-training quantization: `quantizeGraph(floatGraph, samples, options)` calibrates a float32
 * graph and rewrites it to the TFLite int8 (and 16x8) specification, with a per-layer report.
 */
export { quantizeGraph, type QuantizeOptions, type QuantizeResult } from './quantize-graph.js';
export type { WeightChoice, WeightChoices } from './weight-choice.js';
export { quantizeInput, dequantizeOutput } from './tensor-io.js';
export { formatReport, reportJson, type LayerReport, type QuantizationReport } from './report.js';
export { CALIBRATION_METHODS, type CalibrationMethod } from './ranges.js';
export type { CalibrationSample } from './calibrate.js';
