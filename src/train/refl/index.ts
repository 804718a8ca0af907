/**
 * ReFL: reward feedback learning through the last denoising step, against a
 * DifferentiableReward.
 */
export type { DifferentiableReward } from './types.js';
export { reflStep, reflConfig, predictWithGrad, DEFAULT_REFL_CONFIG, type ReflConfig, type ReflStepResult } from './train.js';
