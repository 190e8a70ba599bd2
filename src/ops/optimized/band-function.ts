/**
 * Kernels called one band of rows at a time by a driver (the row-window / row-stage in-place
 * convolution, conv2d_dsp_in_place.c; the pointwise -> depthwise row stream, pw_dw_stream_dsp.c
 * and on Helium cores mve/pw_dw_stream_mve.c): the generator binds a layer's kernel and weights in
 * a small C function of the band (its params, or for the Helium driver only its geometry), written
 * from the layer's own emission, so a driver runs any kernel its emitter picked (int8, sub-byte,
 * MVE) unchanged.
 */
import type { CEmission, EmitContext, EmitNames } from '../op-def.js';
import type { Conv2DQuantParams } from '../conv2d.js';
import { rowInPlaceBytes, rowInPlaceMode } from '../conv-rows-in-place.js';
import { pointwiseExpandInPlaceOk } from '../pointwise-in-place.js';
import { scratchFor } from './common.js';

/** What a band function's layer emission must read, write and use as scratch. */
export const BAND_NAMES: EmitNames = { inputs: ['input'], outputs: ['output'] };
export const BAND_SCRATCH = 'scratch';

/**
 * `<prefix>_band`: the layer's kernel call as its emitter wrote it (on `input`, `output`,
 * `scratch`), on the band's params `p` instead of the layer's. Throws when the layer did not
 * lower to the expected kernel (e.g. a portable fallback, which takes no band).
 */
export function bandFunction(call: string, prefix: string, paramsType: string, kernel: RegExp, what: string): string {
  const params = checkedBandCall(call, prefix, kernel, what);
  return (
    `static void ${prefix}_band(const ${paramsType} *p, const int8_t *input, int8_t *output, void *scratch) {\n` +
    `  ${call.trim().replace(params, 'p')}\n}`
  );
}

/** `&<prefix>_params`, once the call is checked to be `kernel`'s, naming the params once. */
function checkedBandCall(call: string, prefix: string, kernel: RegExp, what: string): string {
  const fn = /^\s*(\w+)\(/.exec(call)?.[1] ?? '';
  const params = `&${prefix}_params`;
  if (!kernel.test(fn) || call.split(params).length !== 2) throw new Error(`${prefix}: the layer did not lower to ${what} (${fn})`);
  return params;
}

/**
 * `<prefix>_band` for drivers that know only the band's geometry (firmware/kernels/mve/
 * pw_dw_stream_mve.c): the layer's kernel call on a copy of its params whose `geo` (the
 * tinyml_packed_geometry every DSP and MVE convolution params struct starts with) is the band's.
 */
export function geometryBandFunction(call: string, prefix: string, paramsType: string, kernel: RegExp, what: string): string {
  const params = checkedBandCall(call, prefix, kernel, what);
  // A kernel without scratch (an unpadded 1x1 MVE convolution) leaves the driver's unused.
  const unused = new RegExp(`\\b${BAND_SCRATCH}\\b`).test(call) ? '' : `  (void)${BAND_SCRATCH};\n`;
  return (
    `static void ${prefix}_band(const tinyml_packed_geometry *g, const int8_t *input, int8_t *output, void *${BAND_SCRATCH}) {\n` +
    unused +
    `  ${paramsType} band = ${prefix}_params;\n` +
    `  band.geo = *g;\n` +
    `  ${call.trim().replace(params, '&band')}\n}`
  );
}

/**
 * A DSP convolution written over its own input through the row window or stage
 * (ops/conv-rows-in-place.ts), or a widening pointwise one in runs of pixels
 * (ops/pointwise-in-place.ts), by the band-function driver: `plain` is the layer's emission on
 * BAND_NAMES and BAND_SCRATCH, `kernelBytes` its scratch, which the driver places after the
 * window. The layer's output (`names.outputs[0]`) is its input's buffer.
 */
export function emitConvRowsInPlace(p: Conv2DQuantParams, plain: CEmission, kernelBytes: number, names: EmitNames, ctx: EmitContext, kernel: RegExp): CEmission {
  // A widening pointwise layer: runs of pixels from the last down, the kernel's scratch alone (ops/pointwise-in-place.ts).
  if (pointwiseExpandInPlaceOk(p)) {
    const scratch = scratchFor(ctx, kernelBytes, 'conv2d_s8_dsp_in_place_expand_band');
    return {
      ...bandDriverParts(plain, ctx.prefix, kernel),
      call: `tinyml_conv2d_s8_dsp_in_place_expand_band(&${ctx.prefix}_params, ${names.outputs[0]}, ${ctx.prefix}_band, ${scratch});`,
    };
  }
  const mode = rowInPlaceMode(p);
  if (!mode) throw new Error(`${ctx.prefix}: this convolution cannot run in place`);
  const scratch = scratchFor(ctx, rowInPlaceBytes(p)! + kernelBytes, 'conv2d_s8_dsp_in_place_band');
  return {
    ...bandDriverParts(plain, ctx.prefix, kernel),
    call: `tinyml_conv2d_s8_dsp_in_place${mode === 'stage' ? '_staged' : ''}_band(&${ctx.prefix}_params, ${names.outputs[0]}, ${ctx.prefix}_band, ${scratch});`,
  };
}

/** A driver's kernels, includes and declarations around the layer's band function. */
function bandDriverParts(plain: CEmission, prefix: string, kernel: RegExp): Omit<CEmission, 'call'> {
  return {
    kernels: [...new Set([...plain.kernels, 'arm/conv2d_dsp_in_place.c', 'arm/conv2d_dsp_in_place.h', 'arm/conv2d_dsp.c', 'arm/conv2d_dsp.h', 'arm/conv2d_stem_dsp.c', 'arm/conv2d_stem_dsp.h'])],
    includes: [...new Set([...plain.includes, 'arm/conv2d_dsp_in_place.h'])],
    decls: [plain.decls, bandFunction(plain.call, prefix, 'tinyml_conv2d_dsp_params', kernel, 'a DSP convolution')].join('\n'),
  };
}
