/**
 * Prompt text for the generator: a word tokenizer over the world's closed vocabulary
 * (WORLD_WORDS) with a [CLS] token, and a small transformer encoder returning per-token
 * features (for cross-attention) and a pooled vector (for FiLM). The empty prompt (only
 * [CLS]) is the unconditional input of classifier-free guidance.
 */
import { InputError } from '../../errors.js';
import { Embedding, LayerNorm, Module, ModuleList, TransformerBlock } from '../../nn/index.js';
import { arange, tensor, type Tensor } from '../../tensor/index.js';
import { WORLD_WORDS } from '../../world/captions.js';

/** Token ids: padding, the always-present [CLS], then the world's words in sorted order. */
export const PAD_ID = 0;
export const CLS_ID = 1;
const FIRST_WORD_ID = 2;
/** Additive mask value for padded keys (large and finite so that no row is all -inf). */
const MASK_NEG = -1e9;

const wordIdCache = new WeakMap<readonly string[], Map<string, number>>();

/** Word -> token id for a vocabulary (cached per word list). */
function wordIds(words: readonly string[]): Map<string, number> {
  let m = wordIdCache.get(words);
  if (!m) {
    m = new Map(words.map((w, i) => [w, i + FIRST_WORD_ID]));
    wordIdCache.set(words, m);
  }
  return m;
}

/** Size of the token vocabulary of a word list (the world's current words by default). */
export function textVocabSize(words: readonly string[] = WORLD_WORDS): number {
  return words.length + FIRST_WORD_ID;
}

/** Size of the token vocabulary over the world's current words. */
export const TEXT_VOCAB = textVocabSize();

/**
 * Token ids of a prompt: [CLS] then one id per word; '' gives [CLS] only (the null prompt).
 * @example tokenizePrompt('a photo of a red circle') // [1, id('a'), id('photo'), ...]
 */
export function tokenizePrompt(prompt: string, maxTokens: number, vocabulary: readonly string[] = WORLD_WORDS): number[] {
  const words = prompt.toLowerCase().trim().split(/\s+/).filter((w) => w !== '');
  const known = wordIds(vocabulary);
  const ids = [CLS_ID];
  for (const w of words) {
    const id = known.get(w);
    if (id === undefined) throw new InputError(`prompt '${prompt}': the word '${w}' is not in the world's vocabulary (the generator knows the ${vocabulary.length} words its checkpoint lists)`);
    ids.push(id);
  }
  if (ids.length > maxTokens) throw new InputError(`prompt '${prompt}' has ${ids.length - 1} words; the generator takes at most ${maxTokens - 1}`);
  return ids;
}

/** A batch of prompts as padded ids (B, L) int64 and a float key mask (B, 1, 1, L): 0 keeps, -1e9 pads. */
export function encodeBatch(prompts: readonly string[], maxTokens: number, vocabulary: readonly string[] = WORLD_WORDS): { ids: Tensor; mask: Tensor; keep: Tensor } {
  const rows = prompts.map((p) => tokenizePrompt(p, maxTokens, vocabulary));
  const len = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Array<number>(rows.length * len).fill(PAD_ID);
  const keepArr = new Array<number>(rows.length * len).fill(0);
  rows.forEach((r, b) => r.forEach((id, i) => {
    ids[b * len + i] = id;
    keepArr[b * len + i] = 1;
  }));
  const keep = tensor(keepArr, [rows.length, len]);
  const mask = keep.sub(1).mul(-MASK_NEG).reshape(rows.length, 1, 1, len); // 0 keep, -1e9 pad
  return { ids: tensor(ids, [rows.length, len], 'int64'), mask, keep };
}

/** Token features and a pooled vector for a prompt batch. */
export interface TextFeatures {
  /** (B, L, D) */
  readonly tokens: Tensor;
  /** (B, 1, 1, L) additive key mask */
  readonly mask: Tensor;
  /** (B, D) mean over real tokens */
  readonly pooled: Tensor;
}

/** Word embeddings + learned positions + pre-norm transformer blocks. */
export class TextEncoder extends Module {
  readonly tok: Embedding;
  readonly pos: Embedding;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly ln: LayerNorm;
  constructor(readonly dim: number, readonly layers: number, readonly heads: number, readonly maxTokens: number, readonly words: readonly string[] = WORLD_WORDS) {
    super();
    this.tok = this.child('tok', new Embedding(textVocabSize(words), dim));
    this.pos = this.child('pos', new Embedding(maxTokens, dim));
    this.blocks = this.child('blocks', new ModuleList(Array.from({ length: layers }, () => new TransformerBlock(dim, heads))));
    this.ln = this.child('ln', new LayerNorm(dim));
  }

  /** prompts -> tokens (B, L, D), mask (B, 1, 1, L), pooled (B, D) */
  forward(prompts: readonly string[]): TextFeatures {
    const { ids, mask, keep } = encodeBatch(prompts, this.maxTokens, this.words);
    const [b, l] = ids.shape as [number, number];
    let x = this.tok.forward(ids).add(this.pos.forward(arange(0, l))); // (B, L, D)
    for (const blk of this.blocks.items) x = blk.forward(x, mask);
    x = this.ln.forward(x); // (B, L, D)
    const w = keep.reshape(b, l, 1); // (B, L, 1)
    const pooled = x.mul(w).sum(1).div(w.sum(1)); // (B, D)
    return { tokens: x, mask, pooled };
  }
}
