/**
 * The nn layer: modules, layers, initialisers and checkpoints (safetensors + config).
 */
export { Module, ModuleList } from './module.js';
export { Linear, Embedding, LayerNorm, GroupNorm, Conv2d, MultiHeadAttention, Mlp, TransformerBlock, type KvEntry } from './layers.js';
export { normalInit, fanInUniform, zerosInit, onesInit, DEFAULT_INIT_STD } from './init.js';
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, type EncodeOptions } from './safetensors.js';
export {
  saveCheckpoint,
  exportCheckpoint,
  readCheckpointConfig,
  loadWeights,
  loadOptimizerState,
  MODEL_FILE,
  CONFIG_FILE,
  OPTIMIZER_FILE,
  TRAINER_FILE,
  type CheckpointContent,
} from './checkpoint.js';
