/**
 * Rectified flow: x_t = (1 - t) x0 + t noise, velocity target v = noise - x0, images in
 * [-1, 1]. The training loss, classifier-free-guided velocities, a deterministic Euler ODE
 * sampler, and the Flow-GRPO SDE (same marginals, noise eta) with per-step Gaussian
 * log-probabilities. Pure functions over a `FlowUNet`.
 */
import { InputError } from '../../errors.js';
import { cat, keep, manualSeed, noGrad, randn, tensor, tidy, type Tensor } from '../../tensor/index.js';
import type { RgbImage } from '../../data/image.js';
import type { Rng } from '../../util/rng.js';
import type { TextFeatures } from './text.js';
import type { FlowUNet } from './unet.js';

/** Default Euler steps (the calibration in DESIGN.md 7 used 16). */
export const DEFAULT_STEPS = 16;
/** Default guidance: DESIGN.md 7 found 2 best (3 broke counting). */
export const DEFAULT_GUIDANCE = 2;
/** Share of training prompts replaced by the null prompt (classifier-free guidance), as in Ho & Salimans 2022. */
export const PROMPT_DROPOUT = 0.1;
/** SDE noise level (Flow-GRPO uses 0.7). */
export const DEFAULT_ETA = 0.7;
/** The SDE's sigma_t = eta sqrt(t / (1 - t)) diverges at t = 1; t is clamped here for sigma only. */
const SDE_T_MAX = 0.94;
const LOG_2PI = Math.log(2 * Math.PI);

/** RGB images (all the model's size) -> (B, 3, S, S) in [-1, 1]. */
export function imagesToTensor(images: readonly RgbImage[]): Tensor {
  if (images.length === 0) throw new InputError('imagesToTensor: no images');
  const { width: w, height: h } = images[0]!;
  const out = new Float32Array(images.length * 3 * w * h);
  images.forEach((img, b) => {
    if (img.width !== w || img.height !== h) throw new InputError(`imagesToTensor: image ${b} is ${img.width}x${img.height}, expected ${w}x${h}`);
    for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) out[((b * 3 + c) * h * w) + i] = img.data[i * 3 + c]! / 127.5 - 1;
  });
  return tensor(out, [images.length, 3, h, w]);
}

/** (B, 3, S, S) in [-1, 1] -> RGB images (clamped, rounded). */
export function tensorToImages(x: Tensor): RgbImage[] {
  const [b, , h, w] = x.shape as [number, number, number, number];
  const v = x.toArray();
  return Array.from({ length: b }, (_, n) => {
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.max(0, Math.min(255, Math.round((v[((n * 3 + c) * h * w) + i]! + 1) * 127.5)));
    }
    return { width: w, height: h, data };
  });
}

/** t at each of `steps` + 1 grid points, from 1 (noise) down to 0 (data). */
export function timeGrid(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new InputError(`steps must be a positive integer, got ${steps}`);
  return Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
}

/**
 * The flow-matching loss on clean images x0 (B, 3, S, S) with prompt dropout drawn from `rng`.
 * Times are logit-normal (SD3, Esser et al. 2024): more weight on the middle of the path.
 * @example const loss = flowMatchingLoss(model, x0, prompts, rng); loss.backward();
 */
export function flowMatchingLoss(model: FlowUNet, x0: Tensor, prompts: readonly string[], rng: Rng, dropout = PROMPT_DROPOUT): Tensor {
  const b = x0.shape[0]!;
  const used = prompts.map((p) => (rng.chance(dropout) ? '' : p));
  const t = randn([b]).sigmoid(); // (B)
  const noise = randn(x0.shape); // (B, 3, S, S)
  const tt = t.reshape(b, 1, 1, 1);
  const xt = x0.mul(tt.neg().add(1)).add(noise.mul(tt));
  const v = model.forward(xt, t, model.encode(used));
  return v.sub(noise.sub(x0)).square().mean();
}

/** Prompt features for guided sampling: the prompts, then as many null prompts when guidance != 1. */
export function guidedText(model: FlowUNet, prompts: readonly string[], guidance: number): TextFeatures {
  return model.encode(guidance === 1 ? prompts : [...prompts, ...prompts.map(() => '')]);
}

/** Guided velocity v_u + w (v_c - v_u) at x (B, 3, S, S), time t (scalar), from `guidedText` features. */
export function guidedVelocity(model: FlowUNet, x: Tensor, t: number, text: TextFeatures, guidance: number): Tensor {
  const b = x.shape[0]!;
  if (guidance === 1) return model.forward(x, tensor(new Float32Array(b).fill(t), [b]), text);
  const v = model.forward(cat([x, x], 0), tensor(new Float32Array(2 * b).fill(t), [2 * b]), text); // (2B, 3, S, S)
  const vc = v.slice(0, 0, b);
  const vu = v.slice(0, b, 2 * b);
  return vu.add(vc.sub(vu).mul(guidance));
}

export interface SampleOptions {
  readonly steps?: number;
  readonly guidance?: number;
  /** Seeds the starting noise: same seed, same images. */
  readonly seed?: number;
}

/**
 * Euler ODE sampling from noise to images (no gradients).
 * @example const imgs = sampleImages(model, ['a photo of a red circle'], { steps: 16, guidance: 2, seed: 1 });
 */
export function sampleImages(model: FlowUNet, prompts: readonly string[], opts: SampleOptions = {}): RgbImage[] {
  return tidy(() => tensorToImages(sampleTensor(model, prompts, opts)));
}

