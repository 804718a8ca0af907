/**
 * The tiny VLM family: one recipe, sizes spanning ~60x in parameters. Widths and depths grow
 * together (as in InternVL's 1B-26B family); heads keep a head size of 16-32. Parameter counts
 * are printed by `rewarddance rm presets` and listed in the README.
 */
import { ConfigError } from '../errors.js';
import type { VlmConfig } from '../models/vlm/config.js';

export type VlmSize = Pick<VlmConfig, 'dim' | 'layers' | 'heads' | 'stemChannels'>;

export const VLM_PRESETS = {
  /** smallest that still trains stably (2 layers, 32 wide) */
  'rd-xs': { dim: 32, layers: 2, heads: 2, stemChannels: 8 },
  /** DESIGN.md's calibration size (~0.1M) */
  'rd-s': { dim: 48, layers: 3, heads: 3, stemChannels: 12 },
  /** the shipped reward model's size: best accuracy per CPU-minute in calibration */
  'rd-m': { dim: 64, layers: 4, heads: 4, stemChannels: 16 },
  'rd-l': { dim: 128, layers: 6, heads: 4, stemChannels: 24 },
  /** largest: ~60x rd-xs, hours on 2 cores */
  'rd-xl': { dim: 256, layers: 8, heads: 8, stemChannels: 32 },
} as const satisfies Record<string, VlmSize>;

export type VlmPresetName = keyof typeof VLM_PRESETS;

export function vlmPreset(name: string): VlmSize {
  const p = (VLM_PRESETS as Record<string, VlmSize>)[name];
  if (!p) throw new ConfigError(`unknown preset '${name}' (known: ${Object.keys(VLM_PRESETS).join(', ')})`);
  return p;
}

/**
 * The peak learning rate of visual pretraining for a model width. 2e-3 pretrained rd-xs to rd-l
 * (final losses 0.21-0.25 after 3000 steps in the PyTorch twin), but rd-xl (width 256) plateaued
 * at loss 0.75 with it, and every reward model fine-tuned from that checkpoint stayed at chance;
 * at 7e-4 it reached 0.17, the lowest of the ladder (docs/results/rm-ladder-twin-2026-11-27.md).
 * @example pretrainLrFor(vlmPreset('rd-xl')) // 7e-4
 */
export function pretrainLrFor(size: Pick<VlmSize, 'dim'>): number {
  return size.dim >= 256 ? 7e-4 : 2e-3;
}
