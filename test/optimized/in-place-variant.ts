/**
 * A kernel variant that runs `emitC` in place as the generator does: the input is copied into one
 * buffer of max(input, output) bytes, the kernel gets that buffer as input and output, and the
 * output is copied out (so AddressSanitizer sees exactly the bytes an arena buffer would have).
 */
import type { KernelVariant } from '../../src/codegen/select-kernel.js';
import type { CEmission, EmitContext, EmitNames } from '../../src/ops/op-def.js';
import { DTYPE_BYTES, elementCount } from '../../src/ir/types.js';
import type { VariantCase } from './harness.js';

const bytesOf = (t: { shape: number[]; dtype: keyof typeof DTYPE_BYTES }) => elementCount(t.shape) * DTYPE_BYTES[t.dtype];

export function inPlaceVariant(
  op: string,
  name: string,
  emitC: (p: unknown, names: EmitNames, ctx: EmitContext) => CEmission,
  scratch: (p: unknown, constants?: unknown[]) => number | undefined,
  cases: VariantCase[],
): KernelVariant {
  return {
    name,
    op,
    accepts: () => true,
    scratchBytes: (p, constants) => scratch(p, constants)!,
    emitC(p, names, ctx) {
      const c = cases.find((x) => x.params === p)!;
      const inBytes = bytesOf(c.ctx.inputs[0]!);
      const outBytes = bytesOf(c.ctx.outputs[0]);
      const buf = `${ctx.prefix}_buf`;
      const em = emitC(p, { inputs: [`((const int8_t *)${buf})`, ...names.inputs.slice(1)], outputs: [`((int8_t *)${buf})`] }, { ...ctx, inPlace: true });
      return {
        ...em,
        decls: `static uint8_t ${buf}[${Math.max(inBytes, outBytes)}];\n${em.decls}`,
        call: `  memcpy(${buf}, ${names.inputs[0]}, ${inBytes});\n${em.call}\n  memcpy(${names.outputs[0]}, ${buf}, ${outBytes});`,
      };
    },
  };
}
