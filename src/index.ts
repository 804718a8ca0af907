/**
 * rewarddance's public entry. Grouped by layer; each group is also importable on its own.
 * Importing this module loads the libtorch addon but runs nothing else.
 * @example
 * import { loadRewardModel, imageMedia, readImage } from 'rewarddance';
 * const rm = await loadRewardModel('models/rd-rm-tiny');
 * const [r] = await rm.score([{ task: 't2i', prompt: 'a photo of a red circle', candidate: imageMedia(await readImage('a.png')), reference: imageMedia(await readImage('b.png')) }]);
 */

// errors
export { AppError, ConfigError, InputError, ShapeError, CheckpointError, HttpError, TensorError } from './errors.js';

// compute core and layers
export * as tensor from './tensor/index.js';
export * as nn from './nn/index.js';

// media, datasets, tokenizer
export { imageMedia, videoMedia, mediaFrames, readImage, writePng, decodeImage, encodePng, type RgbImage, type Media } from './data/image.js';
export { readManifest, writeManifest, type PairRecord, type Task, type Criterion, type Split, TASKS, CRITERIA, SPLITS } from './data/manifest.js';
export { Tokenizer } from './data/tokenizer.js';

// the world
export * as world from './world/index.js';
export type { GenevalMetadata, GenevalTag } from './world/types.js';

// reward models
export type { RewardModel, RewardQuery, RewardResult, CotMode } from './rewards/types.js';
export { loadRewardModel } from './rewards/load.js';
export { LocalVlmRewardModel, loadVlmCheckpoint } from './rewards/generative.js';
export { FrozenVlmReward } from './train/refl/vlm-reward.js';
export { createRemoteRewardModel } from './rewards/remote.js';
export { TinyVlm } from './models/vlm/model.js';
export { vlmConfig, type VlmConfig } from './models/vlm/config.js';
export { VlmScorer, type Paradigm } from './models/vlm/scorer.js';
export { VLM_PRESETS } from './presets/vlm.js';

// training and selection
export { trainRewardModel, DEFAULT_RM_TRAIN_CONFIG, type RmTrainConfig } from './train/reward/trainer.js';
export { evaluatePairs, type RmEvaluation } from './train/reward/evaluate.js';
export { selectBest, SELECT_METHODS, type SelectMethod } from './select/select.js';
export { bestOfN } from './select/best-of-n.js';
export { bestOfNOracle, sampleCandidates, type BonOracleReport, type BonOracleOptions, type BonSelector } from './select/best-of-n-oracle.js';
export { roundRobin } from './select/tournament.js';

// serving and reports
export { buildServer, type RewardServer, type ServerOptions } from './serve/app.js';
export { writeReport } from './eval/report/index.js';
