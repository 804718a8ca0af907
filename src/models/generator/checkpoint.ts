/**
 * Generator checkpoints: a folder with config.json (the GeneratorConfig) and model.safetensors,
 * through nn's atomic saveCheckpoint.
 */
import { CheckpointError } from '../../errors.js';
import { loadWeights, readCheckpointConfig, saveCheckpoint } from '../../nn/index.js';
import { GENERATOR_KIND, validateGeneratorConfig, type GeneratorConfig } from './config.js';
import { FlowUNet } from './unet.js';

/**
 * Loads a generator folder.
 * @example const g = loadGenerator('models/rd-gen-t2i');
 */
export function loadGenerator(dir: string): FlowUNet {
  const raw = readCheckpointConfig(dir);
  if (raw.kind !== GENERATOR_KIND) throw new CheckpointError(`${dir}: config kind is '${String(raw.kind)}', expected a generator ('${GENERATOR_KIND}')`);
  const model = new FlowUNet(validateGeneratorConfig(raw));
  loadWeights(dir, model);
  return model.eval();
}

/** Saves a generator (and optional trainer state) atomically. */
export function saveGenerator(dir: string, model: FlowUNet, extra: { trainer?: Record<string, unknown>; optimizer?: Parameters<typeof saveCheckpoint>[1]['optimizer'] } = {}): void {
  saveCheckpoint(dir, { config: { ...model.config }, model, ...extra });
}

export type { GeneratorConfig };
