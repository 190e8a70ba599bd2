/**
 * The library API (src/api, exported from the package root): a deploy() session on qemu-m4
 * reproduces TFLite Micro's golden bytes, rejects wrongly sized inputs and use after close with
 * typed errors, and is the link a generated client connects to; quantize() never overwrites
 * without force; evaluate() runs on the host or on a session; tinyml/testing picks its target
 * from the environment.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, deploy, evaluate, InputError, loadModel, quantize, WouldOverwriteError, type Session } from '../../src/index.js';
import { targetFromEnv } from '../../src/testing/index.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { sharedPath } from '../helpers/shared.js';
import { FASHION_TEST, requireArmToolchain, requireFashionMnist, requireQemu } from '../helpers/tools.js';

const temp = makeTempDir('tinyml-api-');
afterAll(() => temp.cleanup());
const KWS = sharedPath('models/mlperf-tiny/kws_ref_model.tflite');
const golden = (file: string): Int8Array => new Int8Array(Uint8Array.from(readFileSync(sharedPath('golden/kws_ref_model', file))).buffer);

describe('loadModel', () => {
  it('gives names, shapes, dtypes and quantization of the inputs and outputs', async () => {
    const m = await loadModel(KWS);
    expect(m.name).toBe('kws_ref_model');
    expect(m.inputs).toEqual([{ name: 'input_1', shape: [1, 49, 10, 1], dtype: 'int8', length: 490, scale: 0.5847029089927673, zeroPoint: 83 }]);
    expect(m.outputs.map((o) => [o.length, o.zeroPoint])).toEqual([[12, -128]]);
  });

  it('rejects a missing file with an InputError', async () => {
    await expect(loadModel(join(temp.dir, 'nope.tflite'))).rejects.toBeInstanceOf(InputError);
  });
});

describe('deploy session on qemu-m4', () => {
  let session: Session;
  beforeAll(async () => {
    requireArmToolchain();
    requireQemu();
    session = await deploy(KWS, { board: 'qemu-m4', out: join(temp.dir, 'kws'), profile: true });
  }, 300_000);
  afterAll(async () => session?.close());

  it('reproduces TFLite Micro byte for byte through invoke() and run()', async () => {
    for (const k of [0, 7, 11]) {
      const want = Array.from(golden(`case${k}.out0.bin`));
      const r = await session.invoke(golden(`case${k}.in0.bin`));
      expect(Array.from(r.outputs[0] as Int8Array)).toEqual(want);
      expect(r.latency.unit).toBe('instructions');
      expect(r.latency.ms).toBeCloseTo((r.latency.perInference / 25e6) * 1000, 9);
      const raw = await session.run([new Uint8Array(golden(`case${k}.in0.bin`).buffer)]);
      expect(Array.from(new Int8Array(raw[0].buffer, raw[0].byteOffset, raw[0].length))).toEqual(want);
    }
  });

  it('is the link of the generated client written by build()', async () => {
    const text = readFileSync(session.build.client!, 'utf8');
    expect(text).toContain('export function connect(link: Link): ModelClient');
    expect(text).toContain(`hash: "${session.build.firmware.compiled.hash}"`);
  });

  it('rejects wrong sizes with InputError before anything reaches the device', async () => {
    await expect(session.invoke(new Int8Array(489))).rejects.toThrow(/input 0 'input_1' of kws_ref_model must be 490 int8 elements \[1x49x10x1\], got Int8Array\(489\)/);
    await expect(session.invoke([golden('case0.in0.bin'), golden('case0.in0.bin')])).rejects.toThrow(/takes 1 input\(s\) \('input_1'\), got 2/);
    await expect(session.run([new Uint8Array(491)])).rejects.toBeInstanceOf(InputError);
    // The session still works afterwards.
    expect((await session.check(1)).matched).toBe(1);
  });

  it('profiles per layer when built with profile: true', async () => {
    const p = await session.profile();
    expect(p.layers.length).toBe(session.build.model.graph.ops.length);
    expect(p.unit).toBe('instructions');
  });

  it('refuses use after close', async () => {
    const s = await deploy(sharedPath('models/tflm-examples/hello_world_int8.tflite'), { board: 'qemu-m4', out: join(temp.dir, 'hello') });
    await s.close();
    await expect(s.invoke(new Int8Array(1))).rejects.toThrow(/invoke on a closed session/);
    await s.close(); // twice is fine
  }, 120_000);
});

describe('build', () => {
  it('needs a board', async () => {
    await expect(build(KWS, {} as never)).rejects.toThrow(/needs a board name/);
  });
});

describe('quantize', () => {
  it('writes an int8 model and never overwrites without force', async () => {
    const float = sharedPath('models/tflm-examples/hello_world_float.tflite');
    const samples = Array.from({ length: 32 }, (_, i) => Float32Array.of((i * 6.28) / 31));
    const out = join(temp.dir, 'hello.int8.tflite');
    const q = await quantize(float, { samples, out, evaluate: false });
    expect(q.model.inputs[0].dtype).toBe('int8');
    expect(q.model.outputs[0].dtype).toBe('int8');
    expect(q.report.calibrationSamples).toBe(32);
    await expect(quantize(float, { samples, out })).rejects.toBeInstanceOf(WouldOverwriteError);
    await expect(quantize(q.model, { samples, out: join(temp.dir, 'again.tflite') })).rejects.toThrow(/already quantized/);
    const q2 = await quantize(float, { samples, out, force: true, evaluate: false });
    expect(q2.model.path).toBe(out);
  });
});

describe('evaluate', () => {
  it('scores a classifier on the host', async () => {
    requireFashionMnist([FASHION_TEST]);
    const r = await evaluate(sharedPath('models/fashion-mnist/fashion_cnn_qat_qdq.onnx'), { data: FASHION_TEST, scale: 1, scaleDivisor: 255, limit: 50 });
    expect(r.samples).toBe(50);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(50);
    // The QAT model's accuracy on the test set is about 90%; 50 samples still land well above chance.
    expect(r.top1).toBeGreaterThan(0.6);
  });
});

describe('tinyml/testing target choice', () => {
  it('defaults to qemu-m4 and follows TINYML_BOARD / TINYML_PORT', () => {
    expect(targetFromEnv({}, {})).toEqual({ board: 'qemu-m4' });
    expect(targetFromEnv({}, { TINYML_BOARD: 'qemu-m7' })).toEqual({ board: 'qemu-m7' });
    expect(targetFromEnv({}, { TINYML_BOARD: 'nano33', TINYML_PORT: '/dev/ttyACM0' })).toEqual({ board: 'nano33', port: '/dev/ttyACM0' });
    expect(targetFromEnv({ board: 'qemu-m55' }, { TINYML_BOARD: 'qemu-m7' })).toEqual({ board: 'qemu-m55' });
  });

  it('refuses a port without a physical board', () => {
    expect(() => targetFromEnv({}, { TINYML_PORT: '/dev/ttyACM0' })).toThrow(/also name its board, e\.g\. TINYML_BOARD=nano33/);
    expect(() => targetFromEnv({}, { TINYML_PORT: '/dev/ttyACM0', TINYML_BOARD: 'qemu-m4' })).toThrow(/emulated by QEMU and takes no port/);
  });
});
