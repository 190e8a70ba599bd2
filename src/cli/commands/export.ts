/**
 * `tinyml export MODEL --arduino [--out DIR] [--name NAME] [--optimize speed|size] [--force] [--json]`: the generated
 * model as an Arduino library with an example sketch (see src/export/arduino.ts).
 */
import { exportArduinoLibrary } from '../../export/arduino.js';
import { InputError } from '../../errors.js';
import type { CliIO } from '../io.js';
import { parseOptimize } from './build.js';

export interface ExportOptions {
  /** Export as an Arduino library (the only format so far; required). */
  arduino?: boolean;
  /** Output folder (default tinyml-out/<model>-arduino). */
  out?: string;
  /** Library name (default tinyml_<model>). */
  name?: string;
  /** 'speed' (default) or 'size': kernel layouts (the Arduino IDE picks the compiler flags). */
  optimize?: string;
  /** Overwrite a folder that holds files tinyml did not write. */
  force?: boolean;
  json?: boolean;
}

export async function exportCommand(modelPath: string, opts: ExportOptions, io: CliIO): Promise<void> {
  if (!opts.arduino) throw new InputError('choose what to export: --arduino (an Arduino library with an example sketch)');
  const r = await exportArduinoLibrary(modelPath, {
    ...(opts.out ? { outDir: opts.out } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    optimize: parseOptimize(opts.optimize, false),
    force: opts.force ?? false,
  });
  const sketch = `examples/${r.sketchName}/${r.sketchName}.ino`;
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          model: r.compiled.graph.name,
          format: 'arduino',
          optimize: r.compiled.optimize,
          dir: r.dir,
          library: r.libName,
          header: r.header,
          sketch,
          arenaBytes: r.compiled.plan.arenaBytes,
          constantBytes: r.compiled.generated.constantBytes,
          files: r.files,
        },
        null,
        2,
      ),
    );
    return;
  }
  io.out(`exported ${r.compiled.graph.name} as the Arduino library ${r.libName} in ${r.dir}`);
  io.out(`  #include <${r.header}>: tinyml_init(), tinyml_input(i), tinyml_invoke(), tinyml_output(i)`);
  io.out(`  weights ${r.compiled.generated.constantBytes.toLocaleString('en-US')} bytes (flash), arena ${r.compiled.plan.arenaBytes.toLocaleString('en-US')} bytes (RAM)`);
  io.out(`  example: ${sketch}`);
  io.out(`install: copy ${r.dir} to your sketchbook's libraries/ folder (e.g. ~/Arduino/libraries/${r.libName}),`);
  io.out('  or zip it and use Sketch > Include Library > Add .ZIP Library... in the Arduino IDE');
}
