/**
 * `rewarddance rl --algo grpo|refl`: fine-tune a generator against a reward model, with a
 * progress bar, per-step diagnostics in <out>/metrics.jsonl, resume after a kill, and a
 * final summary. GRPO works with any reward (oracle, URL, checkpoint); ReFL needs a reward
 * differentiable in the pixels (train/refl/types.ts), which local checkpoints will provide.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { loadRewardModel } from '../../rewards/load.js';
import { parseWorldPrompt } from '../../rewards/oracle.js';
import { trainGrpo, type GrpoStepMetrics } from '../../train/grpo/index.js';
import { readGeneval } from '../../world/geneval.js';
import type { GenevalMetadata } from '../../world/types.js';
import { action, intOption, printJson, progress } from '../run.js';

export const RL_ALGOS = ['grpo', 'refl'] as const;

interface RlOpts {
  algo: string;
  generator: string;
  reward: string;
  prompts: string;
  steps: string;
  out: string;
  group?: string;
  promptsPerStep?: string;
  sampleSteps?: string;
  lr?: string;
  beta?: string;
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

/** Runs `rl`; exported for tests. */
export async function runRl(o: RlOpts): Promise<GrpoStepMetrics | null> {
  if (!(RL_ALGOS as readonly string[]).includes(o.algo)) throw new InputError(`--algo must be one of ${RL_ALGOS.join(', ')}, got '${o.algo}'`);
  if (o.algo === 'refl') {
    throw new InputError(`--algo refl needs a reward differentiable in the pixels (DifferentiableReward in src/train/refl/types.ts); '${o.reward}' does not provide one yet (local VLM checkpoints will). Use --algo grpo, which works with any reward.`);
  }
  const steps = intOption('steps', o.steps, 1, 1);
  const prompts = readPromptFile(o.prompts);
  const config: Record<string, unknown> = {};
  const set = (k: string, v: number | undefined): void => {
    if (v !== undefined) config[k] = v;
  };
  set('groupSize', o.group === undefined ? undefined : intOption('group', o.group, 2, 2));
  set('promptsPerStep', o.promptsPerStep === undefined ? undefined : intOption('prompts-per-step', o.promptsPerStep, 1, 1));
  set('sampleSteps', o.sampleSteps === undefined ? undefined : intOption('sample-steps', o.sampleSteps, 1, 1));
  set('lr', num('lr', o.lr));
  set('beta', num('beta', o.beta));
  set('evalEvery', o.evalEvery === undefined ? undefined : intOption('eval-every', o.evalEvery, 0));
  set('evalSamples', o.evalSamples === undefined ? undefined : intOption('eval-samples', o.evalSamples, 1, 1));
  set('threads', o.threads === undefined ? undefined : intOption('threads', o.threads, 1, 1));
  set('seed', o.seed === undefined ? undefined : intOption('seed', o.seed, 0));
  const reward = await loadRewardModel(o.reward, { mode: 'pointwise' });
  const bar = progress('rl grpo', steps, { quiet: o.json ?? false });
  try {
    return await trainGrpo({
      generator: o.generator,
      reward,
      prompts,
      out: o.out,
      steps,
      resume: o.resume ?? false,
      config,
      onStep: (_s, m) => {
        bar.tick(1, { reward: m.reward.toFixed(3), std: m.groupStd.toFixed(3), kl: m.kl.toExponential(1), ...(m.eval ? { oracle: m.eval.score.toFixed(3) } : {}), ...(m.alarm ? { ALARM: 1 } : {}) });
        if (m.alarm) process.stderr.write(`hacking alarm at step ${m.step}: ${m.alarmReason ?? ''}\n`);
      },
    });
  } finally {
    bar.stop();
    await reward.close?.();
  }
}

export function register(program: Command): void {
  program
    .command('rl')
    .description('fine-tune a generator against a reward model (GRPO for any reward; ReFL for differentiable ones)')
    .requiredOption('--algo <name>', RL_ALGOS.join(' | '))
    .requiredOption('--generator <dir>', 'pretrained generator folder')
    .requiredOption('--reward <spec>', "reward model: 'oracle', an http(s):// URL or a checkpoint folder")
    .requiredOption('--prompts <file>', 'GenEval JSONL or a text file of world prompts')
    .requiredOption('--steps <n>', 'RL steps')
    .requiredOption('--out <dir>', 'run folder (metrics.jsonl, checkpoint/)')
    .option('--group <n>', 'samples per prompt (GRPO group)')
    .option('--prompts-per-step <n>', 'prompts per step')
    .option('--sample-steps <n>', 'SDE steps while training')
    .option('--lr <x>', 'learning rate')
    .option('--beta <x>', 'KL weight to the pretrained model')
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
        process.stdout.write(
          `step ${m.step}: reward ${m.reward.toFixed(3)} (std ${m.rewardStd.toFixed(3)}, within groups ${m.groupStd.toFixed(3)}), kl ${m.kl.toExponential(2)}, drift ${m.drift.toExponential(2)}` +
            (m.eval ? `, oracle ${m.eval.score.toFixed(3)} [${m.eval.lo.toFixed(3)}, ${m.eval.hi.toFixed(3)}] n=${m.eval.n}` : '') +
            (m.alarm ? `\nHACKING ALARM: ${m.alarmReason ?? ''}` : '') +
            `\nmetrics: ${o.out}/metrics.jsonl\n`,
        );
      }),
    );
}
