/**
 * The tensor layer: the only importer of the native addon. Re-exports the Tensor type,
 * creation, functional ops, optimizers, scopes and randomness.
 */
export { Tensor, liveTensors, type DType, type Operand, type TypedArrayOf } from './tensor.js';
export * from './create.js';
export * as F from './functional.js';
export { tidy, keep, scopeDepth } from './scope.js';
export { AdamW, DEFAULT_ADAMW_CONFIG, clipGradNorm, lrAt, type AdamWConfig, type NamedParam, type CosineSchedule } from './optim.js';
export { Rng, seedAll } from './random.js';
