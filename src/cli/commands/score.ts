/**
 * `rewarddance score`: the reward of one or more media files under a reward model (a local
 * checkpoint, `oracle`, or a remote OpenAI-compatible URL), optionally against a reference
 * and position-debiased. A thin shell over rewards/ (load, settle, debias).
 */
import type { Command } from 'commander';
import { InputError, errorMessage } from '../../errors.js';
import { readImage } from '../../data/image.js';
import { TASKS, type Task } from '../../data/manifest.js';
import { scoreDebiasedSettled, type DebiasedResult } from '../../rewards/debias.js';
import { readMediaFile } from '../../rewards/load-media.js';
import { loadRewardModel } from '../../rewards/load.js';
import { QueryError, scoreSettled } from '../../rewards/settle.js';
import { COT_MODES, type CotMode, type RewardOutcome, type RewardQuery, type RewardResult } from '../../rewards/types.js';
import { action, intOption, printJson } from '../run.js';

interface ScoreOptions {
  model: string;
  prompt: string;
  image: string[];
  reference?: string;
  condition?: string;
  criteria?: string;
  cot?: string;
  task?: string;
  frames?: string;
  debias?: boolean;
  keepGoing?: boolean;
  concurrency?: string;
  timeout?: string;
  json?: boolean;
}

/** One line of output. */
type ScoreRow = { file: string } & (
  | { reward: number; pYesVocab: number; logitYes: number; logitNo: number; ms: number; rationale?: string; rewardForward?: number; rewardSwapped?: number; positionConsistent?: boolean }
  | { error: string }
);

/** Checks a choice flag. */
export function choice<T extends string>(flag: string, value: string | undefined, options: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(options as readonly string[]).includes(value)) throw new InputError(`--${flag} must be one of ${options.join(', ')}, got '${value}'`);
  return value as T;
}

function row(file: string, r: RewardResult | DebiasedResult): ScoreRow {
  const base = { file, reward: r.reward, pYesVocab: r.pYesVocab, logitYes: r.logitYes, logitNo: r.logitNo, ms: r.ms, ...(r.rationale !== undefined ? { rationale: r.rationale } : {}) };
  return 'consistent' in r ? { ...base, rewardForward: r.forward.reward, rewardSwapped: r.swapped.reward, positionConsistent: r.consistent } : base;
}

/** Runs `score`: exported for tests. */
export async function runScore(opts: ScoreOptions): Promise<{ rows: ScoreRow[]; failed: number }> {
  const cot = choice<CotMode>('cot', opts.cot, COT_MODES);
  const frames = opts.frames === undefined ? undefined : intOption('frames', opts.frames, 1, 1);
  const mediaOpts = frames === undefined ? {} : { frames };
  if (opts.debias && !opts.reference) throw new InputError('--debias swaps the candidate and the reference; pass --reference');
  const reference = opts.reference ? await readMediaFile(opts.reference, mediaOpts) : undefined;
  const condition = opts.condition ? await readImage(opts.condition) : undefined;
  const model = await loadRewardModel(opts.model, {
    mode: reference ? 'pairwise' : 'pointwise',
    remote: {
      ...(opts.concurrency ? { maxConcurrency: intOption('concurrency', opts.concurrency, 16, 1) } : {}),
      ...(opts.timeout ? { timeoutMs: intOption('timeout', opts.timeout, 120_000, 1) } : {}),
    },
  });
  try {
    // Read every file; with --keep-going a bad file becomes that row's error.
    const loaded = await Promise.all(
      opts.image.map(async (file): Promise<{ file: string; q?: RewardQuery; error?: string }> => {
        try {
          const candidate = await readMediaFile(file, mediaOpts);
          const task = choice<Task>('task', opts.task, TASKS) ?? (candidate.kind === 'video' ? (condition ? 'i2v' : 't2v') : 't2i');
          const q: RewardQuery = { task, prompt: opts.prompt, candidate, ...(reference ? { reference } : {}), ...(condition ? { condition } : {}), ...(opts.criteria ? { criteria: opts.criteria } : {}), ...(cot ? { cot } : {}) };
          return { file, q };
        } catch (err) {
          if (!opts.keepGoing || !(err instanceof InputError)) throw err;
          return { file, error: errorMessage(err) };
        }
      }),
    );
    const ok = loaded.filter((l): l is { file: string; q: RewardQuery } => l.q !== undefined);
    const qs = ok.map((l) => l.q);
    const outs: RewardOutcome[] = opts.debias ? await scoreDebiasedSettled(model, qs) : await scoreSettled(model, qs);
    const byFile = new Map<{ file: string }, RewardOutcome>(ok.map((l, i) => [l, outs[i]!]));
    let failed = 0;
    const rows = loaded.map((l): ScoreRow => {
      if (l.error !== undefined) {
        failed++;
        return { file: l.file, error: l.error };
      }
      const o = byFile.get(l)!;
      if (o.ok) return row(l.file, o.result);
      // Name the file rather than the query's position in the batch.
      const why = errorMessage(o.error instanceof QueryError ? o.error.cause : o.error);
      if (!opts.keepGoing) throw new InputError(`${l.file}: ${why}`, { cause: o.error });
      failed++;
      return { file: l.file, error: `${l.file}: ${why}` };
    });
    return { rows, failed };
  } finally {
    await model.close?.();
  }
}

