/**
 * `tinyml deploy MODEL --board B`: build, boot (QEMU) or connect (serial), check outputs
 * against the reference interpreter on random inputs, measure latency, print a report.
 */
import { InputError, MismatchError } from '../../errors.js';
import type { CheckResult } from '../../deploy/verify.js';
import { build } from '../../api/build.js';
import { startSession } from '../../api/session.js';
import { openEembcTarget, sessionOptionsFromCli, targetDescription, type BoardLinkFlags } from '../../deploy/target-session.js';
import type { CliIO } from '../io.js';
import { num, renderTable } from '../../text/table.js';
import { buildOptionsFromCli, sizeRows } from './build.js';
import type { BuiltFirmware } from '../../deploy/firmware.js';
import { eembcReport } from '../../deploy/verify-eembc.js';
import { ramSummary } from '../ram-budget.js';

export interface DeployOptions extends BoardLinkFlags {
  board: string;
  out?: string;
  optimize?: string;
  os?: boolean;
  force?: boolean;
  check?: string;
  json?: boolean;
  protocol?: string;
  ramBudget?: string;
}

const DEFAULT_CHECK_CASES = 3;

/**
 * `--check N`: how many random inputs to compare with the reference interpreter. 0 skips the
 * check (a deploy for timing only), which the report then states instead of a check result.
 */
export function parseCheck(check: string | undefined): number {
  if (check === undefined) return DEFAULT_CHECK_CASES;
  const text = check.trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new InputError(`--check must be a positive integer (random inputs compared with the reference interpreter), or 0 to skip the check; got '${check}'`);
  }
  return n;
}

const NOT_CHECKED_NOTE = '--check 0: outputs NOT compared with the reference interpreter';

export async function deployCommand(modelPath: string, opts: DeployOptions, io: CliIO): Promise<void> {
  const cases = parseCheck(opts.check);
  const out = await build(modelPath, buildOptionsFromCli(opts));
  const built = out.firmware;
  const { build: b, compiled, board } = built;
  if (opts.protocol === 'eembc') {
    await deployEembc(built, cases, opts, io);
    return;
  }
  if (!opts.json) io.err(`built ${b.elf}; starting ${targetDescription(board, opts.port)}`);
  const session = await startSession(out, sessionOptionsFromCli(opts, opts.json ? undefined : (l) => io.err(l)));
  try {
    const check = cases > 0 ? await session.check(cases) : undefined;
    const latency = await session.latency();
    const failed = check && check.matched !== check.cases ? checkFailure(check) : undefined;
    const report = {
      model: compiled.graph.name,
      board: board.name,
      core: board.core,
      optimize: compiled.optimize,
      opt: b.opt,
      flashBytes: b.flashBytes,
      ramBytes: b.ramBytes,
      arenaBytes: compiled.plan.arenaBytes,
      arenaLowerBound: compiled.plan.lowerBound,
      ram: compiled.ram,
      sections: b.sections,
      latency: { unit: latency.unit, perInference: latency.perInference, ms: latency.ms, clockHz: board.clockHz, runs: latency.runs },
      // No check object at all when nothing was checked: a zero-case "check" would read as a pass.
      ...(check
        ? {
            check: {
              cases: check.cases,
              matched: check.matched,
              mismatches: check.mismatches,
              ...(check.floatTolerance !== undefined ? { floatTolerance: check.floatTolerance, floatError: check.floatError } : {}),
            },
          }
        : {}),
      elf: b.elf,
      // A failed check is the command's error: in the one JSON document a script reads.
      ...(failed ? { error: { code: failed.code, message: failed.message } } : {}),
    };
    if (opts.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`${report.model} on ${board.name} (${board.core}, optimized for ${compiled.optimize}, ${b.opt})`);
      io.out('');
      io.out(
        renderTable(
          [{ header: 'measure' }, { header: 'value', align: 'right' }, { header: 'note' }],
          [
            [`latency (${latency.unit})`, num(latency.perInference), `per inference, median of ${latency.runs.length} after 1 warm-up`],
            ['latency (ms)', latency.ms.toFixed(3), `at ${num(board.clockHz / 1e6)} MHz${latency.unit === 'instructions' ? ', one instruction per cycle' : ''}`],
            check ? ['check', `${check.matched}/${check.cases}`, checkNote(check)] : ['check', 'not checked', NOT_CHECKED_NOTE],
            ...sizeRows(b, compiled.plan.arenaBytes),
          ],
        ),
      );
      io.out(ramSummary(compiled.ram));
    }
    if (!check) io.err(`warning: not checked: ${NOT_CHECKED_NOTE}`);
    if (failed) throw failed;
  } finally {
    await session.close();
  }
}

