/**
 * Convolutions in place through a window of input rows (DSP kernel, issue #20): random int8
 * cases the rule accepts (stride-1 "same" windows no wider out than in, strided windows whose
 * output rows trail the rows still to read), run with one buffer as input and output, equal
 * CONV_2D's reference bit for bit, on the host under AddressSanitizer (the buffer exactly
 * max(input, output) bytes, the scratch exactly the announced bytes) and on an emulated
 * Cortex-M4. The rule refuses an output that would overtake the rows still to be read.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2DParams, Conv2DQuantParams } from '../../src/ops/conv2d.js';
import { rowInPlaceBytes, rowInPlaceMode, rowStageBytes, rowStageInPlaceOk, rowWindowBytes, rowWindowInPlaceOk } from '../../src/ops/conv-rows-in-place.js';
import { pointwiseInPlaceOk } from '../../src/ops/pointwise-in-place.js';
import { conv2dDspVariant, convScratchBytes } from '../../src/ops/optimized/conv2d.js';
import { convDspInPlaceBitExact } from './conv-in-place-tests.js';
import { HOST_DSP_TARGET, type VariantCase } from './harness.js';
import { randomConvCase } from './random-cases.js';

function cases(seed: number, n: number, kind?: 'stem'): VariantCase[] {
  const out: VariantCase[] = [];
  for (let s = seed; out.length < n; s++) {
    const c = randomConvCase(s, kind);
    const p = c.params as Conv2DParams;
    if (p.kind === 'int8' && !pointwiseInPlaceOk(p) && rowInPlaceMode(p) && conv2dDspVariant.accepts(c.params, HOST_DSP_TARGET)) out.push(c);
  }
  return out;
}

// The shapes the rule was written for: ResNet-8's 3x3 stride-1 convolutions and VWW's stem.
const geometry = (g: Partial<Conv2DQuantParams>) =>
  ({ batches: 1, dilationHeight: 1, filterHeight: 3, strideHeight: 1, padHeight: 1, ...g }) as Conv2DQuantParams;
const resnet = geometry({ inputHeight: 32, inputWidth: 32, inputDepth: 16, outputHeight: 32, outputWidth: 32, outputDepth: 16 });
const stem = geometry({ inputHeight: 96, inputWidth: 96, inputDepth: 3, strideHeight: 2, padHeight: 0, outputHeight: 48, outputWidth: 48, outputDepth: 8 });

describe('convolution in place through a row window (DSP kernel)', () => {
  // Stems first (the staged kernel, whose direct writes would clobber rows a wrong rule let it read), then any shape.
  const all = [...cases(24000, 6, 'stem'), ...cases(23000, 34)];

  it('the rule takes ResNet-8 blocks and the VWW stem, and refuses outputs that overtake their input', () => {
    expect(rowWindowInPlaceOk(resnet)).toBe(true);
    expect(rowStageInPlaceOk(resnet)).toBe(false); // output row r lands on input row r, which row r + 1 reads
    expect(rowInPlaceMode(resnet)).toBe('window');
    expect(rowWindowBytes(resnet)).toBe(3 * 32 * 16);
    expect(rowWindowInPlaceOk(stem)).toBe(true);
    expect(rowStageInPlaceOk(stem)).toBe(true);
    expect(rowInPlaceMode(stem)).toBe('stage'); // one 384-byte output row instead of three 288-byte input rows
    expect(rowInPlaceBytes(stem)).toBe(rowStageBytes(stem));
    expect(rowStageBytes(stem)).toBe(48 * 8);
    expect(rowWindowInPlaceOk({ ...resnet, outputDepth: 17 })).toBe(false); // output row wider than the input row
    expect(rowWindowInPlaceOk({ ...stem, outputDepth: 13 })).toBe(false); // 48 * 13 > 2 * 96 * 3: row 1 overwrites input row 2
    expect(rowWindowInPlaceOk({ ...resnet, batches: 2 })).toBe(false);
    expect(rowWindowInPlaceOk({ ...resnet, dilationHeight: 2 })).toBe(false);
    expect(all.some((c) => (c.params as Conv2DParams).strideHeight > 1)).toBe(true);
    expect(all.some((c) => rowInPlaceMode(c.params as Conv2DQuantParams) === 'stage')).toBe(true);
    expect(all.some((c) => rowInPlaceMode(c.params as Conv2DQuantParams) === 'window')).toBe(true);
    expect(all.some((c) => (c.params as Conv2DParams).filterHeight > 1 && (c.params as Conv2DParams).strideHeight === 1)).toBe(true);
    const p = all[0].params as Conv2DQuantParams;
    expect(conv2dDspVariant.inPlaceScratchBytes!(p)).toBe(rowInPlaceBytes(p)! + convScratchBytes(p));
    expect(conv2dDspVariant.inPlaceScratchBytes!({ ...p, batches: 2 })).toBeUndefined();
  });

  convDspInPlaceBitExact('dsp conv in place, row window', all);
});
