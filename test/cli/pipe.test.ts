/**
 * The installed command in a shell pipeline: a reader that closes early (`| head -1`, or `| true` that reads nothing) must not
 * make tinyml die with an EPIPE stack trace.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, sharedPath } from '../helpers/shared.js';

describe('tinyml in a pipeline', () => {
  it('stops quietly when the reader closes the pipe early', () => {
    const bin = join(projectRoot(), 'bin', 'tinyml.js');
    const model = sharedPath('models', 'mlperf-tiny', 'vww_96_int8.tflite');
    // pipefail: the pipeline's status includes tinyml's own.
    const r = spawnSync('bash', ['-c', `set -o pipefail; node '${bin}' inspect '${model}' | true`], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(r.status).toBe(0);
  });
});
