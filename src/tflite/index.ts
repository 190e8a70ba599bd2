/** TFLite importer: `importTflite(bytes, name)` and `importTfliteFile(path)` produce a Graph. */
export { importTflite, importTfliteFile } from './import.js';
export { builtinName, builtinCode } from './builtin-codes.js';