/** What the check compared: bytes, or for float outputs the error relative to the output range. */
function checkNote(check: CheckResult): string {
  if (check.floatTolerance === undefined) return 'random inputs bit-exact with the reference interpreter';
  return `random inputs vs the reference interpreter: float outputs within ${check.floatTolerance} of their range (largest error ${(check.floatError ?? 0).toExponential(1)})`;
}

function checkFailure(check: CheckResult): MismatchError {
  const m = check.mismatches[0];
  const where = m.element !== undefined ? `element ${m.element}` : `byte ${m.byte}`;
  const tolerance = m.element !== undefined ? ` (beyond ${check.floatTolerance} of the output's range)` : '';
  return new MismatchError(`${check.cases - check.matched} of ${check.cases} cases differ from the reference interpreter (first: case ${m.case}, output ${m.output}, ${where}: expected ${m.expected}, got ${m.got})${tolerance}`);
}

/** deploy --protocol eembc: the MLPerf Tiny / EnergyRunner DUT firmware, driven the way the runner does. */
async function deployEembc(built: BuiltFirmware, cases: number, opts: DeployOptions, io: CliIO): Promise<void> {
  const { build, compiled, board } = built;
  const target = await openEembcTarget(board, build.elf, sessionOptionsFromCli(opts, opts.json ? undefined : (l) => io.err(l)));
  try {
    const r = await eembcReport(target.client, compiled.prepared, { cases });
    const check = cases > 0 ? r.check : undefined;
    const failed = check && check.matched !== check.cases ? new MismatchError(`${check.cases - check.matched} of ${check.cases} EEMBC accuracy-mode cases differ from the reference interpreter`) : undefined;
    const report = {
      model: compiled.graph.name,
      board: board.name,
      protocol: 'eembc',
      name: r.name,
      profile: r.profile,
      flashBytes: build.flashBytes,
      ramBytes: build.ramBytes,
      arenaBytes: compiled.plan.arenaBytes,
      latency: { unit: 'us', perInference: r.latency.perInferenceUs, ms: r.latency.ms, runs: r.latency.runs, warmups: r.latency.warmups },
      ...(check ? { check } : {}),
      ...(failed ? { error: { code: failed.code, message: failed.message } } : {}),
    };
    if (opts.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`${report.model} on ${board.name}, EEMBC DUT protocol (${r.name}, ${r.profile.model})`);
      io.out(
        renderTable(
          [{ header: 'measure' }, { header: 'value', align: 'right' }, { header: 'note' }],
          [
            ['latency (ms)', r.latency.ms.toFixed(3), `m-lap-us stamps, ${r.latency.runs} runs after ${r.latency.warmups} warm-up`],
            check ? ['check', `${check.matched}/${check.cases}`, 'accuracy mode, bit-exact with the reference interpreter'] : ['check', 'not checked', NOT_CHECKED_NOTE],
            ...sizeRows(build, compiled.plan.arenaBytes),
          ],
        ),
      );
    }
    if (!check) io.err(`warning: not checked: ${NOT_CHECKED_NOTE}`);
    if (failed) throw failed;
  } finally {
    await target.close();
  }
}
