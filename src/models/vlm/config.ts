/**
 * The tiny VLM's configuration and the roles that mark each part of a sequence.
 */
import { ConfigError } from '../../errors.js';

/** Roles of sequence segments; each has a learned embedding. */
export const ROLES = ['prompt', 'text', 'answer', 'reference', 'candidate', 'condition', 'example-reference', 'example-candidate'] as const;
export type Role = (typeof ROLES)[number];

export interface VlmConfig {
  readonly kind: 'rd-vlm';
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlpRatio: number;
  /** Image side in pixels (square RGB). */
  readonly imageSize: number;
  /** Patch side: an image becomes (imageSize/patch)^2 tokens. */
  readonly patch: number;
  /** Channels of the 3x3 convolution before patchifying. */
  readonly stemChannels: number;
  /**
   * The image stem: 'patch' is one 3x3 convolution then a patch-sized linear patchify (a token
   * sees 6x6 pixels); 'conv' is a 3x3 convolution then stride-2 3x3 convolutions doubling the
   * channels down to the patch grid and a 1x1 projection (a token sees past its patch, and shape
   * features come much sooner in training, as in "Early convolutions help transformers see better").
   */
  readonly stem: 'patch' | 'conv';
  /**
   * Initial scale of the role embeddings of image and video segments (a table of their own).
   * Image features are ~10x larger than GPT-2-sized (0.02) embeddings, so a 0.02 role vector
   * is drowned and a pairwise model cannot tell its reference from its candidate for hundreds
   * of steps. 0 shares the text role table (checkpoints from before this setting).
   */
  readonly mediaRoleStd: number;
  /** Most video frames a sequence can hold; frames are pooled 2x2 to a quarter of the tokens. */
  readonly maxFrames: number;
  /** Longest text segment (positions are counted within a segment). */
  readonly maxTextLen: number;
  readonly dropout: number;
  /** The tokenizer's words (specials first); stored so a checkpoint carries its vocabulary. */
  readonly vocab: readonly string[];
  /** Adds the scalar Bradley-Terry head (regressive baseline). */
  readonly scalarHead: boolean;
}

export const DEFAULT_VLM_CONFIG: Omit<VlmConfig, 'vocab'> = {
  kind: 'rd-vlm',
  dim: 64,
  layers: 3,
  heads: 4,
  mlpRatio: 4,
  imageSize: 32,
  patch: 4,
  stemChannels: 16,
  stem: 'conv',
  mediaRoleStd: 0.3,
  maxFrames: 8,
  maxTextLen: 64,
  dropout: 0,
  scalarHead: true,
};

/** Merges overrides into the defaults; unknown keys and impossible shapes are ConfigErrors. */
export function vlmConfig(overrides: Partial<VlmConfig> & { vocab: readonly string[] }): VlmConfig {
  const known = new Set([...Object.keys(DEFAULT_VLM_CONFIG), 'vocab']);
  for (const k of Object.keys(overrides)) if (!known.has(k)) throw new ConfigError(`unknown VLM config key '${k}' (known: ${[...known].join(', ')})`);
  const c: VlmConfig = { ...DEFAULT_VLM_CONFIG, ...overrides };
  if (!(c.mediaRoleStd >= 0)) throw new ConfigError(`mediaRoleStd must be >= 0, got ${c.mediaRoleStd}`);
  if (c.stem !== 'patch' && c.stem !== 'conv') throw new ConfigError(`stem must be 'patch' or 'conv', got '${String(c.stem)}'`);
  if (c.stem === 'conv' && !Number.isInteger(Math.log2(c.patch))) throw new ConfigError(`the conv stem needs a power-of-two patch, got ${c.patch}`);
  if (c.dim % c.heads !== 0) throw new ConfigError(`dim ${c.dim} must be divisible by heads ${c.heads}`);
  if (c.imageSize % c.patch !== 0 || (c.imageSize / c.patch) % 2 !== 0) throw new ConfigError(`imageSize ${c.imageSize} must be an even multiple of patch ${c.patch}`);
  return c;
}

/** Tokens per image and per video frame. */
export function tokensPerImage(c: VlmConfig): number {
  return (c.imageSize / c.patch) ** 2;
}
export function tokensPerFrame(c: VlmConfig): number {
  return tokensPerImage(c) / 4;
}

/** The model config inside a checkpoint's config.json (which also holds training fields). */
export function vlmConfigFromJson(raw: Record<string, unknown>): VlmConfig {
  const picked: Record<string, unknown> = {};
  for (const k of [...Object.keys(DEFAULT_VLM_CONFIG), 'vocab']) if (raw[k] !== undefined) picked[k] = raw[k];
  if (!Array.isArray(picked.vocab)) throw new ConfigError('checkpoint config has no vocab list');
  // checkpoints written before these settings had the patch stem and no media role table
  picked.stem ??= 'patch';
  picked.mediaRoleStd ??= 0;
  return vlmConfig(picked as Partial<VlmConfig> & { vocab: string[] });
}
