/**
 * Flow-GRPO training against any RewardModel (the oracle, remote VLMs, local checkpoints,
 * combinations; no gradients needed from the reward). Each step: draw prompts, sample G
 * images per prompt with the SDE (recording every step's log-probability), score them,
 * normalise rewards within each group, then for each denoising step take one AdamW step on
 * the clipped ratio objective plus beta * KL to the frozen pretrained model. A pairwise reward
 * (mode 'pairwise', such as a generative pairwise checkpoint) scores each sample against its
 * prompt's reference: as in ReFL, the winner of a Best-of-N pairwise tournament of the
 * pretrained generator's ODE samples judged by the reward model itself (train/refl/references.ts,
 * cached per prompt). Every step appends diagnostics to metrics.jsonl and checkpoints, so a
 * killed run resumes losing only the step in flight (run-loop.ts).
 */
import { imageMedia, type RgbImage } from '../../data/image.js';
import { ConfigError } from '../../errors.js';
import { guidedText, loadGenerator, sampleSde, sdeStepLogProb, tensorToImages, type FlowUNet } from '../../models/generator/index.js';
import { createOracleRewardModel } from '../../rewards/oracle.js';
import type { RewardModel, RewardQuery } from '../../rewards/types.js';
import { AdamW, clipGradNorm, noGrad, setNumThreads, tensor, tidy } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import type { GenevalMetadata } from '../../world/types.js';
import { oracleDiversity, parameterDrift, rewardSpread } from '../../eval/rl-diagnostics.js';
import { MAX_REFERENCE_CANDIDATES, ReferenceCache } from '../refl/references.js';
import { clippedObjective, gaussianKl, groupAdvantages } from './math.js';
import { heldOutEvaluator, oracleSignature, RlRunFolder, STEP_SEED_STRIDE, type RlRunBase, type RlStepBase } from './run-loop.js';

export interface GrpoConfig {
  /** Prompts per step. */
  readonly promptsPerStep: number;
  /** Samples per prompt (the group). */
  readonly groupSize: number;
  /** SDE denoising steps (Flow-GRPO trains with fewer steps than it evaluates with). */
  readonly sampleSteps: number;
  readonly guidance: number;
  readonly eta: number;
  readonly lr: number;
  readonly clip: number;
  /** KL weight to the pretrained model. */
  readonly beta: number;
  readonly maxGradNorm: number;
  readonly seed: number;
  readonly threads: number;
  /** Oracle evaluation on the held-out prompts every N steps (0: start and end only). */
  readonly evalEvery: number;
  readonly evalSamples: number;
  readonly evalSteps: number;
  /**
   * Pairwise rewards: pretrained samples per prompt in the reference tournament (1 to
   * MAX_REFERENCE_CANDIDATES; sampled with the ODE at `evalSteps`). Unused by pointwise rewards.
   */
  readonly references: number;
}

/**
 * Defaults after Flow-GRPO (eta 0.7, fewer sampler steps in training than in evaluation) with a
 * learning rate measured on the shipped generator (docs/results/grpo-oracle-2026-11-28/): with
 * the oracle as the reward, lr 1e-4 (eight updates a step, one per denoising step) collapsed it
 * within 30 steps (held-out oracle 0.328 -> 0.234, image quality 0.86 -> 0.48); 1e-5 held it.
 * The ratios are of per-dimension mean log-probabilities, so they stay near 1 (within 0.001 at
 * lr 1e-5, measured there) and a clip of 0.2 never binds; Flow-GRPO, whose log-probabilities are
 * also per-dimension means, clips at 1e-4.
 */
export const DEFAULT_GRPO_CONFIG: GrpoConfig = {
  promptsPerStep: 4,
  groupSize: 8,
  sampleSteps: 8,
  guidance: 2,
  eta: 0.7,
  lr: 1e-5,
  clip: 0.2,
  beta: 0.01,
  maxGradNorm: 1,
  seed: 1,
  threads: 1,
  evalEvery: 10,
  evalSamples: 256,
  evalSteps: 16,
  references: 8,
};

