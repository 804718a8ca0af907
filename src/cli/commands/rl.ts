/**
 * `rewarddance rl --algo grpo|refl`: fine-tune a generator against a reward model, with a
 * progress bar, per-step diagnostics in <out>/metrics.jsonl, resume after a kill, and a
 * final summary. GRPO works with any reward (oracle, URL, checkpoint); ReFL needs a reward
 * differentiable in the pixels (train/refl/types.ts): a local VLM checkpoint folder
 * (FrozenVlmReward). With either algorithm a pairwise checkpoint scores each sample against
 * its prompt's reference, chosen by a Best-of-N pairwise tournament of the pretrained
 * generator's samples (--refs N of them).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { combinedModel, validateWeights } from '../../rewards/combine.js';
import { LocalVlmRewardModel } from '../../rewards/generative.js';
import { loadRewardModel, ORACLE_SPEC } from '../../rewards/load.js';
import { parseWorldPrompt } from '../../rewards/oracle.js';
import { trainGrpo, type GrpoStepMetrics } from '../../train/grpo/index.js';
import type { RlRunBase } from '../../train/grpo/run-loop.js';
import { CombinedReward, FrozenVlmReward, MAX_REFERENCE_CANDIDATES, REWARD_ORDERS, trainRefl, type ReflStepMetrics, type RewardOrders } from '../../train/refl/index.js';
import { readGeneval } from '../../world/geneval.js';
import type { RewardModel } from '../../rewards/types.js';
import type { GenevalMetadata } from '../../world/types.js';
import { action, intOption, printJson, progress } from '../run.js';

export const RL_ALGOS = ['grpo', 'refl'] as const;

interface RlOpts {
  algo: string;
  generator: string;
  /** One spec, or several (a weighted combination; the CLI's --reward may be repeated). */
  reward?: string | readonly string[];
  rewardWeights?: string;
  prompts: string;
  steps: string;
  out: string;
  group?: string;
  promptsPerStep?: string;
  sampleSteps?: string;
  lr?: string;
  beta?: string;
  refs?: string;
  anchor?: string;
  stopMin?: string;
  gradSteps?: string;
  objective?: string;
  rewardOrders?: string;
  evalEvery?: string;
  evalSamples?: string;
  threads?: string;
  seed?: string;
  resume?: boolean;
  json?: boolean;
}

/** Prompts from GenEval JSONL (metadata per line) or a text file of world prompts (one a line). */
export function readPromptFile(file: string): GenevalMetadata[] {
  if (file.endsWith('.jsonl')) return readGeneval(file);
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new InputError(`${file}: no prompts`);
  return lines.map((l) => parseWorldPrompt(l));
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new InputError(`--${name} must be a number, got '${v}'`);
  return x;
}

/** The reward specs and their weights (--reward, repeatable; --reward-weights, default equal). */
export function rewardParts(o: Pick<RlOpts, 'reward' | 'rewardWeights'>): { specs: string[]; weights: number[] } {
  const specs = (o.reward === undefined ? [] : typeof o.reward === 'string' ? [o.reward] : [...o.reward]).map((s) => s.trim());
  if (specs.length === 0 || specs.some((s) => s === '')) throw new InputError("--reward is required: 'oracle', an http(s):// URL or a checkpoint folder; repeat it to combine several");
  if (o.rewardWeights === undefined) return { specs, weights: specs.map(() => 1) };
  const weights = o.rewardWeights.split(',').map((w) => Number(w.trim()));
  if (weights.length !== specs.length) throw new InputError(`--reward-weights gives ${weights.length} weight(s) for ${specs.length} --reward model(s); give one per --reward, in order (e.g. --reward-weights 0.7,0.3)`);
  try {
    validateWeights(weights);
  } catch (e) {
    throw new InputError(`--reward-weights '${o.rewardWeights}': ${(e as Error).message.replace(/^combine: /u, '')}`);
  }
  return { specs, weights };
}

/** The specs as a message names them: 'a' is, 'a' + 'b' are. */
function named(specs: readonly string[]): string {
  return `'${specs.join("' + '")}' ${specs.length > 1 ? 'are' : 'is'}`;
}

/** The last step's metrics of either algorithm. */
export type RlStepMetrics = GrpoStepMetrics | ReflStepMetrics;

