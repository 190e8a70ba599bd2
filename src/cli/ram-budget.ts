/** `--ram-budget BYTES|min` of build, deploy and the bench, and the lines that report the RAM plan. */
import type { RamReport } from '../codegen/ram-budget.js';
export { parseRamBudget } from '../codegen/ram-budget.js';
import { num } from '../text/table.js';

export const RAM_BUDGET_HELP = "bytes the arena must fit in (in-place layers, then op reordering, then row-window convolutions, then pointwise -> depthwise pairs row by row, until it does), or 'min'; default: the smallest arena within 10% extra instructions";


/** One line: the arena, the op-order lower bound, and what each technique saved. */
export function ramSummary(ram: RamReport): string {
  const parts = ram.techniques.map((t) => (t.applied ? `${t.technique} saved ${num(t.savedBytes)} B` : `${t.technique} not used`));
  const budget = ram.budget === undefined ? 'no budget: techniques within 10% extra instructions' : ram.budget === 'min' ? 'budget: min' : `budget ${num(ram.budget)} B`;
  return (
    `arena ${num(ram.arenaBytes)} B (op-order lower bound ${num(ram.lowerBound)} B, plain plan ${num(ram.plainArenaBytes)} B; ${parts.join(', ')}; ` +
    `modelled extra instructions ${(100 * ram.extraInstructionShare).toFixed(1)}% of MACs/2; ${budget})`
  );
}
