/**
 * Measures sub-byte weights on the float Fashion-MNIST CNN: quantize (per-channel, 300 training
 * images) at each width and rounding, then top-1 on the test images in the reference interpreter.
 *
 *   npx vite-node test/quantize/compare-subbyte.ts [int4|int2|ternary|binary...] [--rounding gptq|nearest] [--keep-int8 first,last]
 *     [--bias-correction] [--calibration M] [--calib N] [--limit N]
 *
 * Prints one JSON line per model evaluated.
 */
import { quantizeGraph } from '../../src/quantize/index.js';
import type { CalibrationMethod } from '../../src/quantize/ranges.js';
import { SUB_BYTE_KINDS, subByteChoices, type WeightRounding } from '../../src/quantize/subbyte.js';
import type { SubByteKind } from '../../src/ir/weight-encoding.js';
import { fashionCalibration, fashionTop1, loadFashionFloat } from './fashion.js';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const limit = value('--limit') !== undefined ? Number(value('--limit')) : undefined;
const kinds = args.filter((a) => (SUB_BYTE_KINDS as readonly string[]).includes(a)) as SubByteKind[];
const rounding = (value('--rounding') ?? 'gptq') as WeightRounding;
const keep = value('--keep-int8')?.split(',') ?? [];

const graph = await loadFashionFloat();
const calib = await fashionCalibration(graph, Number(value('--calib') ?? 300));
for (const kind of kinds.length > 0 ? kinds : ['int4' as const]) {
  const t0 = performance.now();
  const { graph: q, report } = quantizeGraph(graph, calib, {
    weights: subByteChoices(graph, { weights: kind, keepInt8: keep, rounding, compensate: !args.includes('--no-compensate'), ...(value('--group-size') ? { groupSize: Number(value('--group-size')) } : {}) }),
    biasCorrection: args.includes('--bias-correction'),
    calibration: (value('--calibration') ?? 'minmax') as CalibrationMethod,
    evaluate: false,
  });
  const quantizeS = (performance.now() - t0) / 1000;
  const r = await fashionTop1(q, limit);
  console.log(JSON.stringify({ kind, rounding, keep, compensate: !args.includes('--no-compensate'), groupSize: value('--group-size'), biasCorrection: args.includes('--bias-correction'), top1: r.top1, samples: r.samples, quantizeS: +quantizeS.toFixed(1), bytes: report.subByte?.parameterBytes, int8Bytes: report.subByte?.int8ParameterBytes }));
}
