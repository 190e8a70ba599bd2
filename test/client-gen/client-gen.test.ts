/**
 * The typed model client (src/client-gen/): for every int8 model of ../shared it type-checks
 * under strict TypeScript, a wrong-sized array passed to `invoke` is a compile error, and at run
 * time a wrong size is a ClientSizeError while a right one reaches the link byte for byte.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { generateClient } from '../../src/client-gen/generate-client.js';
import { loadModel } from '../../src/model-file/load-model.js';
import { projectRoot, sharedModels, sharedPath } from '../helpers/shared.js';

/** A strict project in memory (TypeScript's own lib files), the way a user's tsconfig would check it. */
function project(): Project {
  return new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2023.d.ts'],
      noEmit: true,
    },
  });
}

function diagnostics(p: Project): string[] {
  return p.getPreEmitDiagnostics().map((d) => `${d.getSourceFile()?.getBaseName() ?? ''}:${d.getLineNumber() ?? 0} TS${d.getCode()} ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, ' ')}`);
}

/** The int8 models of shared/models (every input and output int8). */
async function int8Models(): Promise<string[]> {
  const out: string[] = [];
  for (const path of sharedModels()) {
    const g = await loadModel(path);
    const io = [...g.inputs, ...g.outputs].map((i) => g.tensors[i].dtype);
    if (io.every((d) => d === 'int8')) out.push(path);
  }
  return out;
}

const KWS = sharedPath('models/mlperf-tiny/kws_ref_model.tflite');

