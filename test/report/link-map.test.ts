/**
 * The model's constants in flash come from GNU ld's map: input sections of model/model.o named
 * .rodata or .rodata.*, on one line or with a long name on its own line, and not the discarded
 * ones listed before the memory map.
 */
import { describe, expect, it } from 'vitest';
import { mapSectionBytes, modelFlashBreakdown } from '../../src/report/link-map.js';

const MAP = `Discarded input sections

 .rodata.unused
                0x00000000      0x400 build/O2/model/model.o
 .text          0x00000000        0x0 build/O2/model/model.o

Memory Configuration

Linker script and memory map

 .text          0x00000100      0x1ac build/O2/model/model.o
 .rodata.l0_w   0x00004000      0x300 build/O2/model/model.o
 .rodata.tinyml_model_info
                0x00004300       0x38 build/O2/model/model.o
 .rodata.l0_w   0x00004338      0x100 build/O2/kernels/conv.o
 .rodata        0x00004438       0x10 build/O2/model/model.o
 .rodataextra   0x00004448       0x20 build/O2/model/model.o
 .bss.tinyml_arena
                0x20000000     0x43c0 build/O2/model/model.o
`;

describe('mapSectionBytes', () => {
  it("sums the object's .rodata input sections, split lines included, discarded ones excluded", () => {
    expect(mapSectionBytes(MAP, '.rodata', 'model/model.o')).toBe(0x300 + 0x38 + 0x10);
    expect(mapSectionBytes(MAP, '.bss', 'model/model.o')).toBe(0x43c0);
    expect(mapSectionBytes(MAP, '.text', 'model/model.o')).toBe(0x1ac);
    expect(mapSectionBytes(MAP, '.rodata', 'kernels/conv.o')).toBe(0x100);
    expect(mapSectionBytes(MAP, '.rodata', 'other.o')).toBe(0);
  });
});

describe('modelFlashBreakdown', () => {
  it("counts a clustered layer's packed indices and table as weights, its bias' and rq records as biases and scales", () => {
    const map = `Linker script and memory map

 .rodata.l3_lut_idx
                0x00004000      0x200 build/O2/model/model.o
 .rodata.l3_lut_table
                0x00004200       0x10 build/O2/model/model.o
 .rodata.l3_lut_bias
                0x00004210       0x40 build/O2/model/model.o
 .rodata.l3_lut_rq
                0x00004250       0xc0 build/O2/model/model.o
 .rodata.l3_lut_rqp
                0x00004310        0xc build/O2/model/model.o
 .rodata.l3_lut 0x0000431c       0x14 build/O2/model/model.o
`;
    expect(modelFlashBreakdown(map)).toEqual({ weights: 0x210, biasesAndScales: 0x40 + 0xc0 + 0xc, other: 0x14 });
  });
});
