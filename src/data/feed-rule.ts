/**
 * The one rule for how data values reach a model input, shared by `run` (its `.npy` inputs),
 * `eval` (its datasets) and `quantize` (its calibration data), so that they cannot drift apart:
 *
 * - data whose dtype is the input's own dtype, with no --scale/--mean/--std, is fed **byte for
 *   byte** (an int8 array for an int8 input is taken as already-quantized values);
 * - float data (float32/float64) and uint8 images are **raw values**: preprocessed with
 *   --scale/--mean/--std when given, then quantized with the input's scale and zero point when
 *   the input is quantized; wider integers (int16, int32, int64, e.g. PCM audio) likewise when
 *   the input is of another dtype;
 * - what cannot be meant is refused: int8 data for an input that is not int8 (int8 arrays are
 *   quantized values; there is nothing to quantize them for), and preprocessing flags on signed
 *   integer data of the input's own dtype (already quantized: scaling them would quantize twice).
 */
import { InputError } from '../errors.js';
import type { DType, Tensor } from '../ir/types.js';

/** The dtype of a data array as read from its file (IDX doubles stay float64). */
export type DataDType = DType | 'float64';

/** `bytes`: fed as they are. `values`: raw values, preprocessed and (for quantized inputs) quantized. */
export type Feed = 'bytes' | 'values';

export interface FeedQuery {
  /** dtype of the data array. */
  data: DataDType;
  /** The model input the data is for. */
  input: Tensor;
  /** Whether --scale, --mean or --std were given. */
  preprocessing: boolean;
  /** The data's name in messages, e.g. its path. */
  source: string;
}

const PREPROCESS_FLAGS = '--scale/--mean/--std';

/** How `q.data` values reach `q.input` (see the module comment); throws InputError when ambiguous. */
export function feedFor(q: FeedQuery): Feed {
  const { data, input, source } = q;
  const what = `model input '${input.name}' (${input.dtype} [${input.shape.join('x')}])`;
  if (data === input.dtype) {
    if (!q.preprocessing) return 'bytes';
    if (data === 'float32' || data === 'uint8') return 'values';
    throw new InputError(
      `${source} holds ${data} values and ${what} is ${data}: they are fed byte for byte, as already-quantized values; ` +
        `${PREPROCESS_FLAGS} would treat them as real values and quantize them a second time. ` +
        `Drop ${PREPROCESS_FLAGS}, or give float32 real values (or uint8 images) to preprocess`,
    );
  }
  if (data === 'int8') {
    throw new InputError(
      `${source} holds int8 values, which tinyml takes only as already-quantized values for an int8 input, but ${what} is not int8. ` +
        `Give float32 real values (to dequantize int8 data: (q - zero_point) * scale) or uint8 images`,
    );
  }
  return 'values';
}

/** The rule as `--help` of run, eval and quantize states it (the README says the same). */
export const FEED_RULE_HELP = `
Data types (one rule for run, eval and quantize):
  - data of the model input's own dtype (int8 for an int8 input, float32 for a float32 input),
    without --scale/--mean/--std, is fed byte for byte: int8 data are already-quantized values
  - float32/float64 data and uint8 images are raw values: --scale/--mean/--std apply, then they
    are quantized with the input's scale and zero point when the input is quantized (int16 and
    wider integers for an input of another dtype likewise)
  - refused: int8 data for an input that is not int8, and --scale/--mean/--std on int8 data`;
