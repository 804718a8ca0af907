/**
 * Generator pretraining and evaluation with the oracle.
 */
export { trainGenerator, generatorTrainConfig, worldBatch, DEFAULT_GENERATOR_TRAIN_CONFIG, GENERATOR_TRAIN_PRESETS, type GeneratorTrainConfig, type TrainResult, type TrainEvents } from './train.js';
export { evaluateGenerator, oracleJudge, heldOutPrompts, wilson, HELD_OUT_SEED, DEFAULT_EVAL_SAMPLES, type OracleEval, type EvalOptions } from './evaluate.js';