describe('generated model client', () => {
  it('type-checks under strict TypeScript for every shared int8 model', async () => {
    const models = await int8Models();
    // The six int8 models of shared/README.md: a smaller list means the filter lost some.
    expect(models.map((m) => basename(m)).sort()).toEqual(
      ['ad01_int8.tflite', 'hello_world_int8.tflite', 'kws_ref_model.tflite', 'micro_speech_quantized.tflite', 'pretrainedResnet_quant.tflite', 'vww_96_int8.tflite'],
    );
    const p = project();
    for (const path of models) {
      const g = await loadModel(path);
      const c = generateClient(g, { hash: '0'.repeat(64) });
      p.createSourceFile(`/clients/${c.fileName}`, c.text);
      // A consumer using every export the way the README shows.
      const mod = `./${c.fileName.replace(/\.ts$/, '.js')}`;
      p.createSourceFile(
        `/clients/use_${c.fileName}`,
        [
          `import { connect, inputOf, INPUTS, OUTPUTS, MODEL, type Link, type Output } from '${mod}';`,
          'declare const link: Link;',
          `const x = inputOf(new ${'Int8Array'}(INPUTS[0].length));`,
          'export const y: Promise<Output> = connect(link).invoke(x);',
          `export const n: ${g.tensors[g.outputs[0]].shape.reduce((a, b) => a * b, 1)} = OUTPUTS[0].length;`,
          `export const name: ${JSON.stringify(g.name)} = MODEL.name;`,
        ].join('\n'),
      );
    }
    expect(diagnostics(p)).toEqual([]);
  }, 120_000);

  it('types several inputs and outputs as fixed tuples (int16 / int32 fixtures)', async () => {
    const p = project();
    const fixtures = join(projectRoot(), 'test/fixtures/int16');
    for (const f of ['quantize_int16_int32.tflite', 'transpose_conv_shape_input.tflite']) {
      const c = generateClient(await loadModel(join(fixtures, f)));
      p.createSourceFile(`/m/${c.fileName}`, c.text);
    }
    p.createSourceFile(
      '/m/use.ts',
      [
        "import * as a from './quantize_int16_int32.js';",
        "import * as b from './transpose_conv_shape_input.js';",
        'declare const link: a.Link;',
        'export const outs: Promise<a.Outputs> = a.connect(link).invoke(a.inputOf(new Int16Array(a.INPUTS[0].length)));',
        'export const firstOut: Promise<Int32Array> = outs.then((o) => o[0]);',
        'export const y = b.connect(link).invoke([b.input0Of(new Int16Array(b.INPUTS[0].length)), b.input1Of(new Int32Array(4))]);',
        'export const bad = b.connect(link).invoke([b.input0Of(new Int16Array(b.INPUTS[0].length))]);', // line 7: one input missing
      ].join('\n'),
    );
    expect(diagnostics(p).map((d) => d.split(' ').slice(0, 2).join(' '))).toEqual(['use.ts:7 TS2345']);
  }, 60_000);

  it('makes a wrong-sized input a compile error where its size is static', async () => {
    const c = generateClient(await loadModel(KWS));
    const p = project();
    p.createSourceFile(`/c/${c.fileName}`, c.text);
    p.createSourceFile(
      '/c/bad.ts',
      [
        "import { connect, dequantizeOutput, type Link } from './kws_ref_model.js';",
        'declare const link: Link;',
        'const client = connect(link);',
        'export const a = client.invoke(new Int8Array(10));', // line 4: unknown length
        'export const b = dequantizeOutput(new Int8Array(12));', // line 5: unknown length
        "import { quantizeInput, type Sized } from './kws_ref_model.js';",
        'declare const wrong: Sized<Int8Array, 491>;',
        'export const d = client.invoke(wrong);', // line 8: the wrong literal length
        'export const e = client.invoke(quantizeInput(new Float32Array(490)));', // fine
        'declare const u8: Sized<Uint8Array, 490>;',
        'export const f = client.invoke(u8);', // line 11: right length, wrong element type
      ].join('\n'),
    );
    const diags = diagnostics(p);
    expect(diags.map((d) => d.split(' ')[0])).toEqual(['bad.ts:4', 'bad.ts:5', 'bad.ts:8', 'bad.ts:11']);
    expect(diags[0]).toMatch(/TS2345 .*Type 'number' is not assignable to type '490'/);
    expect(diags[2]).toMatch(/TS2345 .*Type '491' is not assignable to type '490'/);
  }, 60_000);

  it('checks sizes at run time and sends the input bytes unchanged to the link', async () => {
    const g = await loadModel(KWS);
    const c = generateClient(g);
    const js = ts.transpileModule(c.text, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
    const client = (await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`)) as Record<string, any>;
    const sent: Uint8Array[][] = [];
    const reply = Uint8Array.from({ length: 12 }, (_, i) => (i * 20) & 0xff);
    // The link a deploy() session provides: bytes in, bytes out.
    const link = {
      async run(inputs: readonly Uint8Array[]) {
        sent.push(inputs.map((b) => b.slice()));
        return [reply];
      },
    };
    const m = client.connect(link);
    await expect(m.invoke(new Int8Array(10))).rejects.toThrow(/input 0 'input_1' of kws_ref_model must be Int8Array\(490\), got Int8Array\(10\)/);
    await expect(m.invoke(new Uint8Array(490))).rejects.toThrow(/must be Int8Array\(490\), got Uint8Array\(490\)/);
    expect(() => client.inputOf(new Int8Array(489))).toThrow(client.ClientSizeError);
    expect(sent).toEqual([]);

    const golden = new Int8Array(Uint8Array.from(readFileSync(sharedPath('golden/kws_ref_model/case0.in0.bin'))).buffer);
    const out = await m.invoke(client.inputOf(golden));
    expect(Array.from(sent[0][0])).toEqual(Array.from(new Uint8Array(golden.buffer)));
    expect(out).toBeInstanceOf(Int8Array);
    expect(Array.from(out)).toEqual(Array.from(new Int8Array(reply.buffer)));

    // quantizeInput / dequantizeOutput use the model's own scale and zero point.
    const inT = g.tensors[g.inputs[0]].quant!;
    const outT = g.tensors[g.outputs[0]].quant!;
    const real = Float32Array.from({ length: 490 }, (_, i) => (i - 245) * 0.3);
    const q = client.quantizeInput(real) as Int8Array;
    const sign = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));
    expect(Array.from(q)).toEqual(Array.from(real, (v) => Math.min(127, Math.max(-128, sign(v / inT.scale[0]) + inT.zeroPoint[0]))));
    const deq = client.dequantizeOutput(out) as Float32Array;
    expect(Array.from(deq)).toEqual(Array.from(out as Int8Array, (v) => Math.fround(outT.scale[0] * (v - outT.zeroPoint[0]))));
  }, 60_000);

  it('is the same text for the same model (deterministic output)', async () => {
    const g = await loadModel(KWS);
    expect(generateClient(g, { hash: 'ab' }).text).toBe(generateClient(g, { hash: 'ab' }).text);
  });
});
