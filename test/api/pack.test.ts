/**
 * The published package works outside this repository: `npm pack`, install the tarball into an
 * empty project, build the KWS model with the installed CLI (which writes the typed client),
 * type-check a consumer .ts file that uses the API and that client (`tsc --noEmit`), then
 * compile and run it against qemu-m4: its output must equal TFLite Micro's golden bytes.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, sharedPath } from '../helpers/shared.js';
import { requireArmToolchain, requireQemu } from '../helpers/tools.js';

const CONSUMER = `import { readFileSync } from 'node:fs';
import { deploy, loadModel, InputError, type Session } from 'tinyml';
import type { TargetOptions } from 'tinyml/testing';
import { connect, dequantizeOutput, inputOf, MODEL, OUTPUTS } from './fw/client/kws_ref_model.js';

// tinyml/testing's types resolve without vitest installed (its runtime needs vitest).
const hil: TargetOptions = { board: 'qemu-m4', setupTimeoutMs: 60_000 };

const [modelPath, goldenIn] = process.argv.slice(2);
const model = await loadModel(modelPath);
const session: Session = await deploy(model, { board: hil.board!, out: 'fw' });
try {
  const client = connect(session);
  const x = inputOf(new Int8Array(Uint8Array.from(readFileSync(goldenIn)).buffer));
  const y = await client.invoke(x);
  const probs = dequantizeOutput(y);
  const direct = await session.invoke(x);
  let wrongSize = '';
  try {
    await session.invoke(new Int8Array(3));
  } catch (e) {
    if (e instanceof InputError) wrongSize = e.message;
  }
  const n: 12 = OUTPUTS[0].length;
  console.log(JSON.stringify({ name: MODEL.name, device: session.info.model.name, n, out: Array.from(y), direct: Array.from(direct.outputs[0] as Int8Array), latency: direct.latency, sum: probs.reduce((a, b) => a + b, 0), wrongSize }));
} finally {
  await session.close();
}
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], outDir: 'out', skipLibCheck: true },
  include: ['main.ts', 'fw/client/*.ts'],
};

describe('npm pack', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('installs into an empty project whose TypeScript uses the API and a generated client on qemu-m4', async () => {
    requireArmToolchain();
    requireQemu();
    const root = projectRoot();
    const tmp = await mkdtemp(join(tmpdir(), 'tinyml-pack-'));
    dirs.push(tmp);
    // npm pack runs the prepare script (tsc), so the tarball holds a fresh dist/ with its .d.ts.
    const packed = await execa('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root });
    const [{ filename, files }] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('dist/testing/index.d.ts');
    expect(paths.some((p) => p.startsWith('test/') || p.startsWith('node_modules/'))).toBe(false);

    const app = join(tmp, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    const typesNode = JSON.parse(await readFile(join(root, 'node_modules/@types/node/package.json'), 'utf8')).version as string;
    // The dependencies come from npm's cache when they are there (this repo's install filled it).
    await execa('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(tmp, filename), `@types/node@${typesNode}`], { cwd: app });

    const kws = sharedPath('models/mlperf-tiny/kws_ref_model.tflite');
    const built = await execa('node', ['node_modules/tinyml/bin/tinyml.js', 'build', kws, '--board', 'qemu-m4', '--out', 'fw', '--json'], { cwd: app });
    expect(JSON.parse(built.stdout).client).toBe(join(app, 'fw/client/kws_ref_model.ts'));

    await writeFile(join(app, 'main.ts'), CONSUMER);
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    await execa('node', [tsc, '-p', '.', '--noEmit'], { cwd: app });

    // A wrong-sized call in the consumer fails to compile against the installed package too.
    await writeFile(join(app, 'bad.ts'), "import { connect, type Link } from './fw/client/kws_ref_model.js';\ndeclare const link: Link;\nexport const p = connect(link).invoke(new Int8Array(490));\n");
    const bad = await execa('node', [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', 'bad.ts'], { cwd: app, reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts\(3,\d+\): error TS2345: .*Int8Array/);

    await execa('node', [tsc, '-p', '.'], { cwd: app });
    const run = await execa('node', ['out/main.js', kws, sharedPath('golden/kws_ref_model/case0.in0.bin')], { cwd: app });
    const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, any>;
    const golden = Array.from(new Int8Array(Uint8Array.from(await readFile(sharedPath('golden/kws_ref_model/case0.out0.bin'))).buffer));
    expect(r.name).toBe('kws_ref_model');
    expect(r.device).toBe('kws_ref_model');
    expect(r.n).toBe(12);
    expect(r.out).toEqual(golden);
    expect(r.direct).toEqual(golden);
    expect(r.latency.unit).toBe('instructions');
    expect(r.latency.perInference).toBeGreaterThan(0);
    // Softmax output: the dequantized probabilities add up to about 1.
    expect(r.sum).toBeGreaterThan(0.9);
    expect(r.sum).toBeLessThan(1.1);
    expect(r.wrongSize).toMatch(/input 0 'input_1' of kws_ref_model must be 490 int8 elements \[1x49x10x1\], got Int8Array\(3\)/);
  }, 900_000);
});
