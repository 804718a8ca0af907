/**
 * `rewarddance eval bon`: does Best-of-N with a reward model beat one sample, judged by the
 * oracle? N samples per held-out world prompt from a generator, one picked per prompt by each
 * selector (pairwise knockout or round robin, or pointwise P(yes)), against N = 1 (the first
 * sample, and the mean over all N) and the oracle's own pick (the ceiling), with Wilson and
 * paired-bootstrap 95% intervals. A thin shell over src/select/best-of-n-oracle.ts.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { DEFAULT_GUIDANCE, loadGenerator } from '../../models/generator/index.js';
import { LocalVlmRewardModel } from '../../rewards/generative.js';
import { bestOfNOracle, sampleCandidates, type BonOracleReport, type BonSelector } from '../../select/best-of-n-oracle.js';
import { SELECT_METHODS, type SelectMethod } from '../../select/select.js';
import { setNumThreads } from '../../tensor/index.js';
import { heldOutPrompts } from '../../train/generator/evaluate.js';
import { action, intOption, printJson, progress } from '../run.js';

export interface EvalBonOpts {
  generator: string;
  reward: string;
  prompts?: string;
  n?: string;
  methods?: string;
  steps?: string;
  guidance?: string;
  seed?: string;
  threads?: string;
  json?: boolean;
}

/** Sampler steps of the candidates (as the RL references and held-out evaluation use). */
const BON_STEPS = 16;

/**
 * Runs `eval bon`; exported for tests.
 * @example await runEvalBon({ generator: 'models/rd-gen-t2i', reward: 'models/rd-rm-tiny', prompts: '128', n: '16', json: true })
 */
export async function runEvalBon(o: EvalBonOpts): Promise<BonOracleReport & { readonly generator: string; readonly reward: string; readonly steps: number; readonly guidance: number; readonly seed: number }> {
  const methods = (o.methods ?? 'knockout,pointwise').split(',').map((m) => m.trim());
  for (const m of methods) if (!(SELECT_METHODS as readonly string[]).includes(m)) throw new InputError(`--methods: unknown method '${m}' (known: ${SELECT_METHODS.join(', ')})`);
  const guidance = o.guidance === undefined ? DEFAULT_GUIDANCE : Number(o.guidance);
  if (!Number.isFinite(guidance) || guidance < 0) throw new InputError(`--guidance must be a number >= 0, got '${o.guidance}'`);
  const prompts = intOption('prompts', o.prompts, 128, 1);
  const n = intOption('n', o.n, 16, 2);
  const steps = intOption('steps', o.steps, BON_STEPS, 1);
  const seed = intOption('seed', o.seed, 100);
  setNumThreads(intOption('threads', o.threads, 1, 1));
  const rm = LocalVlmRewardModel.load(o.reward);
  const metas = heldOutPrompts(prompts);
  const generator = loadGenerator(o.generator);
  const sampling = progress('eval bon: sampling', prompts, { quiet: o.json });
  let candidates;
  try {
    candidates = sampleCandidates(generator, metas, n, { steps, guidance, seed }, () => sampling.tick(1));
  } finally {
    sampling.stop();
    generator.dispose();
  }
  // A pairwise model trained with pointwise questions (`rm train --mix pointwise`) also reads one image: the same context without the reference.
  const pointwise = rm.mode === 'pointwise' ? rm : new LocalVlmRewardModel(`${rm.id}:pointwise`, rm.scorer.model, 'pointwise', { ...rm.scorer.context, reference: false, cot: 'off' });
  const selectors: BonSelector[] = methods.map((m) => {
    const method = m as SelectMethod;
    if (method === 'pointwise') return { label: `${rm.id} pointwise P(yes)`, model: pointwise, method };
    if (rm.mode !== 'pairwise') throw new InputError(`--methods ${method} needs a pairwise reward model; ${o.reward} is pointwise (use --methods pointwise)`);
    return { label: `${rm.id} pairwise ${method}`, model: rm, method };
  });
  const selecting = progress('eval bon: selecting', prompts, { quiet: o.json });
  try {
    const r = await bestOfNOracle(metas, candidates, selectors, { onPrompt: () => selecting.tick(1) });
    return { ...r, generator: o.generator, reward: o.reward, steps, guidance, seed };
  } finally {
    selecting.stop();
    rm.close();
  }
}

const f = (x: number): string => x.toFixed(3);

export function registerEvalBon(ev: Command): void {
  ev.command('bon')
    .description('Best-of-N with a reward model vs one sample, judged by the oracle on held-out world prompts (95% intervals)')
    .requiredOption('--generator <dir>', 'generator checkpoint folder (e.g. models/rd-gen-t2i)')
    .requiredOption('--reward <dir>', 'reward model checkpoint folder (e.g. models/rd-rm-tiny)')
    .option('--prompts <n>', 'held-out world prompts', '128')
    .option('--n <n>', 'samples per prompt', '16')
    .option('--methods <list>', `selectors, comma-separated: ${SELECT_METHODS.join(', ')} (pointwise reads a pairwise model's pointwise question)`, 'knockout,pointwise')
    .option('--steps <n>', 'sampler steps', String(BON_STEPS))
    .option('--guidance <x>', 'classifier-free guidance', String(DEFAULT_GUIDANCE))
    .option('--seed <n>', 'sampling seed (prompt i uses seed + i)', '100')
    .option('--threads <n>', 'torch threads', '1')
    .option('--json', 'print {prompts, n, first, meanOfN, ceiling, arms: [{label, picked, vsFirst, vsMean, gradedVsMean, picks, queries, ms}], byTag}')
    .action(
      action(async (o: EvalBonOpts) => {
        const r = await runEvalBon(o);
        if (o.json) return printJson(r);
        const lines = [
          `${r.prompts} held-out prompts, N = ${r.n}, ${r.generator} (${r.steps} steps, guidance ${r.guidance}), reward ${r.reward}`,
          `N = 1, first sample:      ${f(r.first.score)} [${f(r.first.lo)}, ${f(r.first.hi)}] (${r.first.k}/${r.first.n})`,
          `N = 1, mean of ${r.n} samples: ${f(r.meanOfN.mean)} [${f(r.meanOfN.lo)}, ${f(r.meanOfN.hi)}]`,
          `oracle pick (ceiling):    ${f(r.ceiling.score)} [${f(r.ceiling.lo)}, ${f(r.ceiling.hi)}] (${r.ceiling.k}/${r.ceiling.n})`,
          ...r.arms.map((a) => `${a.label}: ${f(a.picked.score)} [${f(a.picked.lo)}, ${f(a.picked.hi)}] (${a.picked.k}/${a.picked.n}); gain vs mean of N ${f(a.vsMean.mean)} [${f(a.vsMean.lo)}, ${f(a.vsMean.hi)}], graded ${f(a.gradedVsMean.mean)} [${f(a.gradedVsMean.lo)}, ${f(a.gradedVsMean.hi)}]; ${a.queries} queries`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
