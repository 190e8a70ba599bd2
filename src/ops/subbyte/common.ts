/** What the sub-byte kernel variants share: which layers they take. */
import type { SubByteKind } from '../../ir/weight-encoding.js';

/** The sub-byte kind of an int8 layer's params, if its weights are stored sub-byte. */
export function subByteParamsKind(params: unknown): SubByteKind | undefined {
  const p = params as { kind?: string; weightEncoding?: SubByteKind; weightsOffset?: number };
  if (p.kind !== 'int8' || !p.weightEncoding) return undefined;
  // Sub-byte weights are symmetric; a per-tensor FC weights zero point keeps the int8 kernel.
  if (p.weightsOffset !== undefined && p.weightsOffset !== 0) return undefined;
  return p.weightEncoding;
}

