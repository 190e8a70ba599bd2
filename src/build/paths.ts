/**
 * Where tinyml's own data lives (boards/, firmware/, templates/), found relative to this module
 * so it works from src/ (tests, tsx) and from dist/ (the installed CLI) alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The tinyml package root: the nearest ancestor directory whose package.json is named "tinyml". */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'tinyml') {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tinyml: cannot find the package root (package.json named "tinyml")');
    dir = parent;
  }
}

/** boards/: one folder per board, plus common/. */
export function boardsDir(): string {
  return resolve(packageRoot(), 'boards');
}

/** firmware/: runtime/ (main.c, tinyml_model.h, ...) and kernels/. */
export function firmwareDir(): string {
  return resolve(packageRoot(), 'firmware');
}

/** templates/: Handlebars templates for generated projects. */
export function templatesDir(): string {
  return resolve(packageRoot(), 'templates');
}
