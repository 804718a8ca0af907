/**
 * Neural-network functions over tensors (the `F` of torch.nn.functional): linear, convolution,
 * normalisation, embeddings, losses, dropout, interpolation and attention.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { native } from './native.js';
import { full } from './create.js';
import { Tensor, wrapOp } from './tensor.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

/** y = x W^T + b. x (..., in), W (out, in), b (out). */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  return wrapOp('linear', () => native.linear(x.h, w.h, b ? b.h : null), [x, w]);
}

/** 2-D convolution. x (B, Cin, H, W), w (Cout, Cin/groups, kh, kw). */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number } = {}): Tensor {
  return wrapOp('conv2d', () => native.conv2d(x.h, w.h, b ? b.h : null, pair(opts.stride ?? 1), pair(opts.padding ?? 0), pair(opts.dilation ?? 1), opts.groups ?? 1), [x, w]);
}

/** Transposed 2-D convolution. w (Cin, Cout/groups, kh, kw). */
export function convTranspose2d(
  x: Tensor,
  w: Tensor,
  b?: Tensor | null,
  opts: { stride?: Pair; padding?: Pair; outputPadding?: Pair; dilation?: Pair; groups?: number } = {},
): Tensor {
  return wrapOp(
    'convTranspose2d',
    () => native.convTranspose2d(x.h, w.h, b ? b.h : null, pair(opts.stride ?? 1), pair(opts.padding ?? 0), pair(opts.outputPadding ?? 0), opts.groups ?? 1, pair(opts.dilation ?? 1)),
    [x, w],
  );
}

/** Layer normalisation over the trailing `normalizedShape` dims. */
export function layerNorm(x: Tensor, normalizedShape: number[], w?: Tensor | null, b?: Tensor | null, eps = 1e-5): Tensor {
  return wrapOp('layerNorm', () => native.layerNorm(x.h, normalizedShape, w ? w.h : null, b ? b.h : null, eps), [x]);
}

/** Group normalisation over channels of x (B, C, ...). */
export function groupNorm(x: Tensor, groups: number, w?: Tensor | null, b?: Tensor | null, eps = 1e-5): Tensor {
  return wrapOp('groupNorm', () => native.groupNorm(x.h, groups, w ? w.h : null, b ? b.h : null, eps), [x]);
}

/** Rows of `weight` (V, D) picked by integer `indices`. */
export function embedding(weight: Tensor, indices: Tensor): Tensor {
  return wrapOp('embedding', () => native.embedding(weight.h, indices.h), [weight, indices]);
}

/**
 * Cross-entropy of logits (N, C) against int64 targets (N); targets equal to `ignoreIndex`
 * do not count.
 */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  opts: { ignoreIndex?: number; reduction?: 'mean' | 'sum' | 'none'; labelSmoothing?: number } = {},
): Tensor {
  return wrapOp('crossEntropy', () => native.crossEntropy(logits.h, target.h, opts.ignoreIndex ?? -100, opts.reduction ?? 'mean', opts.labelSmoothing ?? 0), [logits, target]);
}

/** Binary cross-entropy on logits. */
export function bceWithLogits(logits: Tensor, target: Tensor, reduction: 'mean' | 'sum' | 'none' = 'mean'): Tensor {
  return wrapOp('bceWithLogits', () => native.bceWithLogits(logits.h, target.h, reduction), [logits, target]);
}

/** Mean squared error. */
export function mseLoss(a: Tensor, b: Tensor): Tensor {
  return wrapOp('mseLoss', () => native.mseLoss(a.h, b.h), [a, b]);
}

/** Inverted dropout: zeroes with probability p and rescales, only when `training`. */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  if (p < 0 || p >= 1) throw new ConfigError(`dropout probability must be in [0, 1), got ${p}`);
  return wrapOp('dropout', () => native.dropout(x.h, p, training), [x]);
}

/** Resizes x (B, C, H, W) to `size` (H', W'). */
export function interpolate(x: Tensor, size: [number, number], mode: 'nearest' | 'bilinear' = 'nearest'): Tensor {
  return wrapOp('interpolate', () => native.interpolate(x.h, size, mode), [x]);
}

/** Average pooling over (kernel x kernel) windows. */
export function avgPool2d(x: Tensor, kernel: Pair, stride?: Pair): Tensor {
  return wrapOp('avgPool2d', () => native.avgPool2d(x.h, pair(kernel), pair(stride ?? kernel)), [x]);
}

/**
 * Scaled dot-product attention. q (B, H, Tq, Dh), k and v (B, H, Tk, Dh); `mask` is an additive
 * float mask broadcastable to (B, H, Tq, Tk) (0 keeps, -inf blocks).
 * @example const out = scaledDotProductAttention(q, k, v, causalMask(T)); // (B, H, T, Dh)
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, mask?: Tensor | null): Tensor {
  const qs = q.shape;
  const ks = k.shape;
  if (qs.length !== 4 || ks.length !== 4 || qs[3] !== ks[3]) {
    throw new ShapeError(`attention: q and k must be (B, H, T, Dh) with equal Dh, got [${qs.join(', ')}] and [${ks.join(', ')}]`);
  }
  const scale = 1 / Math.sqrt(qs[3] ?? 1);
  let scores = q.matmul(k.transpose(-2, -1)).mul(scale); // (B, H, Tq, Tk)
  if (mask) scores = scores.add(mask);
  return scores.softmax(-1).matmul(v); // (B, H, Tq, Dh)
}

/** Additive causal mask (T, T): 0 on and below the diagonal, -inf above. */
export function causalMask(t: number): Tensor {
  const filled = full([t, t], Number.NEGATIVE_INFINITY);
  const mask = filled.triu(1);
  filled.dispose();
  return mask;
}
