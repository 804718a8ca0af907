/**
 * Flow-GRPO for rewards without gradients: pure math and the trainer.
 */
export { groupAdvantages, clippedLoss, clippedObjective, gaussianKl, ADV_EPS } from './math.js';
export { trainGrpo, grpoConfig, DEFAULT_GRPO_CONFIG, type GrpoConfig, type GrpoRun, type GrpoStepMetrics } from './train.js';
