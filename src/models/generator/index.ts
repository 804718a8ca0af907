/**
 * The text-conditional rectified-flow generator: config, text encoder, U-Net, sampling
 * (Euler ODE and the GRPO SDE with log-probabilities) and checkpoints.
 */
export { DEFAULT_GENERATOR_CONFIG, GENERATOR_KIND, GENERATOR_PRESETS, generatorConfig, validateGeneratorConfig, type GeneratorConfig } from './config.js';
export { TextEncoder, tokenizePrompt, encodeBatch, TEXT_VOCAB, CLS_ID, PAD_ID, type TextFeatures } from './text.js';
export { FlowUNet, timeFeatures } from './unet.js';
export {
  imagesToTensor,
  tensorToImages,
  timeGrid,
  flowMatchingLoss,
  guidedText,
  guidedVelocity,
  sampleImages,
  sampleTensor,
  sdeTransition,
  gaussianLogProb,
  sampleSde,
  sdeStepLogProb,
  DEFAULT_STEPS,
  DEFAULT_GUIDANCE,
  DEFAULT_ETA,
  PROMPT_DROPOUT,
  type SampleOptions,
  type SdeOptions,
  type SdeTrajectory,
  type SdeTransition,
} from './flow.js';
export { loadGenerator, saveGenerator } from './checkpoint.js';
