/**
 * Layers: Linear, Embedding, LayerNorm, Conv2d, multi-head attention (with an optional
 * key/value cache for incremental decoding), MLP and a pre-norm transformer block.
 */
import { ShapeError } from '../errors.js';
import { cat, F, type Tensor } from '../tensor/index.js';
import { fanInUniform, normalInit, onesInit, zerosInit, DEFAULT_INIT_STD } from './init.js';
import { Module } from './module.js';

/** y = x W^T + b. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; std?: number } = {}) {
    super();
    this.weight = this.param('weight', normalInit([outFeatures, inFeatures], opts.std ?? DEFAULT_INIT_STD));
    this.bias = opts.bias === false ? null : this.param('bias', zerosInit([outFeatures]), false);
  }
  /** x (..., in) -> (..., out) */
  forward(x: Tensor): Tensor {
    const last = x.shape.at(-1);
    if (last !== this.inFeatures) throw new ShapeError(`Linear(${this.inFeatures} -> ${this.outFeatures}): input's last dimension is ${last}, shape [${x.shape.join(', ')}]`);
    return F.linear(x, this.weight, this.bias);
  }
}

/** A lookup table of `num` vectors of size `dim`. */
export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(readonly num: number, readonly dim: number, opts: { std?: number; decay?: boolean } = {}) {
    super();
    this.weight = this.param('weight', normalInit([num, dim], opts.std ?? DEFAULT_INIT_STD), opts.decay ?? true);
  }
  /** idx (...) int64 -> (..., dim) */
  forward(idx: Tensor): Tensor {
    return F.embedding(this.weight, idx);
  }
}

/** Layer normalisation over the last dimension. */
export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param('weight', onesInit([dim]), false);
    this.bias = this.param('bias', zerosInit([dim]), false);
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}

/** Group normalisation over (B, C, ...) with a learned per-channel gain and bias. */
export class GroupNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly channels: number, readonly groups: number) {
    super();
    this.weight = this.param('weight', onesInit([channels]), false);
    this.bias = this.param('bias', zerosInit([channels]), false);
  }
  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.groups, this.weight, this.bias);
  }
}

/** 2-D convolution with square kernels. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly opts: { stride?: number; padding?: number; bias?: boolean; groups?: number } = {},
  ) {
    super();
    const groups = opts.groups ?? 1;
    const fanIn = (inChannels / groups) * kernel * kernel;
    this.weight = this.param('weight', fanInUniform([outChannels, inChannels / groups, kernel, kernel], fanIn));
    this.bias = opts.bias === false ? null : this.param('bias', fanInUniform([outChannels], fanIn), false);
  }
  /** x (B, Cin, H, W) -> (B, Cout, H', W') */
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.opts.stride ?? 1, padding: this.opts.padding ?? 0, groups: this.opts.groups ?? 1 });
  }
}

/** Cached keys and values of earlier positions, per layer: k, v (B, H, T, Dh). */
export interface KvEntry {
  k: Tensor;
  v: Tensor;
}

/** Multi-head self-attention with a fused QKV projection. */
export class MultiHeadAttention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly headDim: number;
  constructor(readonly dim: number, readonly heads: number, readonly dropout = 0) {
    super();
    if (dim % heads !== 0) throw new ShapeError(`attention: dim ${dim} is not divisible by ${heads} heads`);
    this.headDim = dim / heads;
    this.qkv = this.child('qkv', new Linear(dim, 3 * dim));
    this.proj = this.child('proj', new Linear(dim, dim));
  }
  /**
   * x (B, T, C); mask additive, broadcastable to (B, H, T, Tk). With `cache`, keys and values
   * of earlier positions are prepended and the cache entry is replaced by the longer one.
   */
  forward(x: Tensor, mask?: Tensor | null, cache?: { entry: KvEntry | null; set(e: KvEntry): void }): Tensor {
    const [b, t, c] = x.shape as [number, number, number];
    const qkv = this.qkv.forward(x).reshape(b, t, 3, this.heads, this.headDim).permute(2, 0, 3, 1, 4); // (3, B, H, T, Dh)
    const q = qkv.select(0, 0);
    let k = qkv.select(0, 1);
    let v = qkv.select(0, 2);
    if (cache) {
      if (cache.entry) {
        k = cat([cache.entry.k, k], 2);
        v = cat([cache.entry.v, v], 2);
      }
      cache.set({ k, v });
    }
    let y = F.scaledDotProductAttention(q, k, v, mask); // (B, H, T, Dh)
    y = y.transpose(1, 2).reshape(b, t, c);
    y = this.proj.forward(y);
    return this.training && this.dropout > 0 ? F.dropout(y, this.dropout, true) : y;
  }
}

/** Two-layer perceptron with GELU. */
export class Mlp extends Module {
  readonly fc: Linear;
  readonly out: Linear;
  constructor(readonly dim: number, readonly hidden: number, readonly dropout = 0) {
    super();
    this.fc = this.child('fc', new Linear(dim, hidden));
    this.out = this.child('out', new Linear(hidden, dim));
  }
  forward(x: Tensor): Tensor {
    const y = this.out.forward(this.fc.forward(x).gelu('tanh'));
    return this.training && this.dropout > 0 ? F.dropout(y, this.dropout, true) : y;
  }
}

/** Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x)). */
export class TransformerBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: Mlp;
  constructor(dim: number, heads: number, opts: { mlpRatio?: number; dropout?: number } = {}) {
    super();
    this.ln1 = this.child('ln1', new LayerNorm(dim));
    this.attn = this.child('attn', new MultiHeadAttention(dim, heads, opts.dropout ?? 0));
    this.ln2 = this.child('ln2', new LayerNorm(dim));
    this.mlp = this.child('mlp', new Mlp(dim, Math.round(dim * (opts.mlpRatio ?? 4)), opts.dropout ?? 0));
  }
  /** x (B, T, C) -> (B, T, C) */
  forward(x: Tensor, mask?: Tensor | null, cache?: { entry: KvEntry | null; set(e: KvEntry): void }): Tensor {
    const h = x.add(this.attn.forward(this.ln1.forward(x), mask, cache));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }
}
