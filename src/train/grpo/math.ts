/**
 * GRPO's pure math (Shao et al. 2024; Flow-GRPO, Liu et al. 2025): group-normalised
 * advantages, the clipped ratio objective and the KL between two Gaussians of equal
 * variance (the SDE's policy and the frozen reference at the same state).
 */
import { InputError } from '../../errors.js';
import type { Tensor } from '../../tensor/index.js';

/** Added to a group's standard deviation so that an all-equal group gives zero advantages, not NaN. */
export const ADV_EPS = 1e-4;

/**
 * (r - mean(group)) / (std(group) + eps) for consecutive groups of `groupSize` rewards.
 * @example groupAdvantages([1, 0, 0.5, 0.5], 2) // [~1, ~-1, 0, 0]
 */
export function groupAdvantages(rewards: readonly number[], groupSize: number, eps = ADV_EPS): number[] {
  if (!Number.isInteger(groupSize) || groupSize < 1 || rewards.length % groupSize !== 0) {
    throw new InputError(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${groupSize}`);
  }
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const grp = rewards.slice(g, g + groupSize);
    const mean = grp.reduce((a, b) => a + b, 0) / groupSize;
    const std = Math.sqrt(grp.reduce((a, b) => a + (b - mean) ** 2, 0) / groupSize);
    for (const r of grp) out.push((r - mean) / (std + eps));
  }
  return out;
}

/**
 * PPO's clipped surrogate as a loss to minimise, per element: -min(rho A, clip(rho, 1-e, 1+e) A),
 * on plain numbers (for tests and reports).
 * @example clippedLoss(1.5, 1, 0.2) // -1.2
 */
export function clippedLoss(ratio: number, adv: number, clip: number): number {
  return -Math.min(ratio * adv, Math.min(Math.max(ratio, 1 - clip), 1 + clip) * adv);
}

/** The clipped surrogate over tensors: ratio (B), adv (B) -> mean loss (scalar). */
export function clippedObjective(ratio: Tensor, adv: Tensor, clip: number): Tensor {
  const unclipped = ratio.mul(adv);
  const clipped = ratio.clamp(1 - clip, 1 + clip).mul(adv);
  return unclipped.minimum(clipped).neg().mean();
}

/**
 * KL(N(a, s^2 I) || N(b, s^2 I)) averaged over non-batch dimensions: (a - b)^2 / (2 s^2),
 * (B, ...) -> (B).
 */
export function gaussianKl(meanA: Tensor, meanB: Tensor, std: number): Tensor {
  const b = meanA.shape[0]!;
  return meanA.sub(meanB).square().reshape(b, -1).mean(1).div(2 * std * std);
}
