/**
 * Compares the four calibration methods on the float Fashion-MNIST CNN: quantize (per-channel,
 * 300 training images) with each, then top-1 on the 10,000 test images in the int8 reference
 * interpreter, next to the float model's top-1 in the float interpreter.
 *
 *   npx vite-node test/quantize/compare-calibration.ts [METHOD...] [--limit N] [--float] [--bias-correction] [--per-tensor] [--symmetric]
 *
 * Without METHOD all four run (none with --float alone: then only the float model is evaluated).
 * Prints one JSON line per model evaluated and a table at the end.
 */
import { quantizeGraph, type CalibrationMethod } from '../../src/quantize/index.js';
import { CALIBRATION_METHODS } from '../../src/quantize/ranges.js';
import { fashionCalibration, fashionTop1, loadFashionFloat } from './fashion.js';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const limitAt = args.indexOf('--limit');
const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : undefined;
const methods = args.filter((a) => (CALIBRATION_METHODS as readonly string[]).includes(a)) as CalibrationMethod[];

const graph = await loadFashionFloat();
const rows: string[] = [];
if (flag('--float')) {
  const f = await fashionTop1(graph, limit);
  console.log(JSON.stringify({ model: 'float', ...f }));
  rows.push(`float      ${(f.top1 * 100).toFixed(2)}%  (${f.samples} images, ${(f.ms / 1000).toFixed(1)} s)`);
}
const calib = await fashionCalibration(graph, 300);
for (const method of methods.length > 0 ? methods : flag('--float') ? [] : CALIBRATION_METHODS) {
  const t0 = performance.now();
  const { graph: q, report } = quantizeGraph(graph, calib, {
    calibration: method,
    biasCorrection: flag('--bias-correction'),
    perChannel: !flag('--per-tensor'),
    symmetric: flag('--symmetric'),
    evaluate: 50,
  });
  const quantMs = performance.now() - t0;
  const r = await fashionTop1(q, limit);
  const out = report.outputs[0];
  console.log(JSON.stringify({ model: method, ...r, quantizeMs: quantMs, calibrationMs: report.timings.calibrationMs, outputSqnrDb: out.sqnrDb }));
  rows.push(`${method.padEnd(10)} ${(r.top1 * 100).toFixed(2)}%  (${r.samples} images, quantize ${(quantMs / 1000).toFixed(1)} s, eval ${(r.ms / 1000).toFixed(1)} s, output SQNR ${out.sqnrDb?.toFixed(1)} dB on 50 images)`);
}
console.log(rows.join('\n'));
