/**
 * Worker threads cannot load TypeScript, so tests of the parallel host runner transpile src/ (no
 * type check, same module layout) into a temporary directory and start the worker from there.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../helpers/shared.js';

export function transpileSrc(): { dir: string; cleanup: () => void } {
  const root = projectRoot();
  const src = join(root, 'src');
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-src-'));
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = join(dir, relative(src, p)).replace(/\.ts$/, '.js');
        mkdirSync(dirname(out), { recursive: true });
        const js = ts.transpileModule(readFileSync(p, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        writeFileSync(out, js);
      }
    }
  };
  walk(src);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
