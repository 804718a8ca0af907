/**
 * A weighted mean of differentiable rewards, for ReFL against several judges at once (a reward
 * ensemble: the generator has to please every judge, so an error one of them makes is worth less
 * to it; Coste et al. 2023 found ensembles curb over-optimisation). The same weights and id form
 * as the non-differentiable `combinedModel` (rewards/combine.ts). Pairwise parts get the
 * references; pointwise parts score the candidate alone.
 */
import { InputError } from '../../errors.js';
import { combinationId, validateWeights } from '../../rewards/combine.js';
import type { Tensor } from '../../tensor/index.js';
import type { DifferentiableReward } from './types.js';

/** A part of a combined differentiable reward. */
export interface WeightedReward {
  readonly reward: DifferentiableReward;
  readonly weight: number;
}

/**
 * sum_i w_i r_i(images) / sum_i w_i, differentiable in the images; pairwise when any part with a
 * positive weight is.
 * @example const r = new CombinedReward([{ reward: a, weight: 1 }, { reward: b, weight: 1 }]);
 */
export class CombinedReward implements DifferentiableReward {
  readonly id: string;
  readonly mode: 'pairwise' | 'pointwise';
  private readonly total: number;

  constructor(readonly parts: readonly WeightedReward[], id?: string) {
    validateWeights(parts.map((p) => p.weight));
    this.total = parts.reduce((s, p) => s + p.weight, 0);
    this.id = id ?? combinationId(parts.map((p) => ({ weight: p.weight, id: p.reward.id })));
    this.mode = parts.some((p) => p.weight > 0 && p.reward.mode === 'pairwise') ? 'pairwise' : 'pointwise';
  }

  rewardTensor(images: Tensor, prompts: readonly string[], references?: Tensor): Tensor {
    if (this.mode === 'pairwise' && !references) throw new InputError(`${this.id} has a pairwise part: rewardTensor needs one reference image per candidate`);
    let sum: Tensor | null = null;
    for (const p of this.parts) {
      if (p.weight === 0) continue;
      const r = p.reward.rewardTensor(images, prompts, p.reward.mode === 'pairwise' ? references : undefined).mul(p.weight / this.total); // (B)
      sum = sum === null ? r : sum.add(r);
    }
    return sum!; // validateWeights guarantees a positive weight
  }

  /** Disposes every part (parts that share a model with a caller-owned one free nothing). */
  dispose(): void {
    for (const p of this.parts) p.reward.dispose?.();
  }
}
