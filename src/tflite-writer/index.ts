/** TFLite writer: `writeTflite(graph)` serializes the IR to a standard .tflite flatbuffer. */
export { LUT_FORMS, writeTflite, writeTfliteFile, type LutForm, type WriteTfliteOptions } from './write.js';
