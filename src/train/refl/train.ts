/**
 * ReFL (Xu et al. 2023, ImageReward) as the RewardDance paper uses it: sample with the ODE
 * (no gradients) to a random late step, take one step with gradients that predicts the clean
 * image x0 = x_t - t v, and back-propagate the reward model's P(yes) through it into the
 * generator. `gradSteps` > 1 keeps gradients through that many sampler steps (Euler steps, then
 * the x0 prediction; DRaFT-K, Clark et al. 2023), so an earlier stop step can move the layout
 * while the reward model still reads a nearly clean image. A pretraining-loss mix on world
 * samples anchors the model (DESIGN.md 7: without an anchor and with a high learning rate the
 * model collapsed in ~50 steps).
 */
import { ConfigError } from '../../errors.js';
import type { RgbImage } from '../../data/image.js';
import { guidedText, guidedVelocity, flowMatchingLoss, imagesToTensor, tensorToImages, timeGrid, type FlowUNet } from '../../models/generator/index.js';
import { AdamW, clipGradNorm, manualSeed, noGrad, randn, tidy, type Tensor } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import { worldBatch } from '../generator/train.js';
import type { DifferentiableReward } from './types.js';

export interface ReflConfig {
  readonly sampleSteps: number;
  /** The gradient step is taken at a step index drawn from [stopMin, sampleSteps - 1]. */
  readonly stopMin: number;
  /**
   * Sampler steps with gradients from the stop step k: Euler steps k .. j-1, then the x0
   * prediction at j = min(k + gradSteps - 1, sampleSteps - 1). 1 is classic ReFL.
   */
  readonly gradSteps: number;
  readonly guidance: number;
  /**
   * What the update maximises: 'p', the mean reward P(yes) (ReFL as published), or 'logp', the
   * mean log P(yes), whose gradient 1/p weighs the samples the judge rejects more than those it
   * already accepts (P(yes) is a sigmoid: its slope vanishes at both ends).
   */
  readonly objective: 'p' | 'logp';
  readonly lr: number;
  /** Weight of the flow-matching loss on world samples (the anchor). */
  readonly anchor: number;
  readonly anchorBatch: number;
  readonly maxGradNorm: number;
  readonly seed: number;
}

/** Defaults: a low learning rate and a real anchor, after DESIGN.md 7's collapse. */
export const DEFAULT_REFL_CONFIG: ReflConfig = { sampleSteps: 16, stopMin: 10, gradSteps: 1, guidance: 2, objective: 'p', lr: 2e-5, anchor: 1, anchorBatch: 16, maxGradNorm: 1, seed: 1 };

export function reflConfig(overrides: Record<string, unknown> = {}): ReflConfig {
  for (const k of Object.keys(overrides)) {
    if (!(k in DEFAULT_REFL_CONFIG)) throw new ConfigError(`refl: unknown option '${k}' (known: ${Object.keys(DEFAULT_REFL_CONFIG).join(', ')})`);
  }
  const c = { ...DEFAULT_REFL_CONFIG, ...overrides };
  if (c.stopMin < 0 || c.stopMin >= c.sampleSteps) throw new ConfigError(`refl: stopMin must be in [0, ${c.sampleSteps - 1}], got ${c.stopMin}`);
  if (c.objective !== 'p' && c.objective !== 'logp') throw new ConfigError(`refl: objective must be 'p' or 'logp', got '${String(c.objective)}'`);
  if (!Number.isInteger(c.gradSteps) || c.gradSteps < 1 || c.gradSteps > c.sampleSteps) throw new ConfigError(`refl: gradSteps must be an integer in [1, ${c.sampleSteps}] (sampler steps with gradients), got ${String(c.gradSteps)}`);
  return c;
}

/**
 * The ODE to step `k` without gradients, then (with gradients) Euler steps k .. j-1 and
 * x0 = x_j - t_j v(x_j), j = min(k + gradSteps - 1, sampleSteps - 1), as (B, 3, S, S) in [0, 1].
 */
export function predictWithGrad(model: FlowUNet, prompts: readonly string[], k: number, cfg: Pick<ReflConfig, 'sampleSteps' | 'guidance'> & Partial<Pick<ReflConfig, 'gradSteps'>>): Tensor {
  const s = model.config.imageSize;
  const grid = timeGrid(cfg.sampleSteps);
  const xk = noGrad(() =>
    tidy(() => {
      const text = guidedText(model, prompts, cfg.guidance);
      let x = randn([prompts.length, 3, s, s]);
      for (let i = 0; i < k; i++) {
        const prev = x;
        // one scope per step: each step's U-Net activations are freed before the next (held all
        // at once, 15 steps at batch 32 took 5.7 GB)
        x = tidy(() => prev.add(guidedVelocity(model, prev, grid[i]!, text, cfg.guidance).mul(grid[i + 1]! - grid[i]!)));
      }
      return x;
    }),
  );
  const text = guidedText(model, prompts, cfg.guidance);
  const j = Math.min(k + (cfg.gradSteps ?? 1) - 1, cfg.sampleSteps - 1);
  let x = xk;
  for (let i = k; i < j; i++) x = x.add(guidedVelocity(model, x, grid[i]!, text, cfg.guidance).mul(grid[i + 1]! - grid[i]!));
  const v = guidedVelocity(model, x, grid[j]!, text, cfg.guidance);
  return x.sub(v.mul(grid[j]!)).add(1).mul(0.5).clamp(0, 1); // (B, 3, S, S)
}

export interface ReflStepResult {
  /** Mean reward of the batch (before the update). */
  readonly reward: number;
  /** Per-sample rewards (B), in prompt order. */
  readonly rewards: number[];
  /** The predicted clean images x0 that were scored (B), rounded to 8 bits (for oracle diagnostics). */
  readonly images: RgbImage[];
  readonly anchorLoss: number;
  readonly stopStep: number;
}

/**
 * One ReFL update: -mean reward, or -mean log reward (objective 'logp'), + anchor * flow-matching loss on world samples.
 * @example const r = reflStep(model, opt, rm, prompts, 0, reflConfig());
 */
export function reflStep(model: FlowUNet, opt: AdamW, reward: DifferentiableReward, prompts: readonly string[], step: number, cfg: ReflConfig, references?: Tensor): ReflStepResult {
  const rng = new Rng(cfg.seed * 1_000_003 + step);
  const k = rng.int(cfg.stopMin, cfg.sampleSteps);
  manualSeed(cfg.seed * 1_000_003 + step);
  model.train();
  const [r, rs, imgs, a] = tidy(() => {
    const x0 = predictWithGrad(model, prompts, k, cfg);
    const all = reward.rewardTensor(x0, prompts, references); // (B)
    const rw = all.mean();
    let loss = cfg.objective === 'logp' ? all.clamp(1e-6, 1).log().mean().neg() : rw.neg();
    let anchor = 0;
    if (cfg.anchor > 0) {
      const wb = worldBatch(cfg.anchorBatch, cfg.seed + 17, step, model.config.imageSize);
      const fm = flowMatchingLoss(model, imagesToTensor(wb.images), wb.prompts, rng);
      anchor = fm.item();
      loss = loss.add(fm.mul(cfg.anchor));
    }
    loss.backward();
    return [rw.item(), all.detach().toList(), tensorToImages(x0.detach().mul(2).sub(1)), anchor] as const;
  });
  clipGradNorm(opt.params, cfg.maxGradNorm);
  opt.step(cfg.lr);
  opt.zeroGrad();
  return { reward: r, rewards: rs, images: imgs, anchorLoss: a, stopStep: k };
}
