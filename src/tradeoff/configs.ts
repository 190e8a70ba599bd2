/**
 * The configurations `tinyml tradeoff` measures, each a set of `tinyml quantize` options (or the
 * float model as it is), so that what the table shows is exactly what those commands write.
 */
export interface TradeoffConfig {
  name: string;
  /** What it is, for the table and the page. */
  label: string;
  /** `tinyml quantize` options; undefined: the float model itself. */
  quantize?: Record<string, string | boolean | number>;
}

export const TRADEOFF_CONFIGS: readonly TradeoffConfig[] = [
  { name: 'float', label: 'float32 (as given)' },
  { name: 'int8-tensor', label: 'int8, per-tensor weight scales', quantize: { perTensor: true } },
  { name: 'int8', label: 'int8, per-channel weight scales', quantize: {} },
  { name: 'int16', label: 'int16 activations, int8 weights (16x8)', quantize: { int16: true } },
  { name: 'int4', label: 'int4 weights (GPTQ), int8 activations', quantize: { weights: 'int4' } },
  { name: 'ternary', label: 'ternary weights, first and last layer int8', quantize: { weights: 'ternary', keepInt8: 'first,last' } },
  { name: 'clusters16', label: '16 clusters per layer (4-bit indices)', quantize: { clusters: 16 } },
];

export const DEFAULT_TRADEOFF_CONFIGS = TRADEOFF_CONFIGS.map((c) => c.name);

/** The named configurations, in the order given; unknown names are reported together. */
export function selectConfigs(names: readonly string[]): { configs: TradeoffConfig[]; unknown: string[] } {
  const unknown = names.filter((n) => !TRADEOFF_CONFIGS.some((c) => c.name === n));
  return { configs: names.map((n) => TRADEOFF_CONFIGS.find((c) => c.name === n)).filter((c): c is TradeoffConfig => c !== undefined), unknown };
}
