/** Plain-text tables for terminal reports: aligned columns, numbers right-aligned. */

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function renderTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

/** 1234567 → "1,234,567". */
export function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join('x')}]`;
}
