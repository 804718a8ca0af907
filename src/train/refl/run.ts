/**
 * A ReFL run (`rewarddance rl --algo refl`): each step draws `promptsPerStep` prompts, takes
 * `groupSize` samples of each (different noise), and makes one `reflStep` against a
 * DifferentiableReward; pairwise rewards compare each sample with its prompt's reference, the
 * winner of a Best-of-N pairwise tournament of the pretrained generator's samples
 * (references.ts). Every step appends the RL diagnostics to metrics.jsonl (reward mean and
 * spread, the oracle's reading of the scored samples, drift, the hacking alarm; the oracle's
 * GenEval-style score and the held-out reward every `evalEvery` steps) and checkpoints, so a
 * killed run resumes losing only the step in flight, on the same curve (the run loop GRPO
 * shares: train/grpo/run-loop.ts).
 */
import type { RgbImage } from '../../data/image.js';
import { ConfigError, InputError } from '../../errors.js';
import { oracleDiversity, parameterDrift, rewardSpread } from '../../eval/rl-diagnostics.js';
import { imagesToTensor, loadGenerator } from '../../models/generator/index.js';
import type { RewardModel } from '../../rewards/types.js';
import { AdamW, noGrad, setNumThreads, tidy, type Tensor } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import { analyzeImage, scoreMetadata } from '../../world/oracle.js';
import { heldOutEvaluator, oracleSignature, RlRunFolder, STEP_SEED_STRIDE, type RlRunBase, type RlStepBase } from '../grpo/run-loop.js';
import { ReferenceCache, MAX_REFERENCE_CANDIDATES } from './references.js';
import { DEFAULT_REFL_CONFIG, reflConfig, reflStep, type ReflConfig, type ReflStepResult } from './train.js';
import type { DifferentiableReward } from './types.js';

export interface ReflRunConfig extends ReflConfig {
  /** Distinct prompts per step. */
  readonly promptsPerStep: number;
  /** Samples per prompt (batch = promptsPerStep * groupSize); spread within a group is a diagnostic. */
  readonly groupSize: number;
  /** Pretrained samples per prompt in the reference tournament (pairwise rewards). */
  readonly references: number;
  readonly threads: number;
  /** Oracle evaluation on the held-out prompts every N steps (0: start and end only). */
  readonly evalEvery: number;
  readonly evalSamples: number;
  readonly evalSteps: number;
}

/** Batch 16 (4 prompts x 4 samples), references from 8 pretrained samples, ReFL step defaults. */
export const DEFAULT_REFL_RUN_CONFIG: ReflRunConfig = {
  ...DEFAULT_REFL_CONFIG,
  promptsPerStep: 4,
  groupSize: 4,
  references: 8,
  threads: 1,
  evalEvery: 10,
  evalSamples: 256,
  evalSteps: 16,
};

/** stopMin / sampleSteps of the defaults (10 / 16). */
const STOP_MIN_SHARE = DEFAULT_REFL_CONFIG.stopMin / DEFAULT_REFL_CONFIG.sampleSteps;

/** Merges overrides; unknown keys and impossible values are ConfigErrors. */
export function reflRunConfig(overrides: Record<string, unknown> = {}): ReflRunConfig {
  for (const k of Object.keys(overrides)) {
    if (!(k in DEFAULT_REFL_RUN_CONFIG)) throw new ConfigError(`refl: unknown option '${k}' (known: ${Object.keys(DEFAULT_REFL_RUN_CONFIG).join(', ')})`);
  }
  const c = { ...DEFAULT_REFL_RUN_CONFIG, ...overrides } as { -readonly [K in keyof ReflRunConfig]: ReflRunConfig[K] };
  // the gradient step stays in the last ~3/8 of the sampler (10 of 16) when only sampleSteps is given
  if (overrides.sampleSteps !== undefined && overrides.stopMin === undefined) c.stopMin = Math.min(c.sampleSteps - 1, Math.floor(c.sampleSteps * STOP_MIN_SHARE));
  const step = Object.fromEntries(Object.keys(DEFAULT_REFL_CONFIG).map((k) => [k, c[k as keyof ReflRunConfig]]));
  reflConfig(step); // validates the step's own options
  const posInt = (k: keyof ReflRunConfig, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(`refl: ${k} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${String(v)}`);
  };
  posInt('promptsPerStep', 1);
  posInt('groupSize', 1);
  posInt('references', 1, MAX_REFERENCE_CANDIDATES);
  posInt('threads', 1);
  posInt('evalEvery', 0);
  posInt('evalSamples', 1);
  posInt('evalSteps', 1);
  if (!(c.lr > 0)) throw new ConfigError(`refl: lr must be > 0, got ${c.lr}`);
  if (!(c.anchor >= 0)) throw new ConfigError(`refl: anchor must be >= 0, got ${c.anchor}`);
  return c;
}

export interface ReflRun extends RlRunBase<ReflRunConfig, ReflStepMetrics> {
  readonly reward: DifferentiableReward;
  /**
   * The same reward model behind the (non-differentiable) reward protocol: it judges the
   * reference tournaments of pairwise rewards. Required when `reward.mode` is 'pairwise'.
   */
  readonly judge?: RewardModel;
}

