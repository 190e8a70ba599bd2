/** Datasets (IDX, .npy, .npz) and command-line style preprocessing for evaluation. */
export { openDataset, samples, siblingLabelsPath, NPZ_DATA_KEYS, NPZ_LABEL_KEYS, type Dataset, type DatasetSpec, type Sample } from './dataset.js';
export { parseIdx, parseNpz, parseArrayFile, isGzip, type NumArray } from './formats.js';
export { makePreprocessor, parsePreprocessOptions, parseScalar, parseList, sampleLayout, type Preprocessor, type PreprocessOptions, type SampleSpec } from './preprocess.js';
export { feedFor, FEED_RULE_HELP, type DataDType, type Feed, type FeedQuery } from './feed-rule.js';
