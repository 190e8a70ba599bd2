/**
 * `tinyml export --arduino`: the library's C compiles with arm-none-eabi-gcc and the Nano 33
 * BLE's core flags (warning-free), the example sketch compiles as C++ with arm-none-eabi-g++
 * against a stub Arduino.h, and, built for the host with the same stub, the sketch prints
 * exactly what the reference interpreter computes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { exportCommand } from '../../src/cli/commands/export.js';
import { InputError, WouldOverwriteError } from '../../src/errors.js';
import { EXPORT_MARKER, exportArduinoLibrary, identifierFor } from '../../src/export/arduino.js';
import { runGraph } from '../../src/interp/interpreter.js';
import { allocTensorData, elementCount } from '../../src/ir/types.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';
import { sharedPath } from '../helpers/shared.js';
import { requireArmToolchain, requireHostCompiler } from '../helpers/tools.js';

const NANO33_FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'];
const STRICT = ['-Wall', '-Wextra', '-Werror'];

/** Just enough of the Arduino core for the sketch: Serial (Print's overloads), micros, millis, delay. */
const STUB_ARDUINO_H = `#ifndef STUB_ARDUINO_H
#define STUB_ARDUINO_H
#include <stdint.h>
#include <stddef.h>
#define DEC 10
#define HEX 16
class StubSerial {
 public:
  void begin(unsigned long baud);
  explicit operator bool() const;
  size_t print(const char *s);
  size_t print(char c);
  size_t print(unsigned char b, int base = DEC);
  size_t print(int n, int base = DEC);
  size_t print(unsigned int n, int base = DEC);
  size_t print(long n, int base = DEC);
  size_t print(unsigned long n, int base = DEC);
  size_t print(double x, int digits = 2);
  size_t println(void);
  size_t println(const char *s);
  size_t println(long n, int base = DEC);
  size_t println(unsigned long n, int base = DEC);
};
extern StubSerial Serial;
unsigned long micros(void);
unsigned long millis(void);
void delay(unsigned long ms);
#endif
`;

/** Host implementation of the stub: prints to stdout, runs setup() and loop() once. */
const STUB_HOST_CPP = `#include "Arduino.h"
#include <stdio.h>
#include <time.h>
StubSerial Serial;
void setup(void);
void loop(void);
void StubSerial::begin(unsigned long) {}
StubSerial::operator bool() const { return true; }
size_t StubSerial::print(const char *s) { return (size_t)printf("%s", s); }
size_t StubSerial::print(char c) { return (size_t)printf("%c", c); }
size_t StubSerial::print(unsigned char b, int base) { return print((unsigned long)b, base); }
size_t StubSerial::print(int n, int base) { return print((long)n, base); }
size_t StubSerial::print(unsigned int n, int base) { return print((unsigned long)n, base); }
size_t StubSerial::print(long n, int base) { return (size_t)(base == HEX ? printf("%lX", (unsigned long)n) : printf("%ld", n)); }
size_t StubSerial::print(unsigned long n, int base) { return (size_t)(base == HEX ? printf("%lX", n) : printf("%lu", n)); }
size_t StubSerial::print(double x, int digits) { return (size_t)printf("%.*f", digits, x); }
size_t StubSerial::println(void) { return (size_t)printf("\\n"); }
size_t StubSerial::println(const char *s) { return (size_t)printf("%s\\n", s); }
size_t StubSerial::println(long n, int base) { return print(n, base) + println(); }
size_t StubSerial::println(unsigned long n, int base) { return print(n, base) + println(); }
unsigned long micros(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (unsigned long)(t.tv_sec * 1000000L + t.tv_nsec / 1000L); }
unsigned long millis(void) { return micros() / 1000UL; }
void delay(unsigned long) {}
int main(void) { setup(); loop(); return 0; }
`;

/** Every .c under dir (recursively, as the Arduino build compiles src/), relative with '/'. */
function cSources(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...cSources(dir, rel));
    else if (e.name.endsWith('.c')) out.push(rel);
  }
  return out.sort();
}

