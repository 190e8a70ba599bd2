/**
 * The bench's command line: --help prints the usage and runs nothing; an unknown option or a flag
 * without its value is refused with the usage, before any model is built (the whole bench takes
 * many minutes, so a typo must not start it).
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('../../dist/bench/main.js', import.meta.url));

describe('npm run bench arguments', () => {
  it('--help prints the options and exits 0 without running', async () => {
    const r = await execa('node', [BENCH, '--help'], { reject: false, timeout: 20_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: npm run bench');
    expect(r.stdout).toContain('--kinds');
    expect(r.stderr).not.toContain('qemu-m4');
  });

  it('refuses an unknown option and a flag without a value, with the usage', async () => {
    const unknown = await execa('node', [BENCH, '--model', 'kws_ref_model'], { reject: false, timeout: 20_000 });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown bench option '--model'");
    expect(unknown.stderr).toContain('Usage: npm run bench');
    const missing = await execa('node', [BENCH, '--boards'], { reject: false, timeout: 20_000 });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('bench option --boards needs a value');
  });
});
