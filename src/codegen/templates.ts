/** Loads and compiles the Handlebars templates under templates/ (once per process). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** Project root: src/codegen (or dist/codegen) is two levels down. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEMPLATES_DIR = join(PROJECT_ROOT, 'templates');
export const FIRMWARE_DIR = join(PROJECT_ROOT, 'firmware');

const cache = new Map<string, HandlebarsTemplateDelegate>();

export function renderTemplate(name: string, data: unknown): string {
  let t = cache.get(name);
  if (!t) {
    t = Handlebars.compile(readFileSync(join(TEMPLATES_DIR, name), 'utf8'), { noEscape: true, strict: true });
    cache.set(name, t);
  }
  return t(data);
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
