/**
 * One loop body, several optimized functions. V8 optimizes a function for the types its loads
 * have seen: a loop called with number[], Int8Array and Float32Array weights turns its element
 * loads polymorphic, which measured about 25% slower on a 1024 x 512 FULLY_CONNECTED (host
 * evaluate, CPU time). Compiling the same source again gives each caller's element type a
 * function of its own, so the body is written (and tested) once.
 */

/**
 * A fresh copy of `fn`, with its own type feedback, named `label` in stack traces. `fn` must be
 * self-contained: it may use its parameters and globals only (no imported or module-level names,
 * which the copy cannot see). Each label gives a distinct source text: V8 caches compilations by
 * source, and copies of one text shared their feedback (measured as slow as no copy at all).
 */
export function monomorphicCopy<F extends (...args: never[]) => unknown>(fn: F, label: string): F {
  return new Function(`return (${fn.toString()});\n//# sourceURL=tinyml-monomorphic/${label}.js`)() as F;
}
