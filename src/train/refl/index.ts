/**
 * ReFL: reward feedback learning through the last denoising step, against a
 * DifferentiableReward (local VLM checkpoints: FrozenVlmReward), with pairwise references
 * from a Best-of-N tournament of the pretrained generator's samples.
 */
export type { DifferentiableReward } from './types.js';
export { reflStep, reflConfig, predictWithGrad, DEFAULT_REFL_CONFIG, type ReflConfig, type ReflStepResult } from './train.js';
export { CombinedReward, type WeightedReward } from './combined.js';
export { FrozenVlmReward, REWARD_ORDERS, type RewardOrders, type VlmRewardOptions } from './vlm-reward.js';
export { ReferenceCache, MAX_REFERENCE_CANDIDATES, type ReferenceOptions } from './references.js';
export { trainRefl, reflRunConfig, DEFAULT_REFL_RUN_CONFIG, type ReflRun, type ReflRunConfig, type ReflStepMetrics } from './run.js';