/** Merges overrides; unknown keys are ConfigErrors. */
export function grpoConfig(overrides: Record<string, unknown> = {}): GrpoConfig {
  for (const k of Object.keys(overrides)) {
    if (!(k in DEFAULT_GRPO_CONFIG)) throw new ConfigError(`grpo: unknown option '${k}' (known: ${Object.keys(DEFAULT_GRPO_CONFIG).join(', ')})`);
  }
  const c = { ...DEFAULT_GRPO_CONFIG, ...overrides };
  if (!Number.isInteger(c.references) || c.references < 1 || c.references > MAX_REFERENCE_CANDIDATES) throw new ConfigError(`grpo: references must be an integer in [1, ${MAX_REFERENCE_CANDIDATES}], got ${String(c.references)}`);
  return c;
}

export interface GrpoRun extends RlRunBase<GrpoConfig, GrpoStepMetrics> {
  /** Any reward model; a pairwise one is scored against per-prompt tournament references. */
  readonly reward: RewardModel;
}

export interface GrpoStepMetrics extends RlStepBase {
  readonly kl: number;
  /** Share of (sample, denoising step) ratios outside the clip range, over the step's updates. */
  readonly clipFrac: number;
  /**
   * Largest |ratio - 1| of the step (the ratio of per-dimension mean log-probabilities, so it
   * stays near 1): when it is far below `clip` the clip never binds and nothing holds the
   * updates of one batch together.
   */
  readonly ratioMaxDev: number;
  /** Milliseconds of this step spent on new reference tournaments (pairwise rewards). */
  readonly referenceMs: number;
  /** Prompts whose reference is cached so far (0 for pointwise rewards). */
  readonly referencesCached: number;
}

async function scoreImages(reward: RewardModel, imgs: readonly RgbImage[], metas: readonly GenevalMetadata[], references?: readonly RgbImage[]): Promise<number[]> {
  const qs: RewardQuery[] = imgs.map((img, i) => ({ task: 't2i', prompt: metas[i]!.prompt, candidate: imageMedia(img), metadata: metas[i]!, criteria: 'alignment', ...(references ? { reference: imageMedia(references[i]!) } : {}) }));
  return (await reward.score(qs)).map((r) => r.reward);
}

/**
 * Runs GRPO; returns the last step's metrics.
 * @example await trainGrpo({ generator: 'models/rd-gen-t2i', reward: createOracleRewardModel(), prompts, out: 'runs/grpo', steps: 50 });
 */
