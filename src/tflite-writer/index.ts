/** TFLite writer: `writeTflite(graph)` serializes the IR to a standard .tflite flatbuffer. */
export { writeTflite, writeTfliteFile, type WriteTfliteOptions } from './write.js';
