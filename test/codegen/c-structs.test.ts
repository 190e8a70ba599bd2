/**
 * Params structs are named twice (the keys an op's emitC writes, the members its kernel header
 * declares); a designated initializer that forgets a member compiles and zeroes it. Generation
 * checks every initializer against the headers: these pin the parser, the check, and that a
 * real emitter's initializer with one member dropped is refused (generateModelC and the C
 * kernel harness run the same check on everything they emit).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertStructsComplete, checkStructInitializers, parseStructFields, parseStructs, readHeaderStructs } from '../../src/codegen/c-structs.js';
import { FIRMWARE_DIR } from '../../src/codegen/templates.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { fullyConnected } from '../../src/ops/fully-connected.js';
import { singleOpContext } from '../helpers/op-graph.js';

const HEADER = `
/* a comment with typedef struct { int nope; } fake; inside */
typedef struct {
  int32_t size;           // trailing comment
  const int32_t *multiplier;
  int32_t dims[4], strides[4];
  /* nested comment */ int8_t last;
} tinyml_demo_params;
`;

describe('params struct check', () => {
  it('reads the members of a header struct: pointers, arrays, several declarators, comments', () => {
    expect(parseStructs(HEADER)).toEqual(new Map([['tinyml_demo_params', ['size', 'multiplier', 'dims', 'strides', 'last']]]));
  });

  it('accepts initializers that set every member, designated or positional', () => {
    const structs = parseStructs(HEADER);
    const designated = 'static const tinyml_demo_params l0_params = {\n  .size = 4,\n  .multiplier = l0_mult,\n  .dims = {1, 2, 3, 4},\n  .strides = {4, 3, 2, 1},\n  .last = -1,\n};';
    const positional = 'static const tinyml_demo_params l1_params = { 4, l1_mult, {1, 2, 3, 4}, {4, 3, 2, 1}, -1 };';
    expect(checkStructInitializers(`${designated}\n${positional}\nstatic const int32_t l0_mult[2] = {1, 2};`, structs)).toEqual([]);
  });

  it('names the members an initializer leaves out', () => {
    const structs = parseStructs(HEADER);
    const problems = checkStructInitializers('static const tinyml_demo_params l3_params = { .size = 4, .dims = {0}, .strides = {0}, .last = 1 };', structs);
    expect(problems).toEqual([{ variable: 'l3_params', type: 'tinyml_demo_params', missing: ['multiplier'], detail: 'leaves out multiplier' }]);
    const short = checkStructInitializers('static const tinyml_demo_params l4_params = { 4, 0, {0}, {0} };', structs);
    expect(short.map((p) => p.detail)).toEqual(['gives 4 values for 5 members']);
  });

  it('knows the kernel headers', () => {
    const structs = readHeaderStructs(join(FIRMWARE_DIR, 'kernels'));
    expect(structs.get('tinyml_conv2d_params')).toContain('pad_width_offset');
    expect(structs.get('tinyml_fully_connected_dsp_params')).toContain('corr');
  });

  it('refuses a real emitter whose initializer drops a member', () => {
    const ctx = singleOpContext(
      'FULLY_CONNECTED',
      { activation: 'NONE', keepNumDims: false },
      [
        { shape: [1, 4], dtype: 'int8', quant: { scale: 0.5, zeroPoint: 1 } },
        { shape: [2, 4], dtype: 'int8', quant: { scale: 0.25, zeroPoint: 0 }, data: Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
      ],
      [{ shape: [1, 2], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 } }],
    );
    const em = fullyConnected.emitC!(fullyConnected.prepare(ctx), { inputs: ['x', 'w', undefined], outputs: ['y'] }, { prefix: 'l0' });
    expect(() => assertStructsComplete(em.decls, 'layer 0 (FULLY_CONNECTED)')).not.toThrow();
    const dropped = em.decls.replace(/\n\s*\.weights_offset = [^,]*,/, '');
    expect(dropped).not.toBe(em.decls);
    expect(() => assertStructsComplete(dropped, 'layer 0 (FULLY_CONNECTED)')).toThrow(/l0_params \(tinyml_fully_connected_params\) leaves out weights_offset/);
  });

  it('checks the initializer of a member that is itself a struct (the conv geometry)', () => {
    const header = `typedef struct { int32_t a; int32_t b; } inner_t;\ntypedef struct { inner_t geo; const int8_t *w; } outer_t;`;
    const fields = parseStructFields(header);
    expect(fields.get('outer_t')).toEqual([
      { name: 'geo', type: 'inner_t' },
      { name: 'w', type: 'int8_t' },
    ]);
    const structs = parseStructs(header);
    const ok = 'static const outer_t l0_params = {\n  .geo = {.a = 1, .b = 2},\n  .w = l0_w,\n};';
    expect(checkStructInitializers(ok, structs, fields)).toEqual([]);
    const missing = checkStructInitializers(ok.replace(', .b = 2', ''), structs, fields);
    expect(missing).toEqual([{ variable: 'l0_params', type: 'outer_t', missing: ['geo.b'], detail: 'leaves out geo.b' }]);
    const short = checkStructInitializers(ok.replace('{.a = 1, .b = 2}', '{1}'), structs, fields);
    expect(short.map((p) => p.detail)).toEqual(['gives 1 values for 2 members of geo']);
  });

  it('refuses a real conv emitter whose geometry drops a member', () => {
    const ctx = singleOpContext(
      'CONV_2D',
      { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
      [
        { shape: [1, 4, 4, 2], dtype: 'int8', quant: { scale: 0.5, zeroPoint: 1 } },
        { shape: [3, 3, 3, 2], dtype: 'int8', quant: { scale: 0.25, zeroPoint: 0 }, data: new Int8Array(54).fill(1) },
      ],
      [{ shape: [1, 4, 4, 3], dtype: 'int8', quant: { scale: 1, zeroPoint: 0 } }],
    );
    const em = conv2d.emitC!(conv2d.prepare(ctx), { inputs: ['x', 'w', undefined], outputs: ['y'] }, { prefix: 'l0' });
    expect(em.decls).toContain('.geo = {.batches = 1, ');
    expect(() => assertStructsComplete(em.decls, 'layer 0 (CONV_2D)')).not.toThrow();
    const dropped = em.decls.replace(/, \.pad_width = \d+/, '');
    expect(dropped).not.toBe(em.decls);
    expect(() => assertStructsComplete(dropped, 'layer 0 (CONV_2D)')).toThrow(/l0_params \(tinyml_conv2d_params\) leaves out geo\.pad_width/);
  });
});
