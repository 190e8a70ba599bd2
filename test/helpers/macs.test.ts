/** The MAC oracle against the figures published with the models (shared/README.md). */
import { describe, expect, it } from 'vitest';
import { importTfliteFile } from '../../src/tflite/import.js';
import { macsFromShapes } from './macs.js';
import { sharedPath } from './shared.js';

const README_MACS: Record<string, number> = {
  'mlperf-tiny/kws_ref_model.tflite': 2_656_768,
  'mlperf-tiny/vww_96_int8.tflite': 7_489_664,
  'mlperf-tiny/pretrainedResnet_quant.tflite': 12_501_632,
  'mlperf-tiny/ad01_int8.tflite': 264_192,
  // 1 -> 16 -> 16 -> 1 dense layers: 16 + 256 + 16.
  'tflm-examples/hello_world_int8.tflite': 288,
};

describe('macsFromShapes', () => {
  it.each(Object.entries(README_MACS))('%s: the published total', async (model, total) => {
    const macs = macsFromShapes(await importTfliteFile(sharedPath('models', model)));
    expect(macs.reduce((a, m) => a + m, 0)).toBe(total);
  });
});
