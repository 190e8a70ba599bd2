/** `--ram-budget BYTES|min` of build, deploy and the bench, and the lines that report the RAM plan. */
import { InputError } from '../errors.js';
import type { RamBudget, RamReport } from '../plan/ram-budget.js';
import { num } from '../text/table.js';

export const RAM_BUDGET_HELP = "bytes the arena must fit in (in-place layers, then op reordering, until it does), or 'min'; default: the smallest arena within 10% extra instructions";

/** --ram-budget: a whole number of bytes (`16384`, `16_384` or `16,384`), or `min` for the smallest arena. */
export function parseRamBudget(value: string | undefined): RamBudget | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().replace(/[_,]/g, '');
  if (text === 'min') return 'min';
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InputError(`--ram-budget must be a positive number of bytes (e.g. 16384) or 'min' (the smallest arena the planner reaches); got '${value}'`);
  return n;
}

/** One line: the arena, the op-order lower bound, and what each technique saved. */
export function ramSummary(ram: RamReport): string {
  const parts = ram.techniques.map((t) => (t.applied ? `${t.technique} saved ${num(t.savedBytes)} B` : `${t.technique} not used`));
  const budget = ram.budget === undefined ? 'no budget: techniques within 10% extra instructions' : ram.budget === 'min' ? 'budget: min' : `budget ${num(ram.budget)} B`;
  return (
    `arena ${num(ram.arenaBytes)} B (op-order lower bound ${num(ram.lowerBound)} B, plain plan ${num(ram.plainArenaBytes)} B; ${parts.join(', ')}; ` +
    `modelled extra instructions ${(100 * ram.extraInstructionShare).toFixed(1)}% of MACs/2; ${budget})`
  );
}
