/**
 * Generator configuration: the rectified-flow U-Net's sizes and the text encoder's, as a
 * typed value with presets. Unknown override keys are ConfigErrors; checkpoints store it.
 */
import { ConfigError } from '../../errors.js';
import { WORLD_WORDS } from '../../world/captions.js';

/** The checkpoint kind written into config.json. */
export const GENERATOR_KIND = 'rd-flow-generator';

export interface GeneratorConfig {
  readonly kind: typeof GENERATOR_KIND;
  /** Image side in pixels (square RGB images). */
  readonly imageSize: number;
  /** U-Net channels at each resolution (32, 16, 8 for three levels). */
  readonly channels: readonly number[];
  /** Width of the time + pooled-text conditioning vector fed to every residual block (FiLM). */
  readonly embDim: number;
  /** Text encoder width. */
  readonly textDim: number;
  /** Text encoder transformer layers. */
  readonly textLayers: number;
  /** Attention heads (text encoder and the U-Net's cross-attention). */
  readonly heads: number;
  /** Longest prompt in tokens, the [CLS] token included. */
  readonly maxTokens: number;
  /** Group-norm groups (clipped to divide each channel count). */
  readonly groups: number;
  /**
   * The prompt words the text encoder knows, in token-id order (ids 2..). Stored in the
   * checkpoint so a model keeps reading its prompts after the world's vocabulary grows.
   */
  readonly words: readonly string[];
}

/**
 * The default (`small`) size, about 0.56M parameters, sized for a 25-minute run on a shared
 * 2-core machine. It drew ragged blobs (oracle 0.031 after 500 steps), so the shipped
 * models/rd-gen-t2i is the `base` preset since 2026-11-27 (DESIGN.md 8).
 */
export const DEFAULT_GENERATOR_CONFIG: GeneratorConfig = {
  kind: GENERATOR_KIND,
  imageSize: 32,
  channels: [32, 48, 64],
  embDim: 96,
  textDim: 64,
  textLayers: 2,
  heads: 4,
  maxTokens: 16,
  groups: 8,
  words: WORLD_WORDS,
};

/**
 * Named presets: `tiny` for tests (a few thousand parameters, milliseconds a step), `small` the
 * default (0.56M), `base` (wider at 16x16 and 8x8, where a 32x32 image's shapes are decided;
 * the 32x32 level stays at 32 channels because its convolutions dominate the step time) for a
 * generator that draws recognisable shapes.
 */
export const GENERATOR_PRESETS: Readonly<Record<string, GeneratorConfig>> = {
  tiny: { ...DEFAULT_GENERATOR_CONFIG, channels: [8, 16, 16], embDim: 16, textDim: 16, textLayers: 1, heads: 2, groups: 4 },
  small: DEFAULT_GENERATOR_CONFIG,
  base: { ...DEFAULT_GENERATOR_CONFIG, channels: [32, 96, 128], embDim: 128 },
};

/**
 * A config from a preset name and overrides; unknown keys and bad values are ConfigErrors.
 * @example generatorConfig('tiny', { embDim: 32 }).embDim // 32
 */
export function generatorConfig(preset = 'small', overrides: Record<string, unknown> = {}): GeneratorConfig {
  const base = GENERATOR_PRESETS[preset];
  if (!base) throw new ConfigError(`unknown generator preset '${preset}'; known: ${Object.keys(GENERATOR_PRESETS).join(', ')}`);
  return validateGeneratorConfig({ ...base, ...overrides });
}

/** Checks a config read from JSON (a checkpoint) or built from overrides. */
export function validateGeneratorConfig(v: Record<string, unknown>): GeneratorConfig {
  for (const k of Object.keys(v)) {
    if (!(k in DEFAULT_GENERATOR_CONFIG)) throw new ConfigError(`generator config: unknown key '${k}' (known: ${Object.keys(DEFAULT_GENERATOR_CONFIG).join(', ')})`);
  }
  const c = { ...DEFAULT_GENERATOR_CONFIG, ...v } as GeneratorConfig;
  if ((c.kind as string) !== GENERATOR_KIND) throw new ConfigError(`generator config: kind must be '${GENERATOR_KIND}', got '${String(v.kind)}'`);
  const posInt = (name: keyof GeneratorConfig, x: unknown): void => {
    if (!Number.isInteger(x) || (x as number) < 1) throw new ConfigError(`generator config: ${name} must be a positive integer, got ${String(x)}`);
  };
  for (const k of ['imageSize', 'embDim', 'textDim', 'textLayers', 'heads', 'maxTokens', 'groups'] as const) posInt(k, c[k]);
  if (!Array.isArray(c.channels) || c.channels.length !== 3) throw new ConfigError(`generator config: channels must list 3 levels, got ${JSON.stringify(c.channels)}`);
  c.channels.forEach((ch) => posInt('channels', ch));
  if (!Array.isArray(c.words) || c.words.length === 0 || !c.words.every((w) => typeof w === 'string' && w !== '') || new Set(c.words).size !== c.words.length) {
    throw new ConfigError('generator config: words must be a non-empty list of distinct words (the text encoder\'s vocabulary)');
  }
  if (c.imageSize % 4 !== 0) throw new ConfigError(`generator config: imageSize must be divisible by 4 (two downsamplings), got ${c.imageSize}`);
  if (c.textDim % c.heads !== 0 || c.channels[2]! % c.heads !== 0) throw new ConfigError(`generator config: textDim and the last channel count must be divisible by heads (${c.heads})`);
  return c;
}
