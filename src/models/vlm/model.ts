/**
 * The tiny VLM: a patch encoder and a word embedding feed a pre-norm transformer with
 * block-causal attention by segment; the LM head predicts the next token, and the reward is
 * P("yes") at the <ans> position. An optional scalar head on the same hidden state is the
 * regressive Bradley-Terry baseline.
 */
import { Embedding, LayerNorm, Linear, Module, ModuleList, TransformerBlock, type KvEntry } from '../../nn/index.js';
import { arange, cat, F, tensor, type Tensor } from '../../tensor/index.js';
import { ROLES, type VlmConfig } from './config.js';
import { ImageEncoder } from './encoder.js';
import type { BatchSegment, VlmBatch } from './sequence.js';

/** Per-layer key/value caches of a prefix. */
export type PrefixCache = KvEntry[];

export class TinyVlm extends Module {
  readonly tok: Embedding;
  readonly textPos: Embedding;
  readonly role: Embedding;
  /** Role embeddings of media segments (null: they share `role`, as checkpoints before config.mediaRoleStd). */
  readonly mediaRole: Embedding | null;
  readonly encoder: ImageEncoder;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly lnf: LayerNorm;
  readonly head: Linear;
  readonly scalar: Linear | null;

  constructor(readonly config: VlmConfig) {
    super();
    const d = config.dim;
    this.tok = this.child('tok', new Embedding(config.vocab.length, d));
    this.textPos = this.child('text_pos', new Embedding(config.maxTextLen, d));
    this.role = this.child('role', new Embedding(ROLES.length, d));
    this.mediaRole = config.mediaRoleStd > 0 ? this.child('media_role', new Embedding(ROLES.length, d, { std: config.mediaRoleStd })) : null;
    this.encoder = this.child('encoder', new ImageEncoder(config));
    this.blocks = this.child('blocks', new ModuleList(Array.from({ length: config.layers }, () => new TransformerBlock(d, config.heads, { mlpRatio: config.mlpRatio, dropout: config.dropout }))));
    this.lnf = this.child('lnf', new LayerNorm(d));
    this.head = this.child('head', new Linear(d, config.vocab.length, { bias: false }));
    this.scalar = config.scalarHead ? this.child('scalar', new Linear(d, 1)) : null;
  }

  private roleVector(role: string, media = false): Tensor {
    const table = media && this.mediaRole ? this.mediaRole : this.role;
    return table.weight.select(0, ROLES.indexOf(role as (typeof ROLES)[number]));
  }

  /** Embeds text ids (B, L) with positions 0..L-1 within the segment and the segment's role. */
  embedText(ids: Tensor, role: string): Tensor {
    const len = ids.shape[1]!;
    return this.tok.forward(ids).add(this.textPos.forward(arange(0, len))).add(this.roleVector(role)); // (B, L, D)
  }

  /** Embeds one batch segment. */
  embedSegment(s: BatchSegment): Tensor {
    if (s.kind === 'text') return this.embedText(s.ids, s.role);
    if (s.kind === 'image') return this.encoder.encodeImages(s.pixels).add(this.roleVector(s.role, true));
    return this.encoder.encodeFrames(s.frames).add(this.roleVector(s.role, true));
  }

  /** The whole input sequence (B, T, D): prefix segments then answer inputs. */
  embed(batch: VlmBatch): Tensor {
    const parts = batch.segments.map((s) => this.embedSegment(s));
    if (batch.answerInputs) parts.push(this.embedAnswer(batch.answerInputs, 1));
    return parts.length === 1 ? parts[0]! : cat(parts, 1);
  }

  /** Answer tokens (B, L) starting at answer position `offset` (the <ans> token is position 0). */
  embedAnswer(ids: Tensor, offset: number): Tensor {
    const len = ids.shape[1]!;
    return this.tok.forward(ids).add(this.textPos.forward(arange(offset, offset + len))).add(this.roleVector('answer'));
  }

  /** Runs the transformer; with `caches`, each layer prepends and records its keys/values. */
  transform(x: Tensor, mask: Tensor, caches?: (KvEntry | null)[]): Tensor {
    let h = x;
    this.blocks.items.forEach((b, i) => {
      h = b.forward(h, mask, caches ? { entry: caches[i] ?? null, set: (e) => (caches[i] = e) } : undefined);
    });
    return this.lnf.forward(h);
  }