function fnv1a(bytes: Uint8Array): number {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

describe('tinyml export --arduino', () => {
  const temp = makeTempDir('tinyml-arduino-');
  afterAll(() => temp.cleanup());
  const stubDir = join(temp.dir, 'stub');
  mkdirSync(stubDir, { recursive: true });
  writeFileSync(join(stubDir, 'Arduino.h'), STUB_ARDUINO_H);
  writeFileSync(join(stubDir, 'stub_host.cpp'), STUB_HOST_CPP);

  const compileForNano33 = (lib: string, sketch: string): void => {
    const src = join(lib, 'src');
    const cFiles = cSources(src);
    expect(cFiles.length).toBeGreaterThan(1);
    const arm = requireArmToolchain().prefix;
    const obj = join(temp.dir, 'obj');
    mkdirSync(obj, { recursive: true });
    for (const floatAbi of ['-mfloat-abi=hard', '-mfloat-abi=softfp']) {
      // hard: this project's nano33 board; softfp: what the Arduino mbed core builds with.
      const flags = [...NANO33_FLAGS.filter((f) => !f.startsWith('-mfloat-abi')), floatAbi, '-Os', ...STRICT];
      for (const f of cFiles) {
        execFileSync(`${arm}gcc`, ['-c', ...flags, '-std=gnu11', '-I', src, '-o', join(obj, `${f.replace(/\//g, '_')}.o`), join(src, f)], { stdio: 'pipe' });
      }
      execFileSync(`${arm}g++`, ['-c', '-x', 'c++', ...flags, '-std=gnu++17', '-fno-exceptions', '-fno-rtti', '-I', stubDir, '-I', src, '-o', join(obj, 'sketch.o'), sketch], {
        stdio: 'pipe',
      });
    }
  };

  /** Builds the sketch for the host with the stub core and returns what it printed. */
  const runOnHost = (lib: string, sketch: string): string => {
    const gcc = requireHostCompiler('gcc');
    const gxx = requireHostCompiler('g++');
    const src = join(lib, 'src');
    const obj = join(temp.dir, `host-${Math.random().toString(36).slice(2)}`);
    mkdirSync(obj);
    const objects: string[] = [];
    for (const f of cSources(src)) {
      const o = join(obj, `${f.replace(/\//g, '_')}.o`);
      execFileSync(gcc, ['-c', '-O2', ...STRICT, '-I', src, '-o', o, join(src, f)], { stdio: 'pipe' });
      objects.push(o);
    }
    const exe = join(obj, 'sketch');
    execFileSync(gxx, ['-O2', ...STRICT, '-x', 'c++', sketch, '-x', 'c++', join(stubDir, 'stub_host.cpp'), '-x', 'none', ...objects, '-I', stubDir, '-I', src, '-o', exe, '-lm'], {
      stdio: 'pipe',
    });
    return execFileSync(exe, { encoding: 'utf8' });
  };

  it.each([
    ['kws_ref_model', 'models/mlperf-tiny/kws_ref_model.tflite'],
    ['vww_96_int8', 'models/mlperf-tiny/vww_96_int8.tflite'],
    ['ad01_int8', 'models/mlperf-tiny/ad01_int8.tflite'],
    ['hello_world_int8', 'models/tflm-examples/hello_world_int8.tflite'],
  ])('%s: library layout, warning-free Cortex-M4 C and C++, and the sketch prints the reference outputs', { timeout: 120_000 }, async (id, rel) => {
    const out = join(temp.dir, id);
    const r = await exportArduinoLibrary(sharedPath(rel), { outDir: out });
    expect(r.dir).toBe(out);
    expect(r.libName).toBe(`tinyml_${id}`);
    expect(r.header).toBe(`tinyml_${id}.h`);
    const sketch = join(out, 'examples', id, `${id}.ino`);
    for (const f of ['library.properties', 'README.md', EXPORT_MARKER, 'src/model.c', 'src/model.h', 'src/tinyml_model.h', `src/${r.header}`]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(existsSync(sketch)).toBe(true);
    for (const k of r.compiled.generated.kernelFiles) expect(existsSync(join(out, 'src', k)), k).toBe(true);
    const props = readFileSync(join(out, 'library.properties'), 'utf8');
    for (const key of ['name', 'version', 'author', 'maintainer', 'sentence', 'paragraph', 'category', 'url', 'architectures', 'includes']) {
      expect(props).toMatch(new RegExp(`^${key}=`, 'm'));
    }
    expect(props).toContain(`name=tinyml_${id}\n`);
    expect(props).toContain(`includes=tinyml_${id}.h\n`);
    expect(props).toMatch(/^version=\d+\.\d+\.\d+$/m);
    const header = readFileSync(join(out, 'src', r.header), 'utf8');
    expect(header).toMatch(/#ifdef __cplusplus\s+extern "C" \{\s+#endif\s+#include "model\.h"\s+#ifdef __cplusplus\s+\}\s+#endif/);
    expect(readFileSync(sketch, 'utf8')).toContain(`#include <${r.header}>`);

    compileForNano33(out, sketch);

    // The sketch on the host: zero-point inputs, one inference, outputs as the interpreter has them.
    const printed = runOnHost(out, sketch);
    const { graph, prepared } = r.compiled;
    expect(printed).toContain(`${graph.name}: ${r.compiled.plan.arenaBytes}-byte arena, ${r.compiled.generated.numLayers} layers`);
    expect(printed).toMatch(/^inference: \d+ us$/m);
    const inputs = graph.inputs.map((i) => {
      const t = graph.tensors[i];
      const data = allocTensorData(t.dtype, elementCount(t.shape));
      if (t.dtype !== 'float32') (data as Int8Array).fill(t.quant?.zeroPoint[0] ?? 0);
      return data;
    });
    const expected = runGraph(prepared, inputs);
    graph.outputs.forEach((id2, k) => {
      const t = graph.tensors[id2];
      const line = new RegExp(`^output ${k} '${t.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}':(.*)$`, 'm').exec(printed);
      expect(line, printed).not.toBeNull();
      const shown = line![1].trim().split(/\s+/).filter((x) => x !== '...');
      const values = Array.from(expected[k] as ArrayLike<number>);
      expect(shown).toHaveLength(Math.min(32, values.length));
      if (t.dtype === 'float32') shown.forEach((s, j) => expect(Number(s)).toBeCloseTo(values[j], 3));
      else expect(shown.map(Number)).toEqual(values.slice(0, 32));
      if (values.length > 32) expect(line![1]).toMatch(/ \.\.\.$/);
      const bytes = new Uint8Array(expected[k].buffer, expected[k].byteOffset, expected[k].byteLength);
      const argmax = values.indexOf(Math.max(...values));
      expect(printed).toMatch(new RegExp(`argmax ${argmax}\\b.*checksum 0x${fnv1a(bytes).toString(16).toUpperCase()}$`, 'm'));
    });
  });

  it('refuses to overwrite files it did not write, or has since been edited, without --force', async () => {
    const model = sharedPath('models/tflm-examples/hello_world_int8.tflite');
    const out = join(temp.dir, 'ow');
    await exportArduinoLibrary(model, { outDir: out });
    // Its own, unchanged files: rewritten without complaint.
    await expect(exportArduinoLibrary(model, { outDir: out })).resolves.toBeDefined();
    writeFileSync(join(out, 'src', 'mine.c'), 'int x;\n');
    await expect(exportArduinoLibrary(model, { outDir: out })).rejects.toThrow(WouldOverwriteError);
    await expect(exportArduinoLibrary(model, { outDir: out })).rejects.toThrow(/files tinyml did not write \(src\/mine\.c\)/);
    await exportArduinoLibrary(model, { outDir: out, force: true });
    expect(existsSync(join(out, 'src', 'mine.c'))).toBe(true); // --force overwrites, it does not delete foreign files
    const edited = join(temp.dir, 'ow2');
    await exportArduinoLibrary(model, { outDir: edited });
    writeFileSync(join(edited, 'src', 'model.c'), '/* mine now */\n');
    await expect(exportArduinoLibrary(model, { outDir: edited })).rejects.toThrow(/tinyml files edited since they were written \(src\/model\.c\)/);
    // A folder of someone else's files.
    const foreign = join(temp.dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'hi');
    await expect(exportArduinoLibrary(model, { outDir: foreign })).rejects.toThrow(/refusing to write the Arduino library into .*foreign: it contains files tinyml did not write \(notes\.txt\); pass --force/);
  });

  it('exportCommand: needs --arduino, reports what it wrote, and has a JSON form', async () => {
    const model = sharedPath('models/tflm-examples/hello_world_int8.tflite');
    await expect(exportCommand(model, {}, bufferIO())).rejects.toThrow(InputError);
    let io = bufferIO();
    await exportCommand(model, { arduino: true, out: join(temp.dir, 'cli') }, io);
    expect(io.stdout).toContain(`exported hello_world_int8 as the Arduino library tinyml_hello_world_int8 in ${join(temp.dir, 'cli')}`);
    expect(io.stdout).toContain('example: examples/hello_world_int8/hello_world_int8.ino');
    io = bufferIO();
    await exportCommand(model, { arduino: true, out: join(temp.dir, 'cli2'), name: 'MyModel', json: true }, io);
    const j = JSON.parse(io.stdout);
    expect(j).toMatchObject({ format: 'arduino', library: 'MyModel', header: 'MyModel.h', sketch: 'examples/hello_world_int8/hello_world_int8.ino' });
    expect(j.files).toContain('src/MyModel.h');
    await expect(exportCommand(model, { arduino: true, out: join(temp.dir, 'cli3'), name: '9lives' }, bufferIO())).rejects.toThrow(/library name '9lives' must start with a letter/);
    await expect(exportCommand(join(temp.dir, 'nope.tflite'), { arduino: true, out: join(temp.dir, 'cli4') }, bufferIO())).rejects.toThrow(/model file not found/);
  });

  it('derives C- and Arduino-safe names from model file names', () => {
    expect(identifierFor('kws_ref_model')).toBe('kws_ref_model');
    expect(identifierFor('my model.v2')).toBe('my_model_v2');
    expect(identifierFor('96-vww')).toBe('model_96_vww');
    expect(identifierFor('---')).toBe('model');
  });
});
