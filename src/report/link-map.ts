/**
 * Bytes an object file puts in a section family, read from GNU ld's map file (-Map). The report
 * needs the model's constants as linked, not as tinyml's graph holds them: the DSP kernels
 * pre-expand weights (int8 to int16) and add requantization tables, so only the map says how much
 * of .rodata the model really takes.
 */

/**
 * Sum of the sizes of the input sections named `prefix` or `prefix.*` that `objectSuffix` (e.g.
 * 'model/model.o') contributes to the link. Discarded sections do not count.
 */
export function mapSectionBytes(mapText: string, prefix: string, objectSuffix: string): number {
  let total = 0;
  for (const [name, size] of mapSections(mapText, objectSuffix)) if (name === prefix || name.startsWith(`${prefix}.`)) total += size;
  return total;
}

/**
 * Every input section `objectSuffix` contributes to the link, as [name, size]. Discarded sections
 * (listed before "Linker script and memory map") are left out.
 */
export function mapSections(mapText: string, objectSuffix: string): [string, number][] {
  const start = mapText.indexOf('Linker script and memory map');
  const lines = (start >= 0 ? mapText.slice(start) : mapText).split('\n');
  const out: [string, number][] = [];
  let pending: string | undefined;
  for (const raw of lines) {
    // An input section line: " .name  0xADDR  0xSIZE  file"; a long name sits alone on its line
    // and the address, size and file follow on the next.
    const full = /^ (\.\S+)\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)\s+(\S.*)$/.exec(raw);
    const cont = /^\s{2,}0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)\s+(\S.*)$/.exec(raw);
    const alone = /^ (\.\S+)\s*$/.exec(raw);
    let name: string | undefined;
    let size = 0;
    let file = '';
    if (full) [name, size, file] = [full[1], parseInt(full[2], 16), full[3].trim()];
    else if (cont && pending) [name, size, file] = [pending, parseInt(cont[1], 16), cont[2].trim()];
    pending = alone ? alone[1] : undefined;
    if (name !== undefined && (file === objectSuffix || file.endsWith(`/${objectSuffix}`))) out.push([name, size]);
  }
  return out;
}

export interface ModelFlashBreakdown {
  /** Weight arrays as linked (packed, int8, or pre-expanded int16), the graph's constant tensors included. */
  weights: number;
  /** Biases and requantization records (multipliers, shifts, per-channel tables). */
  biasesAndScales: number;
  /** The model's other read-only data (params structs, tensor tables, strings). */
  other: number;
}

/**
 * model.o's read-only data by role, from the names generation gives its arrays: `<layer>_w*`,
 * `tensor<id>_*` and clustered layers' `<layer>_lut_idx` / `_lut_table` weights; `_bias`, `_q`, `_rq`, `_mult`, `_shift`, `_cc`, `_corr` biases and
 * requantization (clustered layers: `_lut_bias`, `_lut_rq`, `_lut_rqp`). (Constant tensors are counted as weights: portable int8 layers read their
 * biases from them too; so are the DSP sub-byte conv and depthwise layers' records, which sit in
 * their `_w*` weight stream.)
 */
export function modelFlashBreakdown(mapText: string): ModelFlashBreakdown {
  const b: ModelFlashBreakdown = { weights: 0, biasesAndScales: 0, other: 0 };
  for (const [name, size] of mapSections(mapText, 'model/model.o')) {
    const m = /^\.rodata\.(.+)$/.exec(name);
    if (!m) continue;
    const sym = m[1];
    // Clustered layers: packed indices and table(s) are the weights; their DSP bias' and rq records.
    if (/^l\d+_w\d*$/.test(sym) || /^tensor\d+_/.test(sym) || /^l\d+_lut_(idx|table)$/.test(sym)) b.weights += size;
    else if (/^l\d+_(bias|q|rq|mult|shift|cc|corr)$/.test(sym) || /^l\d+_lut_(bias|rq|rqp)$/.test(sym)) b.biasesAndScales += size;
    else b.other += size;
  }
  return b;
}
