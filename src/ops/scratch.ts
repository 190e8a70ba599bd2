/**
 * Kernel scratch: working memory a kernel needs while one op runs (accumulators, im2col columns,
 * padded input rows). It is planned into the arena like a tensor alive during that op only, so
 * the planner reuses the bytes across layers and the arena holds everything the model needs at
 * run time. No kernel keeps a buffer of its own (a static array would be RAM the arena figure
 * leaves out).
 */
import type { EmitContext } from './op-def.js';

/**
 * The layer's planned scratch (`ctx.scratch`) as a `ctype *` C expression. Throws when the
 * generator planned none although the kernel needs `bytes`: that is a bug in the caller (plan
 * with the layers' scratch sizes, see `layerScratchBytes`), never something to paper over.
 */
export function scratchArg(ctx: EmitContext, ctype: string, bytes: number, kernel: string): string {
  if (!ctx.scratch) {
    throw new Error(`${ctx.prefix} (${kernel}) needs ${bytes} bytes of scratch but the memory plan gave it none`);
  }
  return ctype === 'void' ? `((void *)(${ctx.scratch}))` : `((${ctype} *)(void *)(${ctx.scratch}))`;
}
