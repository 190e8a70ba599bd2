/**
 * The Pareto front of measured configurations: a configuration is on it when no other one is at
 * least as accurate, at most as large and at most as slow, and strictly better in one of them.
 * Latency counts only when every point has one (a host-only run compares accuracy and size).
 */
export interface TradeoffPoint {
  name: string;
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Parameter bytes (weights, biases, scales, tables) as stored. */
  parameterBytes: number;
  /** Instructions (QEMU) or cycles per inference on the board, when measured. */
  latency?: number;
}

function dominates(a: TradeoffPoint, b: TradeoffPoint, withLatency: boolean): boolean {
  const notWorse = a.accuracy >= b.accuracy && a.parameterBytes <= b.parameterBytes && (!withLatency || a.latency! <= b.latency!);
  const better = a.accuracy > b.accuracy || a.parameterBytes < b.parameterBytes || (withLatency && a.latency! < b.latency!);
  return notWorse && better;
}

/** Names of the points on the front, in input order. */
export function paretoFront(points: readonly TradeoffPoint[]): string[] {
  const withLatency = points.length > 0 && points.every((p) => p.latency !== undefined);
  return points.filter((p) => !points.some((q) => q !== p && dominates(q, p, withLatency))).map((p) => p.name);
}
