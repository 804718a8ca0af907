/**
 * `rewarddance select`: the best of N candidates under a reward model, by pointwise reward
 * (Best-of-N), a round-robin tournament (win counts + Bradley-Terry) or a knockout. A thin
 * shell over select/.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { readImage } from '../../data/image.js';
import { TASKS, type Task } from '../../data/manifest.js';
import { readMediaFile } from '../../rewards/load-media.js';
import { loadRewardModel } from '../../rewards/load.js';
import { COT_MODES, type CotMode } from '../../rewards/types.js';
import { selectBest, SELECT_METHODS, type Selection, type SelectMethod } from '../../select/select.js';
import { action, intOption, printJson } from '../run.js';
import { choice } from './score.js';

interface SelectOptions {
  model: string;
  prompt: string;
  images: string[];
  method: string;
  reference?: string;
  condition?: string;
  criteria?: string;
  cot?: string;
  task?: string;
  frames?: string;
  debias?: boolean;
  concurrency?: string;
  json?: boolean;
}

/** Runs `select`; exported for tests. */
export async function runSelect(opts: SelectOptions): Promise<Selection & { files: string[]; bestFile: string }> {
  const method = choice<SelectMethod>('method', opts.method, SELECT_METHODS)!;
  const cot = choice<CotMode>('cot', opts.cot, COT_MODES);
  if (opts.images.length < 1) throw new InputError('--images needs at least one file');
  if (opts.reference && method !== 'pointwise') throw new InputError(`--reference is for --method pointwise; ${method} compares the candidates with each other`);
  const frames = opts.frames === undefined ? undefined : intOption('frames', opts.frames, 1, 1);
  const mediaOpts = frames === undefined ? {} : { frames };
  const candidates = await Promise.all(opts.images.map((f) => readMediaFile(f, mediaOpts)));
  const reference = opts.reference ? await readMediaFile(opts.reference, mediaOpts) : undefined;
  const condition = opts.condition ? await readImage(opts.condition) : undefined;
  const isVideo = candidates[0]!.kind === 'video';
  const task = choice<Task>('task', opts.task, TASKS) ?? (isVideo ? (condition ? 'i2v' : 't2v') : 't2i');
  const model = await loadRewardModel(opts.model, {
    mode: method === 'pointwise' && !reference ? 'pointwise' : 'pairwise',
    remote: opts.concurrency ? { maxConcurrency: intOption('concurrency', opts.concurrency, 16, 1) } : {},
  });
  try {
    const req = { task, prompt: opts.prompt, candidates, ...(reference ? { reference } : {}), ...(condition ? { condition } : {}), ...(opts.criteria ? { criteria: opts.criteria } : {}), ...(cot ? { cot } : {}) };
    const s = await selectBest(model, req, method, { debias: opts.debias ?? false });
    return { ...s, files: opts.images, bestFile: opts.images[s.best]! };
  } finally {
    await model.close?.();
  }
}

export function register(program: Command): void {
  program
    .command('select')
    .description('pick the best of N images or videos with a reward model (Best-of-N or a pairwise tournament)')
    .requiredOption('--model <spec>', 'checkpoint folder, "oracle", or an OpenAI-compatible URL (http://host:port/v1?model=ID)')
    .requiredOption('--prompt <text>', 'the text prompt the candidates were generated from')
    .requiredOption('--images <files...>', 'the candidates')
    .option('--method <method>', `${SELECT_METHODS.join(' | ')}`, 'pointwise')
    .option('--reference <file>', 'pointwise with a pairwise model: score every candidate against this media')
    .option('--condition <file>', 'i2v: the first-frame condition image')
    .option('--criteria <text>', 'alignment | quality | motion | consistency, or free text')
    .option('--cot <mode>', `chain of thought: ${COT_MODES.join(' | ')}`)
    .option('--task <task>', `${TASKS.join(' | ')} (default: from the media)`)
    .option('--frames <n>', 'frames per video: splits PNG strips, samples GIF/MP4')
    .option('--debias', 'pointwise with --reference: score both orders (tournaments always do)')
    .option('--concurrency <n>', 'remote models: requests in flight')
    .option('--json', 'print one JSON object')
    .action(
      action(async (opts: SelectOptions) => {
        const s = await runSelect(opts);
        const ranking = s.ranking.map((r) => ({ ...r, file: s.files[r.index]! }));
        if (opts.json) {
          const { files: _files, bestFile, ...rest } = s;
          return printJson({ ...rest, best: { index: s.best, file: bestFile }, ranking });
        }
        process.stdout.write(`best: ${s.bestFile} (${s.method}, ${s.queries} reward queries)\n`);
        for (const [k, r] of ranking.entries()) process.stdout.write(`${k + 1}. ${r.file}  ${r.score.toFixed(4)}${s.wins ? `  wins ${s.wins[r.index]}` : ''}\n`);
      }),
    );
}
