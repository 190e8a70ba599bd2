/**
 * Locates the read-only `shared/` folder (models, golden outputs, reference numbers) that sits
 * next to the project root: `<projectRoot>/../shared`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json). */
export function projectRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** `<projectRoot>/../shared`; throws a clear error when it is missing. */
export function sharedDir(): string {
  const dir = resolve(projectRoot(), '..', 'shared');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(
      `the shared folder was not found at ${dir}: tests that use real models need ../shared next to the project root ` +
        `(see shared/README.md)`,
    );
  }
  return dir;
}

/** A path inside the shared folder. */
export function sharedPath(...parts: string[]): string {
  return join(sharedDir(), ...parts);
}

/** Every .tflite model under shared/models/, as absolute paths, sorted. */
export function sharedModels(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.tflite')) out.push(p);
    }
  };
  walk(join(sharedDir(), 'models'));
  if (out.length === 0) throw new Error(`no .tflite models found under ${join(sharedDir(), 'models')}`);
  return out.sort();
}
