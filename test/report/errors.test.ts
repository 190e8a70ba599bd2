/**
 * `tinyml report`'s bad input: each mistake is one clear line and a non-zero exit, found before
 * any build (so these run without a board or toolchain), and nothing is written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { sharedPath } from '../helpers/shared.js';

const KWS = sharedPath('models', 'mlperf-tiny', 'kws_ref_model.tflite');
const temp = makeTempDir('tinyml-report-errors-');
afterAll(() => temp.cleanup());

async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  const io = bufferIO();
  const code = await runCli(['report', ...args], io);
  return { code, stderr: io.stderr };
}

describe('tinyml report: bad input', () => {
  it('refuses --calib on a model that is already int8', async () => {
    const calib = join(temp.dir, 'c.npy');
    writeFileSync(calib, 'x');
    const html = join(temp.dir, 'a.html');
    const r = await fails([KWS, '--board', 'host', '--html', html, '--calib', calib]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already quantized.*drop --calib/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(html)).toBe(false);
  });

  it('refuses preprocessing flags without --calib, a path that is not .html, and a missing folder', async () => {
    expect((await fails([KWS, '--board', 'host', '--html', join(temp.dir, 'b.html'), '--scale', '1/255'])).stderr).toMatch(/give --calib too/);
    expect((await fails([KWS, '--board', 'host', '--html', join(temp.dir, 'b.png')])).stderr).toMatch(/ending in \.html/);
    expect((await fails([KWS, '--board', 'host', '--html', join(temp.dir, 'no', 'b.html')])).stderr).toMatch(/does not exist/);
  });

  it('never writes the page over the model, even with --force, and names an unknown board', async () => {
    const input = join(temp.dir, 'calib.html');
    writeFileSync(input, 'data');
    const own = await fails([sharedPath('models', 'tflm-examples', 'hello_world_float.tflite'), '--board', 'host', '--html', input, '--calib', input, '--force']);
    expect(own.stderr).toMatch(/never writes over its own input/);
    expect(readFileSync(input, 'utf8')).toBe('data');
    const r = await fails([KWS, '--board', 'nosuchboard', '--html', join(temp.dir, 'c.html')]);
    expect(r.stderr).toMatch(/unknown board 'nosuchboard'/);
    expect(existsSync(join(temp.dir, 'c.html'))).toBe(false);
  });
});
