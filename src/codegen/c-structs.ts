/**
 * Checks the params structs generated code initializes against the C structs the kernel headers
 * declare. The field names are written twice, as the TS object keys of an op's `emitC` and as
 * the members in firmware/kernels/*.h, and a designated initializer that leaves a member out
 * compiles and silently sets it to zero; so every initializer must name every member (a
 * positional one must give as many values), or generation stops naming what is missing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE_DIR } from './templates.js';

/** Members (name and type) of every `typedef struct { ... } name;` in the headers under `dir` (recursively). */
export function readHeaderStructFields(dir: string): Map<string, StructField[]> {
  const structs = new Map<string, StructField[]>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const [k, v] of readHeaderStructFields(path)) structs.set(k, v);
    } else if (entry.name.endsWith('.h')) {
      for (const [k, v] of parseStructFields(readFileSync(path, 'utf8'))) structs.set(k, v);
    }
  }
  return structs;
}

/** Member names of every `typedef struct { ... } name;` in the headers under `dir` (recursively). */
export function readHeaderStructs(dir: string): Map<string, string[]> {
  return memberNames(readHeaderStructFields(dir));
}

function stripComments(c: string): string {
  return c.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

export interface StructField {
  name: string;
  /** The member's type as written, without pointer stars (`int32_t`, `tinyml_conv_geometry`). */
  type: string;
}

/** `typedef struct [tag] { members } name;` with members `type a;`, `type *a;`, `type a[N], b;`. */
export function parseStructs(header: string): Map<string, string[]> {
  return memberNames(parseStructFields(header));
}

function memberNames(structs: Map<string, StructField[]>): Map<string, string[]> {
  return new Map([...structs].map(([k, v]) => [k, v.map((f) => f.name)]));
}

/** As parseStructs, with each member's type. */
export function parseStructFields(header: string): Map<string, StructField[]> {
  const text = stripComments(header);
  const structs = new Map<string, StructField[]>();
  const re = /typedef\s+struct\s*\w*\s*\{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const open = m.index + m[0].length - 1;
    const close = matchingBrace(text, open);
    const after = /^\s*(\w+)\s*;/.exec(text.slice(close + 1));
    if (!after) continue;
    const members: StructField[] = [];
    for (const decl of text.slice(open + 1, close).split(';')) {
      if (!decl.trim()) continue;
      // The first declarator follows the type; further ones follow commas.
      const declarators = decl.split(',');
      const type = /(\w+)\s*\**\s*\w+\s*(\[[^\]]*\]\s*)*$/.exec(declarators[0].trim())?.[1] ?? '';
      for (const d of declarators) {
        const name = /(\w+)\s*(\[[^\]]*\]\s*)*$/.exec(d.trim());
        if (name) members.push({ name: name[1], type });
      }
    }
    structs.set(after[1], members);
  }
  return structs;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  throw new Error(`unbalanced braces after offset ${open}`);
}

/** Top-level comma-separated items of an initializer body (a trailing comma adds none). */
function topLevelItems(body: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '{' || ch === '(' || ch === '[') depth++;
    else if (ch === '}' || ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      items.push(body.slice(start, i));
      start = i + 1;
    }
  }
  items.push(body.slice(start));
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

export interface StructProblem {
  /** The initialized variable and its struct type. */
  variable: string;
  type: string;
  /** Members the initializer leaves out (designated), or a count mismatch (positional). */
  missing: string[];
  detail: string;
}

/**
 * Every `static const <struct type> <name> = { ... };` in `decls` whose type `structs` knows,
 * checked to set every member. Types the headers do not declare (arrays, scalars) are ignored.
 * With `fields` (the members' types), a member that is itself a known struct initialized with
 * braces (`.geo = {...}`) is checked the same way, its missing members named `geo.batches`.
 */
export function checkStructInitializers(
  decls: string,
  structs: ReadonlyMap<string, readonly string[]>,
  fields?: ReadonlyMap<string, readonly StructField[]>,
): StructProblem[] {
  const problems: StructProblem[] = [];
  const text = stripComments(decls);
  const re = /static\s+const\s+(\w+)\s+(\w+)\s*=\s*\{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!structs.has(m[1])) continue;
    const open = m.index + m[0].length - 1;
    const problem = checkInitializer(m[1], text.slice(open + 1, matchingBrace(text, open)), structs, fields, '');
    if (problem) problems.push({ variable: m[2], type: m[1], ...problem });
  }
  return problems;
}

function checkInitializer(
  type: string,
  body: string,
  structs: ReadonlyMap<string, readonly string[]>,
  fields: ReadonlyMap<string, readonly StructField[]> | undefined,
  path: string,
): { missing: string[]; detail: string } | undefined {
  const members = structs.get(type)!;
  const items = topLevelItems(body);
  const designated = items.map((it) => /^\.(\w+)\s*=\s*([\s\S]*)$/.exec(it)).filter((d): d is RegExpExecArray => d !== null);
  if (designated.length === items.length) {
    const names = designated.map((d) => d[1]);
    const missing = members.filter((f) => !names.includes(f)).map((f) => path + f);
    if (missing.length) return { missing, detail: `leaves out ${missing.join(', ')}` };
    for (const [, name, value] of designated) {
      const memberType = fields?.get(type)?.find((f) => f.name === name)?.type;
      const v = value.trim();
      if (memberType && structs.has(memberType) && v.startsWith('{') && v.endsWith('}')) {
        const inner = checkInitializer(memberType, v.slice(1, -1), structs, fields, `${path}${name}.`);
        if (inner) return inner;
      }
    }
  } else if (items.length !== members.length) {
    return { missing: members.slice(items.length).map((f) => path + f), detail: `gives ${items.length} values for ${members.length} members${path ? ` of ${path.slice(0, -1)}` : ''}` };
  }
  return undefined;
}

let kernelStructs: { names: Map<string, string[]>; fields: Map<string, StructField[]> } | undefined;

/** Throws when a generated params struct initializer does not set every member of its C struct. */
export function assertStructsComplete(decls: string, where: string): void {
  if (!kernelStructs) {
    const fields = readHeaderStructFields(join(FIRMWARE_DIR, 'kernels'));
    kernelStructs = { names: memberNames(fields), fields };
  }
  const problems = checkStructInitializers(decls, kernelStructs.names, kernelStructs.fields);
  if (problems.length) {
    const p = problems[0];
    // A tinyml bug, not a user error: the TS emitter and the kernel header disagree.
    throw new Error(
      `tinyml bug: ${where}: the initializer of ${p.variable} (${p.type}) ${p.detail}; C would set them to zero. ` +
        `The op's emitC must set every member its kernel header declares.`,
    );
  }
}