/**
 * ReFL's reward: a local VLM checkpoint folder. Remote models and the oracle give no
 * gradients, so they are refused with a pointer to GRPO.
 */
async function reflReward(spec: string): Promise<LocalVlmRewardModel> {
  const s = spec.trim();
  const grpo = 'Use --algo grpo, which works with any reward.';
  if (/^https?:\/\//iu.test(s)) throw new InputError(`--algo refl needs a reward differentiable in the pixels; a remote model (${s}) returns numbers, not gradients. ${grpo}`);
  if (s === ORACLE_SPEC) throw new InputError(`--algo refl needs a reward differentiable in the pixels; the oracle is a program that reads the image, not a differentiable model. ${grpo}`);
  if (!existsSync(s) || !statSync(s).isDirectory()) throw new InputError(`--algo refl needs a local reward-model checkpoint folder (config.json + model.safetensors), got '${spec}'. ${grpo}`);
  const rm = await loadRewardModel(s);
  if (!(rm instanceof LocalVlmRewardModel)) {
    await rm.close?.();
    throw new InputError(`--algo refl: '${spec}' is not a local VLM reward checkpoint. ${grpo}`);
  }
  return rm;
}

/** Runs `rl`; exported for tests. */
export async function runRl(o: RlOpts): Promise<RlStepMetrics | null> {
  if (!(RL_ALGOS as readonly string[]).includes(o.algo)) throw new InputError(`--algo must be one of ${RL_ALGOS.join(', ')}, got '${o.algo}'`);
  const refl = o.algo === 'refl';
  if (refl && o.beta !== undefined) throw new InputError('--beta (KL to the pretrained model) is a GRPO option; ReFL is anchored by --anchor (flow-matching loss weight on world samples)');
  if (!refl && o.anchor !== undefined) throw new InputError('--anchor is a ReFL option (--algo refl)');
  if (!refl && o.stopMin !== undefined) throw new InputError('--stop-min is a ReFL option (--algo refl)');
  if (!refl && o.gradSteps !== undefined) throw new InputError('--grad-steps is a ReFL option (--algo refl)');
  if (!refl && o.objective !== undefined) throw new InputError('--objective is a ReFL option (--algo refl)');
  if (o.objective !== undefined && o.objective !== 'p' && o.objective !== 'logp') throw new InputError(`--objective must be 'p' or 'logp', got '${o.objective}'`);
  if (!refl && o.rewardOrders !== undefined) throw new InputError('--reward-orders is a ReFL option (--algo refl)');
  if (o.rewardOrders !== undefined && !(REWARD_ORDERS as readonly string[]).includes(o.rewardOrders)) throw new InputError(`--reward-orders must be one of ${REWARD_ORDERS.join(', ')}, got '${o.rewardOrders}'`);
  const steps = intOption('steps', o.steps, 1, 1);
  const prompts = readPromptFile(o.prompts);
  const config: Record<string, unknown> = {};
  const set = (k: string, v: number | undefined): void => {
    if (v !== undefined) config[k] = v;
  };
  set('groupSize', o.group === undefined ? undefined : intOption('group', o.group, 2, refl ? 1 : 2));
  set('promptsPerStep', o.promptsPerStep === undefined ? undefined : intOption('prompts-per-step', o.promptsPerStep, 1, 1));
  set('sampleSteps', o.sampleSteps === undefined ? undefined : intOption('sample-steps', o.sampleSteps, 1, 1));
  set('lr', num('lr', o.lr));
  set('beta', num('beta', o.beta));
  set('evalEvery', o.evalEvery === undefined ? undefined : intOption('eval-every', o.evalEvery, 0));
  set('evalSamples', o.evalSamples === undefined ? undefined : intOption('eval-samples', o.evalSamples, 1, 1));
  set('threads', o.threads === undefined ? undefined : intOption('threads', o.threads, 1, 1));
  set('seed', o.seed === undefined ? undefined : intOption('seed', o.seed, 0));
  set('references', o.refs === undefined ? undefined : intOption('refs', o.refs, 1, 1));
  if (o.refs !== undefined && (config.references as number) > MAX_REFERENCE_CANDIDATES) throw new InputError(`--refs must be at most ${MAX_REFERENCE_CANDIDATES}, got ${o.refs}`);
  if (refl) {
    set('anchor', num('anchor', o.anchor));
    set('stopMin', o.stopMin === undefined ? undefined : intOption('stop-min', o.stopMin, 0));
    set('gradSteps', o.gradSteps === undefined ? undefined : intOption('grad-steps', o.gradSteps, 1, 1));
    if (o.objective !== undefined) config.objective = o.objective;
    return runRefl(o, steps, prompts, config);
  }
  const { specs, weights } = rewardParts(o);
  const loaded: RewardModel[] = [];
  try {
    for (const s of specs) loaded.push(await loadRewardModel(s, { mode: 'pointwise' }));
  } catch (e) {
    for (const m of loaded) await m.close?.();
    throw e;
  }
  const reward = loaded.length === 1 ? loaded[0]! : combinedModel(loaded.map((model, i) => ({ model, weight: weights[i]! })));
  try {
    if (o.refs !== undefined && reward.mode !== 'pairwise') throw new InputError(`--refs sets the reference tournament of pairwise rewards; ${named(specs)} pointwise`);
    return await withProgress('rl grpo', o, steps, prompts, config, (m: GrpoStepMetrics) => ({ reward: m.reward.toFixed(3), std: m.groupStd.toFixed(3), kl: m.kl.toExponential(1) }), (base) => trainGrpo({ ...base, reward }));
  } finally {
    await reward.close?.();
  }
}

async function runRefl(o: RlOpts, steps: number, prompts: ReturnType<typeof readPromptFile>, config: Record<string, unknown>): Promise<ReflStepMetrics | null> {
  const { specs, weights } = rewardParts(o);
  const rms: LocalVlmRewardModel[] = [];
  try {
    for (const s of specs) rms.push(await reflReward(s));
    const pairwise = rms.map((rm, i) => ({ rm, i })).filter(({ rm, i }) => rm.mode === 'pairwise' && weights[i]! > 0);
    if (o.rewardOrders === 'both' && pairwise.length === 0) throw new InputError(`--reward-orders both reads a pairwise reward in both orders; ${named(specs)} pointwise`);
    const orders = { orders: (o.rewardOrders ?? 'one') as RewardOrders };
    const parts = rms.map((rm, i) => ({ reward: FrozenVlmReward.fromRewardModel(rm, rm.mode === 'pairwise' ? orders : {}), weight: weights[i]! }));
    const reward = parts.length === 1 ? parts[0]!.reward : new CombinedReward(parts);
    // the reference tournament is judged by the pairwise parts (a pointwise score is no comparison)
    const judge = pairwise.length === 1 ? pairwise[0]!.rm : pairwise.length > 1 ? combinedModel(pairwise.map(({ rm, i }) => ({ model: rm, weight: weights[i]! }))) : rms[0];
    return await withProgress('rl refl', o, steps, prompts, config, (m: ReflStepMetrics) => ({ reward: m.reward.toFixed(3), std: m.rewardStd.toFixed(3), drift: m.drift.toExponential(1) }), (base) => trainRefl({ ...base, reward, judge }));
  } finally {
    for (const rm of rms) rm.close();
  }
}

/**
 * Runs a trainer with the options both algorithms share, a progress bar showing `fields` of
 * each step (plus the oracle score when evaluated and the alarm), and the alarm on stderr.
 */
async function withProgress<M extends RlStepMetrics>(
  label: string,
  o: RlOpts,
  steps: number,
  prompts: ReturnType<typeof readPromptFile>,
  config: Record<string, unknown>,
  fields: (m: M) => Record<string, string>,
  train: (base: RlRunBase<Record<string, unknown>, M>) => Promise<M | null>,
): Promise<M | null> {
  const bar = progress(label, steps, { quiet: o.json ?? false });
  try {
    return await train({
      generator: o.generator,
      prompts,
      out: o.out,
      steps,
      resume: o.resume ?? false,
      config,
      onStep: (_s, m) => {
        bar.tick(1, { ...fields(m), ...(m.eval ? { oracle: m.eval.score.toFixed(3) } : {}), ...(m.alarm ? { ALARM: 1 } : {}) });
        if (m.alarm) process.stderr.write(`hacking alarm at step ${m.step}: ${m.alarmReason ?? ''}\n`);
      },
    });
  } finally {
    bar.stop();
  }
}

/** The final summary line(s). */
export function summary(m: RlStepMetrics, out: string): string {
  const algoPart = 'kl' in m ? `, kl ${m.kl.toExponential(2)}` : `, anchor loss ${m.anchorLoss.toFixed(4)}`;
  return (
    `step ${m.step}: reward ${m.reward.toFixed(3)} (std ${m.rewardStd.toFixed(3)}, within groups ${m.groupStd.toFixed(3)})${algoPart}, drift ${m.drift.toExponential(2)}` +
    (m.eval ? `, oracle ${m.eval.score.toFixed(3)} [${m.eval.lo.toFixed(3)}, ${m.eval.hi.toFixed(3)}] n=${m.eval.n}, held-out reward ${m.eval.heldOutReward.toFixed(3)}` : '') +
    (m.alarm ? `\nHACKING ALARM: ${m.alarmReason ?? ''}` : '') +
    `\nmetrics: ${out}/metrics.jsonl\n`
  );
}

export function register(program: Command): void {
  program
    .command('rl')
    .description('fine-tune a generator against a reward model (GRPO for any reward; ReFL for differentiable ones)')
    .requiredOption('--algo <name>', RL_ALGOS.join(' | '))
    .requiredOption('--generator <dir>', 'pretrained generator folder')
    .option('--reward <spec>', "reward model: 'oracle', an http(s):// URL or a checkpoint folder (ReFL: a local VLM checkpoint folder); a pairwise checkpoint is scored against per-prompt tournament references (--refs). Repeat it to train against the weighted mean of several (required)", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--reward-weights <w,...>', 'weights of the repeated --reward models, in order (default equal)')
    .requiredOption('--prompts <file>', 'GenEval JSONL or a text file of world prompts')
    .requiredOption('--steps <n>', 'RL steps')
    .requiredOption('--out <dir>', 'run folder (metrics.jsonl, checkpoint/)')
    .option('--group <n>', 'samples per prompt (GRPO group; ReFL: samples of each prompt per step)')
    .option('--prompts-per-step <n>', 'prompts per step')
    .option('--sample-steps <n>', 'sampler steps while training (GRPO: SDE; ReFL: ODE)')
    .option('--lr <x>', 'learning rate')
    .option('--beta <x>', 'GRPO: KL weight to the pretrained model')
    .option('--refs <n>', `pairwise rewards (GRPO and ReFL): pretrained samples per prompt in the reference tournament (1-${MAX_REFERENCE_CANDIDATES}, default 8)`)
    .option('--anchor <x>', 'ReFL: weight of the flow-matching loss on world samples (default 1)')
    .option('--stop-min <n>', 'ReFL: the gradient step starts at a sampler step drawn from [n, sample-steps - 1] (default 10 of 16; with only --sample-steps, the same share)')
    .option('--grad-steps <n>', 'ReFL: sampler steps with gradients from the stop step (Euler steps, then the x0 prediction; default 1, classic ReFL)')
    .option('--objective <o>', "ReFL: 'p' maximises the mean reward P(yes) (as published); 'logp' the mean log P(yes), which weighs the samples the judge rejects more (default p)")
    .option('--reward-orders <o>', "ReFL with a pairwise reward: 'one' asks P(yes | reference, candidate); 'both' also asks with the two swapped and averages, (p + 1 - p_swapped) / 2, which cancels the model's position bias at twice its cost (default one)")
    .option('--eval-every <n>', 'oracle evaluation on held-out prompts every N steps')
    .option('--eval-samples <n>', 'held-out prompts per evaluation (>= 256 for a useful interval)')
    .option('--threads <n>', 'libtorch threads')
    .option('--seed <n>', 'seed')
    .option('--resume', 'continue from <out>/checkpoint')
    .option('--json', 'print the last step as JSON')
    .action(
      action(async (o: RlOpts) => {
        const m = await runRl(o);
        if (o.json) return printJson(m);
        if (!m) return void process.stdout.write('nothing to do (already at --steps)\n');
        process.stdout.write(summary(m, o.out));
      }),
    );
}