export async function trainGrpo(run: GrpoRun): Promise<GrpoStepMetrics | null> {
  const cfg = grpoConfig(run.config ?? {});
  setNumThreads(cfg.threads);
  const policy = loadGenerator(run.generator);
  const ref = loadGenerator(run.generator);
  const refParams = ref.parameters();
  const opt = new AdamW(policy.namedParameters(), { lr: cfg.lr, weightDecay: 0 });
  const pairwise = run.reward.mode === 'pairwise';
  const refs = pairwise ? new ReferenceCache(ref, run.reward, { n: cfg.references, steps: cfg.evalSteps, guidance: cfg.guidance, seed: cfg.seed }) : null;
  const folder = RlRunFolder.open(run.out, run.resume === true, policy, opt);
  const evaluate = heldOutEvaluator(policy, ref, { samples: cfg.evalSamples, steps: cfg.evalSteps, guidance: cfg.guidance, seed: cfg.seed, pairwise }, (images, metas, references) => scoreImages(run.reward, images, metas, references));
  const oracle = createOracleRewardModel({ grading: 'binary' });
  if (folder.start === 0) folder.writeInitial(await evaluate());
  let last: GrpoStepMetrics | null = null;
  for (let step = folder.start; step < run.steps; step++) {
    const t0 = Date.now();
    const seed = cfg.seed * STEP_SEED_STRIDE + step;
    const rng = new Rng(seed);
    const chosen = Array.from({ length: cfg.promptsPerStep }, () => rng.pick(run.prompts));
    const metas = chosen.flatMap((m) => Array.from({ length: cfg.groupSize }, () => m));
    const prompts = metas.map((m) => m.prompt);
    const refMs0 = refs?.ms ?? 0;
    const refImages = refs ? await refs.getMany(prompts) : undefined;
    policy.eval();
    const traj = sampleSde(policy, prompts, { steps: cfg.sampleSteps, guidance: cfg.guidance, eta: cfg.eta, seed });
    const images = noGrad(() => tensorToImages(traj.xs[cfg.sampleSteps]!));
    const rewards = await scoreImages(run.reward, images, metas, refImages);
    const adv = groupAdvantages(rewards, cfg.groupSize);
    const oracleRewards = await scoreImages(oracle, images, metas);
    policy.train();
    let kl = 0;
    let clipFrac = 0;
    let ratioMaxDev = 0;
    const advT = tensor(adv);
    for (let i = 0; i < cfg.sampleSteps; i++) {
      const [k, cf, dev] = tidy(() => {
        const text = guidedText(policy, prompts, cfg.guidance);
        const { logp, mean, std } = sdeStepLogProb(policy, traj.xs[i]!, traj.xs[i + 1]!, traj.grid[i]!, traj.grid[i + 1]!, text, cfg.guidance, cfg.eta);
        const ratio = logp.sub(tensor(traj.logps[i]!)).exp(); // (B)
        const refMean = noGrad(() => sdeStepLogProb(ref, traj.xs[i]!, traj.xs[i + 1]!, traj.grid[i]!, traj.grid[i + 1]!, guidedText(ref, prompts, cfg.guidance), cfg.guidance, cfg.eta).mean);
        const klT = gaussianKl(mean, refMean, std).mean();
        const loss = clippedObjective(ratio, advT, cfg.clip).add(klT.mul(cfg.beta)).div(cfg.sampleSteps);
        loss.backward();
        const r = ratio.detach();
        const absDev = r.sub(1).abs();
        return [klT.item(), absDev.gt(cfg.clip).float().mean().item(), absDev.max().item()];
      });
      clipGradNorm(opt.params, cfg.maxGradNorm);
      opt.step();
      opt.zeroGrad();
      kl += k / cfg.sampleSteps;
      clipFrac += cf / cfg.sampleSteps;
      ratioMaxDev = Math.max(ratioMaxDev, dev);
    }
    advT.dispose();
    traj.xs.forEach((t) => t.dispose());
    const spread = rewardSpread(rewards, cfg.groupSize);
    const ev = RlRunFolder.isEvalStep(step + 1, run.steps, cfg.evalEvery) ? await evaluate() : undefined;
    const alarm = folder.alarm(step + 1, spread.mean, ev);
    const m: GrpoStepMetrics = {
      step: step + 1,
      reward: spread.mean,
      rewardStd: spread.std,
      groupStd: spread.groupStd,
      flatGroups: spread.flatGroups,
      oracleTrain: oracleRewards.filter((r) => r > 0.5).length / oracleRewards.length,
      diversity: oracleDiversity(images.map(oracleSignature), cfg.groupSize),
      kl,
      clipFrac,
      ratioMaxDev,
      drift: noGrad(() => parameterDrift(policy.parameters(), refParams)),
      ms: Date.now() - t0,
      referenceMs: Math.round((refs?.ms ?? 0) - refMs0),
      referencesCached: refs?.size ?? 0,
      ...(ev ? { eval: ev } : {}),
      alarm: alarm.fired,
      ...(alarm.fired ? { alarmReason: alarm.reason } : {}),
    };
    last = folder.commit(m, policy, opt, { config: cfg, generator: run.generator });
    run.onStep?.(step + 1, m);
  }
  opt.dispose();
  policy.dispose();
  ref.dispose();
  return last;
}

export type { FlowUNet };
