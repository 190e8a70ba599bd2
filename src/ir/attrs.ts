/**
 * The typed attributes of IR ops. Each op file under `src/ops/` adds its op type and attribute
 * interface to `OpAttrs` (TypeScript declaration merging), so the IR stays below the ops and an
 * op's attributes live with the op:
 *
 *   declare module '../ir/attrs.js' {
 *     interface OpAttrs { CONV_2D: Conv2DAttrs }
 *   }
 *
 * Importers map their format's options onto these; every other stage reads only these. The op
 * types that exist at run time are the registry's (`ops/registry.ts`).
 */

export type FusedActivation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';
export type Padding = 'SAME' | 'VALID';

export type NoAttrs = Record<string, never>;

/** The attribute type of every supported op, keyed by its TFLite builtin name (filled by the op files). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface OpAttrs {}

export type OpType = keyof OpAttrs;
