/**
 * `tinyml report`'s page: pure functions from the profile, memory plan, weights, quantization
 * report and section sizes to inline SVG plots and one self-contained HTML document.
 */
export { renderReportHtml, type ReportData } from './html.js';
export { latencyPlot, memoryPlot, sizeSegments, sizesPlot, sqnrPlot, weightPlot, type MemorySizes, type Segment } from './plots.js';
export { dequantizeWeights, histogram, weightHistograms, type Histogram, type LayerWeights } from './weights.js';
export { mapSectionBytes } from './link-map.js';