export interface ReflStepMetrics extends RlStepBase {
  /** Share of the scored samples (x0 predicted at the stop step) the binary oracle accepts. */
  readonly oracleTrain: number;
  readonly anchorLoss: number;
  readonly stopStep: number;
  /** Milliseconds of this step spent on new reference tournaments (pairwise). */
  readonly referenceMs: number;
  /** Prompts whose reference is cached so far. */
  readonly referencesCached: number;
}

/** Images per no-grad reward batch in evaluations. */
const SCORE_BATCH = 64;

/** RGB images -> (B, 3, S, S) in [0, 1] (exactly k/255, as the VLM's own loader). */
function unitTensor(images: readonly RgbImage[]): Tensor {
  return imagesToTensor(images).add(1).mul(0.5);
}

/** Rewards of images (no gradients), in batches. */
function rewardsOf(reward: DifferentiableReward, images: readonly RgbImage[], prompts: readonly string[], references?: readonly RgbImage[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < images.length; i += SCORE_BATCH) {
    const j = Math.min(images.length, i + SCORE_BATCH);
    out.push(...noGrad(() => tidy(() => reward.rewardTensor(unitTensor(images.slice(i, j)), prompts.slice(i, j), references ? unitTensor(references.slice(i, j)) : undefined).toList())));
  }
  return out;
}

/**
 * Runs ReFL; returns the last step's metrics (null when the run was already at `steps`).
 * @example await trainRefl({ generator: 'models/rd-gen-t2i', reward: FrozenVlmReward.load('runs/rm'), judge, prompts, out: 'runs/refl', steps: 100 });
 */
export async function trainRefl(run: ReflRun): Promise<ReflStepMetrics | null> {
  const cfg = reflRunConfig(run.config ?? {});
  if (run.prompts.length === 0) throw new InputError('ReFL needs at least one prompt');
  const pairwise = run.reward.mode === 'pairwise';
  if (pairwise && !run.judge) throw new InputError(`${run.reward.id} is pairwise: ReFL needs the reward model itself (judge) to pick each prompt's reference by tournament`);
  setNumThreads(cfg.threads);
  const policy = loadGenerator(run.generator);
  const pretrained = loadGenerator(run.generator);
  const refParams = pretrained.parameters();
  const opt = new AdamW(policy.namedParameters(), { lr: cfg.lr, weightDecay: 0 });
  const refs = pairwise ? new ReferenceCache(pretrained, run.judge!, { n: cfg.references, steps: cfg.sampleSteps, guidance: cfg.guidance, seed: cfg.seed }) : null;
  try {
    const folder = RlRunFolder.open(run.out, run.resume === true, policy, opt);
    const evaluate = heldOutEvaluator(policy, pretrained, { samples: cfg.evalSamples, steps: cfg.evalSteps, guidance: cfg.guidance, seed: cfg.seed, pairwise }, (images, metas, references) =>
      rewardsOf(run.reward, images, metas.map((m) => m.prompt), references),
    );
    if (folder.start === 0) folder.writeInitial(await evaluate());
    let last: ReflStepMetrics | null = null;
    for (let step = folder.start; step < run.steps; step++) {
      const t0 = Date.now();
      const rng = new Rng(cfg.seed * STEP_SEED_STRIDE + step + 0x51ed);
      const chosen = Array.from({ length: cfg.promptsPerStep }, () => rng.pick(run.prompts));
      const metas = chosen.flatMap((m) => Array.from({ length: cfg.groupSize }, () => m));
      const prompts = metas.map((m) => m.prompt);
      const refMs0 = refs?.ms ?? 0;
      const refImages = refs ? await refs.getMany(prompts) : undefined;
      const refTensor = refImages ? noGrad(() => unitTensor(refImages)) : undefined;
      let r: ReflStepResult;
      try {
        r = reflStep(policy, opt, run.reward, prompts, step, cfg, refTensor);
      } finally {
        refTensor?.dispose();
      }
      const spread = rewardSpread(r.rewards, cfg.groupSize);
      const ev = RlRunFolder.isEvalStep(step + 1, run.steps, cfg.evalEvery) ? await evaluate() : undefined;
      const alarm = folder.alarm(step + 1, spread.mean, ev);
      const m: ReflStepMetrics = {
        step: step + 1,
        reward: spread.mean,
        rewardStd: spread.std,
        groupStd: spread.groupStd,
        flatGroups: spread.flatGroups,
        oracleTrain: r.images.filter((img, i) => scoreMetadata(analyzeImage(img), metas[i]!).correct).length / r.images.length,
        diversity: oracleDiversity(r.images.map(oracleSignature), cfg.groupSize),
        anchorLoss: r.anchorLoss,
        stopStep: r.stopStep,
        drift: noGrad(() => parameterDrift(policy.parameters(), refParams)),
        ms: Date.now() - t0,
        referenceMs: Math.round((refs?.ms ?? 0) - refMs0),
        referencesCached: refs?.size ?? 0,
        ...(ev ? { eval: ev } : {}),
        alarm: alarm.fired,
        ...(alarm.fired ? { alarmReason: alarm.reason } : {}),
      };
      last = folder.commit(m, policy, opt, { config: cfg, generator: run.generator, reward: run.reward.id });
      run.onStep?.(step + 1, m);
    }
    return last;
  } finally {
    opt.dispose();
    policy.dispose();
    pretrained.dispose();
  }
}
