/**
 * `rewarddance study scaling`: the reward-model scaling study in miniature (sizes x paradigms
 * x inits, context ablation, ID/OOD accuracy beside the floor, short ReFL per size, Best-of-N),
 * writing study.json and the report. A thin shell over src/eval/study.ts.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { writeReport, STUDY_FILE } from '../../eval/report/index.js';
import { readStudyProgress, runScalingStudy, studyBudget, STUDY_BUDGETS, type StudyResult } from '../../eval/study.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { action, intOption, printJson, progress } from '../run.js';

/** The shipped generator the study runs ReFL and Best-of-N with. */
export const DEFAULT_STUDY_GENERATOR = 'models/rd-gen-t2i';

export interface StudyScalingOpts {
  out: string;
  budget: string;
  generator: string;
  seed?: string;
  threads?: string;
  resume?: boolean;
  json?: boolean;
}

/** The command line as typed, for study.json. */
function commandLine(argv: readonly string[]): string {
  const args = argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['rewarddance', ...args].join(' ');
}

/**
 * Runs `study scaling`; exported for tests.
 * @example await runStudyScaling({ out: 'out/study', budget: 'tiny', generator: 'runs/gen' }, 'rewarddance study scaling ...')
 */
export async function runStudyScaling(o: StudyScalingOpts, command = commandLine(process.argv)): Promise<StudyResult> {
  const budget = studyBudget(o.budget);
  let bar: ReturnType<typeof progress> | undefined;
  try {
    return await runScalingStudy({
      out: o.out,
      budget,
      generator: o.generator,
      command,
      seed: intOption('seed', o.seed, 0),
      ...(o.threads ? { threads: intOption('threads', o.threads, 1, 1) } : {}),
      resume: o.resume === true,
      onProgress: (done, total, label) => {
        bar ??= progress(`study scaling (${budget.name})`, total, { quiet: o.json });
        bar.tick(1, { last: label.replace(/\s+/g, '-') });
      },
      onNote: (message) => process.stderr.write(`study: ${message}\n`),
    });
  } finally {
    bar?.stop();
  }
}

export interface StudyStatusOpts {
  out: string;
  report?: boolean;
  json?: boolean;
}

/**
 * `study status`: what a running or stopped study has finished, read from its .work/units.json;
 * with `report`, writes the partial study.json and its report. Exported for tests.
 * @example await studyStatus({ out: 'docs/results/study-full', json: true })
 */
export async function studyStatus(o: StudyStatusOpts, command = commandLine(process.argv)): Promise<void> {
  const p = readStudyProgress(o.out, command);
  let report: string | null = null;
  if (o.report) {
    // a finished study's study.json has the Best-of-N rows this partial one lacks: keep it
    if (p.pending.length === 0 && existsSync(join(o.out, STUDY_FILE))) {
      throw new InputError(`the study in '${o.out}' is finished and its ${STUDY_FILE} is complete; 'rewarddance report ${o.out}' rewrites its report`);
    }
    writeJsonAtomic(join(o.out, STUDY_FILE), p.study);
    report = (await writeReport(o.out)).html;
  }
  if (o.json) return printJson({ budget: p.budget.name, seed: p.seed, generator: p.generator, done: p.done, pending: p.pending, accuracy: p.study.accuracy, rl: p.study.rl, report });
  const pct = (x: number): string => `${(x * 100).toFixed(1)}`;
  const lines = [`study '${p.budget.name}' in ${o.out}: ${p.done.length} of ${p.done.length + p.pending.length} units finished${p.pending.length ? `; next: ${p.pending[0]}` : ''}`];
  for (const a of p.study.accuracy) lines.push(`  ${a.preset.padEnd(6)} ${a.paradigm.padEnd(9)} ${a.init.padEnd(10)} ${a.context.padEnd(12)} ID ${pct(a.idAccuracy)}  OOD ${pct(a.oodAccuracy)}  (floor ${pct(a.floorAccuracy)}, ${a.n} pairs)`);
  for (const r of p.study.rl) lines.push(`  ${r.preset.padEnd(6)} ReFL ${r.steps} steps: oracle ${r.oracleBefore.toFixed(3)} -> ${r.oracleAfter.toFixed(3)}, late reward std ${r.lateRewardStd.toExponential(2)}`);
  for (const rm of [...new Set(p.study.bestOfN.map((r) => r.rm))]) {
    lines.push(`  Best-of-N by ${rm}: ${p.study.bestOfN.filter((r) => r.rm === rm).map((r) => `N=${r.n} ${r.oracle.toFixed(3)}`).join(', ')}`);
  }
  if (report) lines.push(`report: ${report}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function register(program: Command): void {
  const study = program.command('study').description('reproduce the paper\'s findings in miniature');
  study
    .command('scaling')
    .description('reward-model scaling study: presets x paradigms x inits, context ablation, ID/OOD accuracy vs the floor, short ReFL per size, Best-of-N; writes study.json and report.html')
    .requiredOption('--out <dir>', 'folder for study.json, the report and (in .work/) the checkpoints')
    .option('--budget <name>', `${Object.keys(STUDY_BUDGETS).join(' | ')} (small: under 15 minutes on 2 cores; full: hours)`, 'small')
    .option('--generator <dir>', 'generator folder for ReFL and Best-of-N', DEFAULT_STUDY_GENERATOR)
    .option('--seed <n>', 'seed', '0')
    .option('--threads <n>', 'torch threads')
    .option('--resume', 'continue the study in <out>/.work (same budget, seed, generator): finished units are read back, the unit that was running starts over')
    .option('--json', 'print {file, report, seconds} when done')
    .action(
      action(async (o: StudyScalingOpts) => {
        const r = await runStudyScaling(o);
        if (o.json) return printJson({ file: r.file, report: r.report?.html ?? null, markdown: r.report?.markdown ?? null, seconds: r.seconds });
        process.stdout.write(`study (${o.budget}) finished in ${r.seconds.toFixed(0)} s: ${r.study.accuracy.length} reward models, ${r.study.rl.length} RL runs; ${r.file}\n`);
        if (r.report) process.stdout.write(`report: ${r.report.html}\n`);
      }),
    );
  study
    .command('status')
    .description('what a running or stopped study has finished (from <out>/.work/units.json); --report writes the partial study.json and report')
    .requiredOption('--out <dir>', 'the study folder given to study scaling')
    .option('--report', 'write study.json (partial, no Best-of-N rows) and report.html/.md from the finished units')
    .option('--json', 'print {budget, seed, generator, done, pending, accuracy, rl, report}')
    .action(action(async (o: StudyStatusOpts) => studyStatus(o)));
}
