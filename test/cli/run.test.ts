import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bufferIO } from '../../src/cli/io.js';
import { formatNpy, parseNpy } from '../../src/io/npy.js';
import { goldenModels } from '../helpers/golden.js';

const kws = goldenModels().find((m) => m.id === 'kws_ref_model')!;
const dir = mkdtempSync(join(tmpdir(), 'tinyml-run-'));

describe('tinyml run (host)', () => {
  it('reads a .bin input and writes a .bin output equal to the golden bytes', async () => {
    const input = join(dir, 'in.bin');
    const output = join(dir, 'out.bin');
    writeFileSync(input, kws.cases[0].inputs[0]);
    const io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', output], io)).toBe(0);
    expect(new Uint8Array(readFileSync(output))).toEqual(kws.cases[0].outputs[0]);
  });

  it('reads int8 .npy as is, writes .npy, and prints when no output is given', async () => {
    const input = join(dir, 'in.npy');
    const shape = kws.inputs[0].shape;
    writeFileSync(input, formatNpy({ dtype: 'int8', shape, data: new Int8Array(kws.cases[1].inputs[0].buffer.slice(0)) }));
    const output = join(dir, 'out.npy');
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', output], bufferIO())).toBe(0);
    const out = parseNpy(new Uint8Array(readFileSync(output)));
    expect(out.dtype).toBe('int8');
    expect(out.shape).toEqual([1, 12]);
    expect(new Uint8Array(out.data.buffer)).toEqual(kws.cases[1].outputs[0]);
    const io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', input], io)).toBe(0);
    expect(io.stdout).toContain('Identity int8 [1x12]:');
    expect(io.stdout).toContain('dequantized');
  });

  it('quantizes float32 .npy with the input scale and zero point', async () => {
    const { scale, zeroPoint } = kws.inputs[0] as { scale: number; zeroPoint: number };
    const q = new Int8Array(kws.cases[2].inputs[0].buffer.slice(0));
    const real = Float32Array.from(q, (v) => (v - zeroPoint) * scale);
    const input = join(dir, 'real.npy');
    writeFileSync(input, formatNpy({ dtype: 'float32', shape: kws.inputs[0].shape, data: real }));
    const output = join(dir, 'real-out.bin');
    expect(await runCli(['run', kws.modelPath, '--input', input, '--output', output], bufferIO())).toBe(0);
    expect(new Uint8Array(readFileSync(output))).toEqual(kws.cases[2].outputs[0]);
  });

  it('rejects an input of the wrong size, the wrong count and an unknown format with clear errors', async () => {
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, new Uint8Array(3));
    let io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', bad], io)).toBe(2);
    expect(io.stderr).toMatch(/has 3 bytes; input 'input_1' \(int8 \[1x49x10x1\]\) needs exactly 490/);
    io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', bad, '--input', bad], io)).toBe(2);
    expect(io.stderr).toMatch(/takes 1 input\(s\).*got 2/);
    const txt = join(dir, 'in.txt');
    writeFileSync(txt, 'hello');
    io = bufferIO();
    expect(await runCli(['run', kws.modelPath, '--input', txt], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown input format '.txt'/);
  });
});
