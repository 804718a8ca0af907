/**
 * What ReFL needs from a reward model: a reward as a tensor with gradients back to the
 * pixels. The VLM engineer's local reward models implement this (see report: the real
 * P(yes | [reference,] candidate, prompt) as a differentiable function of the image).
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
   * with respect to `images`. Must not switch the model's parameters' requiresGrad, and must not
   * dispose its inputs; runs inside the caller's `tidy`.
   */
  rewardTensor(images: Tensor, prompts: readonly string[], references?: Tensor): Tensor;
  dispose?(): void;
}