function format(r: ScoreRow): string {
  if ('error' in r) return `error: ${r.error}`;
  const extra = r.positionConsistent === undefined ? '' : ` (orders ${r.rewardForward!.toFixed(4)} / ${r.rewardSwapped!.toFixed(4)}, ${r.positionConsistent ? 'consistent' : 'INCONSISTENT'})`;
  return `${r.file}: reward ${r.reward.toFixed(4)}, P(yes) over vocabulary ${r.pYesVocab.toFixed(4)}${extra}${r.rationale ? `\n  ${r.rationale}` : ''}`;
}

export function register(program: Command): void {
  program
    .command('score')
    .description('score images or videos with a reward model: P("yes") that the candidate is good (or better than --reference)')
    .requiredOption('--model <spec>', 'checkpoint folder, "oracle", or an OpenAI-compatible URL (http://host:port/v1?model=ID)')
    .requiredOption('--prompt <text>', 'the text prompt the media was generated from')
    .requiredOption('--image <files...>', 'media to score: PNG/JPEG/WebP, PNG strips (with --frames), GIF/MP4/WebM')
    .option('--reference <file>', 'pairwise: compare each candidate against this media')
    .option('--condition <file>', 'i2v: the first-frame condition image')
    .option('--criteria <text>', 'alignment | quality | motion | consistency, comma-separated names, or free text')
    .option('--cot <mode>', `chain of thought: ${COT_MODES.join(' | ')}`)
    .option('--task <task>', `${TASKS.join(' | ')} (default: t2i for images, t2v for videos)`)
    .option('--frames <n>', 'frames per video: splits PNG strips, samples GIF/MP4')
    .option('--debias', 'score both orders and average (needs --reference)')
    .option('--keep-going', 'report per-file errors instead of stopping at the first (exit code 1 if any failed)')
    .option('--concurrency <n>', 'remote models: requests in flight')
    .option('--timeout <ms>', 'remote models: per-request timeout')
    .option('--json', 'print JSON: one object, or an array for several files')
    .action(
      action(async (opts: ScoreOptions) => {
        const { rows, failed } = await runScore(opts);
        if (opts.json) printJson(rows.length === 1 ? rows[0] : rows);
        else process.stdout.write(rows.map(format).join('\n') + '\n');
        if (failed > 0) {
          process.stderr.write(`error: ${failed} of ${rows.length} failed\n`);
          process.exitCode = 1;
        }
      }),
    );
}