  /** Final hidden states (B, T, D). */
  hidden(batch: VlmBatch): Tensor {
    return this.transform(this.embed(batch), batch.mask);
  }

  /** Logits from <ans> onwards (B, La, V) (La = 1 when the batch has no answer inputs). */
  answerLogits(batch: VlmBatch): Tensor {
    const h = this.hidden(batch);
    return this.head.forward(h.slice(1, batch.ansIndex));
  }

  /** Hidden state at <ans> (B, D): what the yes/no token and the scalar head read. */
  ansHidden(batch: VlmBatch): Tensor {
    return this.hidden(batch).select(1, batch.ansIndex);
  }

  /** The scalar reward (B) of the regressive head. */
  scalarReward(h: Tensor): Tensor {
    if (!this.scalar) throw new Error('this model has no scalar head (config.scalarHead is false)');
    return this.scalar.forward(h).squeeze(-1);
  }

  /**
   * Runs prefix segments for one row and returns per-layer caches (1, H, Tp, Dh) to reuse with
   * `forwardWithPrefix` for many continuations.
   */
  prefixCache(segments: BatchSegment[]): { cache: PrefixCache; length: number; last: Tensor } {
    const x = cat(segments.map((s) => this.embedSegment(s)), 1);
    const segIds: number[] = [];
    segments.forEach((s, i) => {
      for (let j = 0; j < s.length; j++) segIds.push(i);
    });
    const t = segIds.length;
    const m = new Float32Array(t * t);
    for (let q = 0; q < t; q++) for (let k = 0; k < t; k++) if (segIds[k]! > segIds[q]!) m[q * t + k] = Number.NEGATIVE_INFINITY;
    const caches: (KvEntry | null)[] = this.blocks.items.map(() => null);
    const h = this.transform(x, tensor(m, [1, 1, t, t]), caches);
    return { cache: caches as KvEntry[], length: t, last: h.select(1, t - 1) };
  }

  /**
   * Continues cached prefixes with `segments` (B rows); `cache` rows must be 1 (broadcast) or B.
   * Returns final hidden states of the continuation (B, Ts, D) and the extended caches.
   * Segments are block-causal.
   */
  forwardWithPrefix(cache: PrefixCache, prefixLength: number, segments: { x: Tensor; length: number }[]): { hidden: Tensor; cache: PrefixCache } {
    const x = cat(segments.map((s) => s.x), 1);
    const b = x.shape[0]!;
    const segIds: number[] = [];
    segments.forEach((s, i) => {
      for (let j = 0; j < s.length; j++) segIds.push(i);
    });
    const ts = segIds.length;
    const total = prefixLength + ts;
    const m = new Float32Array(ts * total);
    for (let q = 0; q < ts; q++) for (let k = 0; k < ts; k++) if (segIds[k]! > segIds[q]!) m[q * total + prefixLength + k] = Number.NEGATIVE_INFINITY;
    const caches: (KvEntry | null)[] = cache.map((e) => {
      const rows = e.k.shape[0]!;
      if (rows === b) return e;
      const [, hh, tp, dh] = e.k.shape as [number, number, number, number];
      return { k: e.k.expand(b, hh, tp, dh), v: e.v.expand(b, hh, tp, dh) };
    });
    const hidden = this.transform(x, tensor(m, [1, 1, ts, total]), caches);
    return { hidden, cache: caches as KvEntry[] };
  }

  /** Logits over the vocabulary for hidden states. */
  logits(h: Tensor): Tensor {
    return this.head.forward(h);
  }
}

/** Cross-entropy over answer tokens with per-token weights; returns the mean over weighted tokens. */
export function answerLoss(logits: Tensor, targets: Tensor, weights: Tensor): Tensor {
  const [b, la, v] = logits.shape as [number, number, number];
  const ce = F.crossEntropy(logits.reshape(b * la, v), targets.reshape(b * la), { reduction: 'none' }); // (B*La)
  const w = weights.reshape(b * la);
  return ce.mul(w).sum().div(w.sum().clamp(1e-6, null));
}
