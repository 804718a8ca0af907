/**
 * The tiny VLM: a patch encoder and a word embedding feed a pre-norm transformer with
 * block-causal attention by segment; the LM head predicts the next token, and the reward is
 * P("yes") at the <ans> position. An optional scalar head on the same hidden state is the
 * regressive Bradley-Terry baseline.
 */
import { Embedding, LayerNorm, Linear, Module, ModuleList, TransformerBlock, type KvEntry } from '../../nn/index.js';
import { arange, cat, F, isGradEnabled, tensor, tidy, type Tensor } from '../../tensor/index.js';
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
  transform(x: Tensor, mask: Tensor | null, caches?: (KvEntry | null)[]): Tensor {
    // Without gradients nothing reads a layer's intermediates once it is done: a scope per layer
    // frees them before the next layer allocates, so the allocator hands back blocks still in
    // the CPU caches (scoring ~10-20% faster than holding every layer's scores to the end).
    const perLayer = !isGradEnabled();
    let h = x;
    this.blocks.items.forEach((b, i) => {
      const prev = h;
      const run = (): Tensor => b.forward(prev, mask, caches ? { entry: caches[i] ?? null, set: (e) => (caches[i] = e) } : undefined);
      h = perLayer ? tidy(() => ({ out: run(), entry: caches?.[i] })).out : run();
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
    const t = x.shape[1]!;
    const caches: (KvEntry | null)[] = this.blocks.items.map(() => null);
    const h = this.transform(x, blockCausalMask(segments.map((s) => s.length)), caches);
    return { cache: caches as KvEntry[], length: t, last: h.select(1, t - 1) };
  }

  /**
   * The caches of prefix segments for one row (1, H, Tp, Dh), as `prefixCache` records them, for
   * a prefix that more segments will follow: the last layer computes only its keys and values,
   * since its outputs at prefix positions would feed nothing but the LM head there.
   */
  prefixKeys(segments: BatchSegment[]): { cache: PrefixCache; length: number } {
    const x = cat(segments.map((s) => this.embedSegment(s)), 1);
    const [n, t, d] = x.shape as [number, number, number];
    const mask = blockCausalMask(segments.map((s) => s.length));
    const blocks = this.blocks.items;
    const caches: KvEntry[] = [];
    let h = x;
    for (const b of blocks.slice(0, -1)) {
      const prev = h;
      const r = tidy(() => {
        let entry: KvEntry | null = null;
        const out = b.forward(prev, mask, { entry: null, set: (e) => (entry = e) });
        return { out, entry: entry! };
      });
      caches.push(r.entry);
      h = r.out;
    }
    const last = blocks.at(-1)!;
    const qkv = last.attn.qkv;
    const kv = F.linear(last.ln1.forward(h), qkv.weight.slice(0, d, 3 * d), qkv.bias ? qkv.bias.slice(0, d, 3 * d) : null);
    const kvh = kv.reshape(n, t, 2, last.attn.heads, last.attn.headDim).permute(2, 0, 3, 1, 4); // (2, B, H, T, Dh)
    caches.push({ k: kvh.select(0, 0), v: kvh.select(0, 1) });
    return { cache: caches, length: t };
  }

  /**
   * Continues cached prefixes (rows 1, broadcast, or B) with one segment x (B, Ts, D) and then a
   * last token `last` (B, 1, D), and returns the final hidden state at that token (B, D): the same
   * as `forwardWithPrefix(cache, prefixLength, [x, last])` read at its last position (x sees the
   * prefix and itself, `last` sees everything), computing only what that state depends on. The
   * prefix's keys and values are broadcast to the rows, not recomputed; the scale goes on the
   * queries (Ts+1 rows) rather than on the scores (Ts+1 by the whole length); the last layer
   * runs attention and the MLP for `last` alone, since x's outputs there feed nothing. For
   * inference (no dropout).
   */
  forwardToLast(cache: PrefixCache, x: Tensor, last: Tensor): Tensor {
    const blocks = this.blocks.items;
    const caches = expandCache(cache, x.shape[0]!);
    let h = cat([x, last], 1); // (B, Ts+1, D)
    blocks.forEach((blk, i) => {
      // a scope per layer: its scores and activations are freed before the next layer allocates
      const prev = h;
      h = tidy(() => continueLayer(blk, prev, caches[i]!, i === blocks.length - 1));
    });
    return this.lnf.forward(h).select(1, 0);
  }

  /**
   * Continues cached prefixes with `segments` (B rows); `cache` rows must be 1 (broadcast) or B.
   * Returns final hidden states of the continuation (B, Ts, D) and the extended caches.
   * Segments are block-causal.
   */
  forwardWithPrefix(cache: PrefixCache, prefixLength: number, segments: { x: Tensor; length: number }[]): { hidden: Tensor; cache: PrefixCache } {
    const x = segments.length === 1 ? segments[0]!.x : cat(segments.map((s) => s.x), 1);
    // one segment sees the whole prefix and itself: no mask
    const mask = segments.length === 1 ? null : blockCausalMask(segments.map((s) => s.length), prefixLength);
    const caches: (KvEntry | null)[] = expandCache(cache, x.shape[0]!);
    const hidden = this.transform(x, mask, caches);
    return { hidden, cache: caches as KvEntry[] };
  }

  /** Logits over the vocabulary for hidden states. */
  logits(h: Tensor): Tensor {
    return this.head.forward(h);
  }
}

/**
 * The additive block-causal mask (1, 1, T, prefix + T) of segments of these lengths after
 * `prefix` cached positions: a token sees the prefix, its own segment and earlier segments.
 */
function blockCausalMask(lengths: readonly number[], prefix = 0): Tensor {
  const t = lengths.reduce((a, b) => a + b, 0);
  const total = prefix + t;
  const m = new Float32Array(t * total);
  let start = 0;
  for (const len of lengths) {
    // rows of this segment block every key of the segments after it
    const end = start + len;
    if (end < t) for (let q = start; q < end; q++) m.fill(Number.NEGATIVE_INFINITY, q * total + prefix + end, (q + 1) * total);
    start = end;
  }
  return tensor(m, [1, 1, t, total]);
}

/**
 * One layer of `TinyVlm.forwardToLast`: h (B, Ts+1, D), the segment then the last token, over the
 * layer's cached keys/values (B rows); returns (B, Ts+1, D), or (B, 1, D) for the last layer.
 * The same arithmetic as `TransformerBlock.forward` with the block-causal mask, the 1/sqrt(Dh)
 * scale applied to the queries.
 */
function continueLayer(blk: TransformerBlock, h: Tensor, entry: KvEntry, lastLayer: boolean): Tensor {
  const [b, t, d] = h.shape as [number, number, number];
  const ts = t - 1;
  const heads = blk.attn.heads;
  const scale = 1 / Math.sqrt(d / heads);
  const attend = (q: Tensor, k: Tensor, v: Tensor): Tensor => q.mul(scale).matmul(k.transpose(-2, -1)).softmax(-1).matmul(v);
  const qkv = blk.attn.qkv.forward(blk.ln1.forward(h)).reshape(b, t, 3, heads, d / heads).permute(2, 0, 3, 1, 4); // (3, B, H, Ts+1, Dh)
  const q = qkv.select(0, 0);
  const k = cat([entry.k, qkv.select(0, 1)], 2); // (B, H, Tp+Ts+1, Dh)
  const v = cat([entry.v, qkv.select(0, 2)], 2);
  const tk = k.shape[2]!;
  const yLast = attend(q.slice(2, ts), k, v); // (B, H, 1, Dh): the last token sees everything
  let rest = h;
  let y = yLast;
  if (lastLayer) rest = h.slice(1, ts); // the segment's outputs here feed nothing
  else y = cat([attend(q.slice(2, 0, ts), k.slice(2, 0, tk - 1), v.slice(2, 0, tk - 1)), yLast], 2); // the segment does not see the last token
  const out = rest.add(blk.attn.proj.forward(y.transpose(1, 2).reshape(b, y.shape[2]!, d)));
  return out.add(blk.mlp.forward(blk.ln2.forward(out)));
}

/** Caches with rows 1 broadcast to b rows (a view, not a copy); caches of b rows as they are. */
function expandCache(cache: PrefixCache, b: number): (KvEntry | null)[] {
  return cache.map((e) => {
    if (e.k.shape[0] === b) return e;
    const [, hh, tp, dh] = e.k.shape as [number, number, number, number];
    return { k: e.k.expand(b, hh, tp, dh), v: e.v.expand(b, hh, tp, dh) };
  });
}

/** Cross-entropy over answer tokens with per-token weights; returns the mean over weighted tokens. */
export function answerLoss(logits: Tensor, targets: Tensor, weights: Tensor): Tensor {
  const [b, la, v] = logits.shape as [number, number, number];
  const ce = F.crossEntropy(logits.reshape(b * la, v), targets.reshape(b * la), { reduction: 'none' }); // (B*La)
  const w = weights.reshape(b * la);
  return ce.mul(w).sum().div(w.sum().clamp(1e-6, null));
}
