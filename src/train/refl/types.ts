/**
 * What ReFL needs from a reward model: a reward as a tensor with gradients back to the
 * pixels. Local VLM checkpoints implement it (FrozenVlmReward in vlm-reward.ts: the real
 * P(yes | instruction, prompt, [reference,] candidate) as a differentiable function of the image).
 */
import type { Tensor } from '../../tensor/index.js';

/**
 * A reward differentiable in the image.
 * @example const r = rm.rewardTensor(images, prompts); r.mean().neg().backward();
 */
export interface DifferentiableReward {
  readonly id: string;
  /** Pairwise models need `references`; pointwise ones ignore them. */
  readonly mode: 'pairwise' | 'pointwise';
  /**
   * images (B, 3, 32, 32) in [0, 1] with autograd history; prompts (B); references (B, 3, 32, 32)
   * in [0, 1] without gradients (pairwise only) -> rewards (B) in [0, 1] (P(yes)), differentiable
   * with respect to `images`. The reward model stays frozen: no gradient may reach its
   * parameters, and their requiresGrad flags must be as they were when the call returns (they
   * may be switched off for the duration of the forward pass). Must not dispose its inputs;
   * runs inside the caller's `tidy`.
   */
  rewardTensor(images: Tensor, prompts: readonly string[], references?: Tensor): Tensor;
  dispose?(): void;
}