/** Euler ODE sampling returning the final x (B, 3, S, S) in [-1, 1]. */
export function sampleTensor(model: FlowUNet, prompts: readonly string[], opts: SampleOptions = {}, start?: Tensor): Tensor {
  const steps = opts.steps ?? DEFAULT_STEPS;
  const w = opts.guidance ?? DEFAULT_GUIDANCE;
  const s = model.config.imageSize;
  return noGrad(() => tidy(() => {
    if (opts.seed !== undefined) manualSeed(opts.seed);
    let x = start ?? randn([prompts.length, 3, s, s]);
    const text = guidedText(model, prompts, w);
    const grid = timeGrid(steps);
    for (let i = 0; i < steps; i++) {
      const prev = x;
      x = tidy(() => prev.add(guidedVelocity(model, prev, grid[i]!, text, w).mul(grid[i + 1]! - grid[i]!)));
    }
    return x;
  }));
}

/** The SDE's transition from t to tPrev < t: Gaussian with this mean (B, 3, S, S) and scalar std. */
export interface SdeTransition {
  readonly mean: Tensor;
  readonly std: number;
}

/**
 * Flow-GRPO's reverse SDE step (Liu et al. 2025, eq. 9) with the same marginals as the ODE:
 * mean = x + [v + sigma^2 / (2t) (x + (1 - t) v)] dt, std = sigma sqrt(-dt),
 * sigma = eta sqrt(t / (1 - t)), dt = tPrev - t < 0. eta = 0 is the Euler ODE step.
 * @example const { mean, std } = sdeTransition(x, v, 1, 0.9, 0.7);
 */
export function sdeTransition(x: Tensor, v: Tensor, t: number, tPrev: number, eta: number): SdeTransition {
  const dt = tPrev - t;
  const tc = Math.min(t, SDE_T_MAX);
  const sigma = eta * Math.sqrt(tc / (1 - tc));
  const k = (sigma * sigma) / (2 * t);
  const mean = x.add(v.add(x.add(v.mul(1 - t)).mul(k)).mul(dt));
  return { mean, std: sigma * Math.sqrt(-dt) };
}

/**
 * Log-density of x under N(mean, std^2 I), averaged over the non-batch dimensions (as
 * Flow-GRPO does, so ratios stay well scaled): (B, ...) -> (B).
 * @example gaussianLogProb(x, mean, 0.1) // (B)
 */
export function gaussianLogProb(x: Tensor, mean: Tensor, std: number): Tensor {
  const b = x.shape[0]!;
  return x.sub(mean).square().mul(-0.5 / (std * std)).sub(Math.log(std) + 0.5 * LOG_2PI).reshape(b, -1).mean(1);
}

/** A sampled SDE trajectory: states from noise to image, and per-step log-probabilities. */
export interface SdeTrajectory {
  /** steps + 1 states (B, 3, S, S), xs[0] the noise, xs[steps] the image. Kept out of scopes: dispose them. */
  readonly xs: Tensor[];
  /** Per step (B): log p_old(x_{i+1} | x_i). */
  readonly logps: number[][];
  readonly grid: number[];
}

export interface SdeOptions extends SampleOptions {
  readonly eta?: number;
}

/**
 * Samples with the SDE, recording every state and each step's log-probability (no gradients).
 * @example const traj = sampleSde(model, prompts, { steps: 10, eta: 0.7, seed: 3 });
 */
export function sampleSde(model: FlowUNet, prompts: readonly string[], opts: SdeOptions = {}): SdeTrajectory {
  const steps = opts.steps ?? DEFAULT_STEPS;
  const w = opts.guidance ?? DEFAULT_GUIDANCE;
  const eta = opts.eta ?? DEFAULT_ETA;
  const s = model.config.imageSize;
  const grid = timeGrid(steps);
  return noGrad(() => {
    if (opts.seed !== undefined) manualSeed(opts.seed);
    const xs = [keep(randn([prompts.length, 3, s, s]))];
    const logps: number[][] = [];
    const text = tidy(() => guidedText(model, prompts, w));
    for (let i = 0; i < steps; i++) {
      const x = xs[i]!;
      const [next, lp] = tidy(() => {
        const v = guidedVelocity(model, x, grid[i]!, text, w);
        const { mean, std } = sdeTransition(x, v, grid[i]!, grid[i + 1]!, eta);
        const nx = mean.add(randn(mean.shape).mul(std));
        return [nx, gaussianLogProb(nx, mean, std)] as const;
      });
      xs.push(keep(next));
      logps.push(Array.from(lp.toArray()));
      lp.dispose();
    }
    for (const t of [text.tokens, text.mask, text.pooled]) t.dispose();
    return { xs, logps, grid };
  });
}

/**
 * log p_theta(xNext | x) for one SDE step, with gradients (GRPO's policy term), and the mean
 * (for the KL to a reference model).
 */
export function sdeStepLogProb(model: FlowUNet, x: Tensor, xNext: Tensor, t: number, tPrev: number, text: TextFeatures, guidance: number, eta: number): { logp: Tensor; mean: Tensor; std: number } {
  const v = guidedVelocity(model, x, t, text, guidance);
  const { mean, std } = sdeTransition(x, v, t, tPrev, eta);
  return { logp: gaussianLogProb(xNext, mean, std), mean, std };
}
