/**
 * `tinyml export MODEL --arduino`: the generated model as an Arduino library (1.5 format), for
 * users of the Arduino IDE or arduino-cli:
 *
 *   <out>/
 *     library.properties           name, version, includes=<lib>.h, architectures=*
 *     README.md                    API, tensors, how to install
 *     .tinyml-export               what tinyml wrote (paths and SHA-256), see src/fs/owned-dir.ts
 *     src/<lib>.h                  the header a sketch includes (C++-safe: extern "C")
 *     src/model.c, src/model.h     the generated model
 *     src/tinyml_model.h           the C API every generated model implements
 *     src/<kernel>.c/.h            the kernels the model calls (and the shared kernel headers),
 *                                  in their firmware/kernels/ folders (e.g. src/arm/conv2d_dsp.c)
 *     examples/<sketch>/<sketch>.ino   runs one inference every 2 s, prints outputs and micros()
 *
 * The Arduino build compiles src/ recursively and puts src/ on the include path; model.c includes
 * its kernels' headers relative to src/ ("conv2d.h", "arm/conv2d_dsp.h"), and the kernels include
 * each other relative to their own folder, so the firmware/kernels/ layout is kept as is.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { firmwareDir, templatesDir } from '../build/paths.js';
import { cFloat } from '../codegen/c-literals.js';
import { packageVersion } from '../codegen/templates.js';
import type { CompiledModel } from '../deploy/compile-model.js';
import type { OptimizeGoal } from '../ops/op-def.js';
import { compileModel, targetForCore } from '../deploy/compile-model.js';
import { InputError } from '../errors.js';
import { DTYPE_BYTES, elementCount } from '../ir/types.js';
import { writeOwnedTree } from '../fs/owned-dir.js';

export const EXPORT_MARKER = '.tinyml-export';

export interface ArduinoExportOptions {
  /** Library folder (default tinyml-out/<model>-arduino). */
  outDir?: string;
  /** Overwrite a folder holding files tinyml did not write (or edited since). */
  force?: boolean;
  /** Library name (default tinyml_<model>); also names the header (<name>.h). */
  name?: string;
  /** Core to generate for (default cortex-m4, the Nano 33 BLE's); the C is portable either way. */
  core?: string;
  /** Kernel layouts for speed (default) or flash size (see build --optimize). */
  optimize?: OptimizeGoal;
}

export interface ArduinoExport {
  /** Absolute library folder. */
  dir: string;
  libName: string;
  /** src/<libName>.h */
  header: string;
  sketchName: string;
  /** Every file written, library-relative, sorted (without the marker). */
  files: string[];
  compiled: CompiledModel;
}

/** A C identifier / Arduino-safe name from a model file stem. */
export function identifierFor(stem: string): string {
  let id = stem.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (id.length === 0) id = 'model';
  if (!/^[A-Za-z]/.test(id)) id = `model_${id}`;
  return id.slice(0, 48);
}

export function defaultArduinoOutDir(modelPath: string): string {
  return resolve('tinyml-out', `${basename(modelPath, extname(modelPath))}-arduino`);
}

function render(name: string, context: object): string {
  const hb = Handlebars.create();
  return hb.compile(readFileSync(join(templatesDir(), 'arduino', name), 'utf8'), { noEscape: true, strict: true })(context);
}

export async function exportArduinoLibrary(modelPath: string, options: ArduinoExportOptions = {}): Promise<ArduinoExport> {
  const stem = basename(modelPath, extname(modelPath));
  const id = identifierFor(stem);
  const libName = options.name ?? `tinyml_${id}`;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(libName)) {
    throw new InputError(`library name '${libName}' must start with a letter and hold only letters, digits and '_' (at most 63 characters)`);
  }
  const compiled = await compileModel(modelPath, { target: targetForCore(options.core ?? 'cortex-m4'), optimize: options.optimize ?? 'speed' });
  const { graph, generated, plan } = compiled;
  const header = `${libName}.h`;
  const sketchName = id;

  const files = new Map<string, Buffer>();
  const add = (rel: string, contents: string | Uint8Array): void => {
    if (files.has(rel)) throw new InputError(`two files would be written to ${rel}`);
    files.set(rel, Buffer.from(contents));
  };

  // Model, API header and kernels, flat in src/.
  for (const [rel, text] of Object.entries(generated.files)) add(`src/${basename(rel)}`, text);
  add('src/tinyml_model.h', readFileSync(join(firmwareDir(), 'runtime', 'tinyml_model.h')));
  // Kernels keep their folders (arm/...): the sources include each other by relative path.
  for (const k of generated.kernelFiles) add(`src/${k.replace(/\\/g, '/')}`, readFileSync(join(firmwareDir(), 'kernels', k)));
  if (files.has(`src/${header}`)) throw new InputError(`library name '${libName}' collides with a generated file; choose another --name`);

  const tensor = (i: number) => {
    const t = graph.tensors[i];
    const per = t.quant && t.quant.scale.length === 1;
    return {
      name: t.name.replace(/\*\//g, '* /'),
      dtype: t.dtype,
      shapeText: t.shape.join('x') || 'scalar',
      bytes: elementCount(t.shape) * DTYPE_BYTES[t.dtype],
      scale: per ? cFloat(t.quant!.scale[0]).replace(/f$/, '') : '-',
      zeroPoint: per ? t.quant!.zeroPoint[0] : '-',
    };
  };
  const context = {
    libName,
    header,
    guard: `${libName.toUpperCase()}_H`,
    sketchName,
    modelName: graph.name,
    modelFile: basename(modelPath),
    version: packageVersion(),
    hash: compiled.hash.slice(0, 16),
    numLayers: generated.numLayers,
    constantBytes: generated.constantBytes,
    arenaBytes: plan.arenaBytes,
    numInputs: graph.inputs.length,
    numOutputs: graph.outputs.length,
    inputs: graph.inputs.map(tensor),
    outputs: graph.outputs.map(tensor),
  };
  add(`src/${header}`, render('library.h.hbs', context));
  add('library.properties', render('library.properties.hbs', context));
  add('README.md', render('README.md.hbs', context));
  add(`examples/${sketchName}/${sketchName}.ino`, render('sketch.ino.hbs', context));

  const dir = await writeOwnedTree(options.outDir ?? defaultArduinoOutDir(modelPath), files, {
    marker: EXPORT_MARKER,
    kind: 'arduino-library',
    force: options.force === true,
    what: 'Arduino library',
  });
  return { dir, libName, header, sketchName, files: [...files.keys()].sort(), compiled };
}
