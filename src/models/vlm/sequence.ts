/**
 * Sequences for the tiny VLM: a list of segments (text or media, each with a role) followed by
 * an answer. Attention is block-causal by segment: tokens see their own segment fully and every
 * earlier segment, so image tokens attend bidirectionally within the image, and a shared
 * prefix (instruction, prompt, reference) never depends on what follows: its keys and values
 * can be cached and reused for many candidates with identical results.
 */
import { ShapeError } from '../../errors.js';
import { mediaFrames, type Media } from '../../data/image.js';
import { ANS_ID, PAD_ID } from '../../data/tokenizer.js';
import { tensor, type Tensor } from '../../tensor/index.js';
import type { Role, VlmConfig } from './config.js';
import { tokensPerFrame, tokensPerImage } from './config.js';

/**
 * A text or media segment. A media segment (a still image) may carry `labels`: one target token
 * id per image token (IGNORE_INDEX for none), read by grounded pretraining.
 */
export type Segment = { readonly kind: 'text'; readonly role: Role; readonly ids: readonly number[] } | { readonly kind: 'media'; readonly role: Role; readonly media: Media; readonly labels?: readonly number[] };

/** One training or scoring example: segments, then answer tokens (targets). */
export interface SequenceSpec {
  readonly segments: readonly Segment[];
  /** Answer token ids predicted after <ans> (empty when only scoring the first answer token). */
  readonly answer: readonly number[];
  /** Per-answer-token loss weights (default 1). */
  readonly answerWeights?: readonly number[];
}

/** A segment of a batch as tensors. */
export type BatchSegment =
  | { kind: 'text'; role: Role; ids: Tensor; pad: boolean[][]; length: number }
  | { kind: 'image'; role: Role; pixels: Tensor; length: number }
  | { kind: 'video'; role: Role; frames: Tensor; length: number; nFrames: number };

/** A batch of same-layout sequences, ready for the model. */
export interface VlmBatch {
  readonly size: number;
  /** Prefix segments, the last being the [<ans>] text segment. */
  readonly segments: BatchSegment[];
  /** Answer inputs a_0..a_{n-2} (B, La-1) or null when La <= 1. */
  readonly answerInputs: Tensor | null;
  /** Targets at <ans> and each answer input (B, La), -100 where padded; null when no answer. */
  readonly targets: Tensor | null;
  /** Loss weights (B, La) or null. */
  readonly weights: Tensor | null;
  /** Targets of image tokens (B, T), IGNORE_INDEX elsewhere; null when no segment has labels. */
  readonly tokenTargets: Tensor | null;
  /** Additive attention mask (B, 1, T, T). */
  readonly mask: Tensor;
  /** Total sequence length T. */
  readonly length: number;
  /** Index of the <ans> position. */
  readonly ansIndex: number;
}

export const IGNORE_INDEX = -100;

/** Pixels of images (N, 3, S, S) in [0, 1]. */
export function imagesToTensor(images: readonly { width: number; height: number; data: Uint8Array }[], size: number): Tensor {
  const n = images.length;
  const out = new Float32Array(n * 3 * size * size);
  images.forEach((img, k) => {
    if (img.width !== size || img.height !== size) throw new ShapeError(`image ${k} is ${img.width}x${img.height}, the model expects ${size}x${size} (resize it, or use a model trained at that size)`);
    const base = k * 3 * size * size;
    const plane = size * size;
    for (let i = 0; i < plane; i++) {
      out[base + i] = img.data[i * 3]! / 255;
      out[base + plane + i] = img.data[i * 3 + 1]! / 255;
      out[base + 2 * plane + i] = img.data[i * 3 + 2]! / 255;
    }
  });
  return tensor(out, [n, 3, size, size]);
}

function layoutKey(s: SequenceSpec): string {
  return s.segments.map((g) => (g.kind === 'text' ? `t:${g.role}` : `${g.media.kind}:${g.role}:${mediaFrames(g.media).length}`)).join('|');
}

/** Groups specs by layout so each group can be batched. */
export function groupByLayout<T extends SequenceSpec>(specs: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const s of specs) {
    const k = layoutKey(s);
    const g = groups.get(k);
    if (g) g.push(s);
    else groups.set(k, [s]);
  }
  return [...groups.values()];
}

/**
 * One media segment for a batch: the same kind of media in every row (images, or videos with
 * equal frame counts), as pixels (B, 3, S, S) or frames (B, F, 3, S, S). Shared-prefix scoring
 * builds its candidates with it alone, without a whole batch's attention mask.
 */
export function mediaSegment(medias: readonly Media[], role: Role, config: VlmConfig): Extract<BatchSegment, { kind: 'image' | 'video' }> {
  const first = medias[0];
  if (!first) throw new ShapeError('mediaSegment: no media');
  if (first.kind === 'image') {
    for (const m of medias) if (m.kind !== 'image') throw new ShapeError(`media in a batch must be all images or all videos (got an image and a ${m.kind})`);
    const pixels = imagesToTensor(medias.map((m) => mediaFrames(m)[0]!), config.imageSize);
    return { kind: 'image', role, pixels, length: tokensPerImage(config) };
  }
  const nFrames = mediaFrames(first).length;
  if (nFrames > config.maxFrames) throw new ShapeError(`a video has ${nFrames} frames, the model takes at most ${config.maxFrames}`);
  const flat = medias.flatMap((m) => {
    const fr = mediaFrames(m);
    if (fr.length !== nFrames) throw new ShapeError(`videos in a batch must have equal frame counts (${nFrames} vs ${fr.length})`);
    return [...fr];
  });
  const frames = imagesToTensor(flat, config.imageSize).reshape(medias.length, nFrames, 3, config.imageSize, config.imageSize);
  return { kind: 'video', role, frames, length: nFrames * tokensPerFrame(config), nFrames };
}

/**
 * Tensors for a batch of same-layout sequences. Text segments are right-padded to the longest
 * in the batch (padded keys are masked); answers are padded with IGNORE_INDEX targets.
 */
export function buildBatch(specs: readonly SequenceSpec[], config: VlmConfig): VlmBatch {
  const first = specs[0];
  if (!first) throw new ShapeError('buildBatch: empty batch');
  const key = layoutKey(first);
  for (const s of specs) if (layoutKey(s) !== key) throw new ShapeError(`buildBatch: sequences have different layouts (${key} vs ${layoutKey(s)}); group them with groupByLayout`);
  const b = specs.length;
  const segments: BatchSegment[] = [];
  const segIds: number[] = [];
  const padCols: boolean[][] = specs.map(() => []);
  let segNo = 0;
  const allSegs = [...first.segments, { kind: 'text', role: 'answer', ids: [ANS_ID] } as Segment];
  const labelled: { row: number; at: number; labels: readonly number[] }[] = [];
  allSegs.forEach((seg, si) => {
    if (seg.kind === 'text') {
      const rows = specs.map((s) => (si < s.segments.length ? (s.segments[si] as Extract<Segment, { kind: 'text' }>).ids : [ANS_ID]));
      const len = Math.max(1, ...rows.map((r) => r.length));
      if (len > config.maxTextLen) throw new ShapeError(`a text segment has ${len} tokens, over the model's maxTextLen ${config.maxTextLen}`);
      const ids = new Int32Array(b * len);
      const pad: boolean[][] = rows.map((r, i) => {
        const p: boolean[] = [];
        for (let j = 0; j < len; j++) {
          ids[i * len + j] = j < r.length ? r[j]! : PAD_ID;
          p.push(j >= r.length);
          padCols[i]!.push(j >= r.length);
        }
        return p;
      });
      segments.push({ kind: 'text', role: seg.role, ids: tensor(ids, [b, len], 'int64'), pad, length: len });
      for (let j = 0; j < len; j++) segIds.push(segNo);
    } else {
      const medias = specs.map((s) => (s.segments[si] as Extract<Segment, { kind: 'media' }>).media);
      const ms = mediaSegment(medias, seg.role, config);
      const len = ms.length;
      if (ms.kind === 'image') {
        specs.forEach((s, row) => {
          const labels = (s.segments[si] as Extract<Segment, { kind: 'media' }>).labels;
          if (!labels) return;
          if (labels.length !== len) throw new ShapeError(`image labels have ${labels.length} entries, the image has ${len} tokens`);
          labelled.push({ row, at: segIds.length, labels });
        });
      }
      segments.push(ms);
      for (let j = 0; j < len; j++) segIds.push(segNo);
      padCols.forEach((p) => p.push(...new Array<boolean>(len).fill(false)));
    }
    segNo++;
  });
  const ansIndex = segIds.length - 1;
  // answers: inputs a_0..a_{n-2}, each its own segment (causal)
  const la = Math.max(0, ...specs.map((s) => s.answer.length));
  let answerInputs: Tensor | null = null;
  let targets: Tensor | null = null;
  let weights: Tensor | null = null;
  if (la > 0) {
    const tgt = new Int32Array(b * la).fill(IGNORE_INDEX);
    const w = new Float32Array(b * la);
    const inp = new Int32Array(b * Math.max(0, la - 1));
    specs.forEach((s, i) => {
      s.answer.forEach((t, j) => {
        tgt[i * la + j] = t;
        w[i * la + j] = s.answerWeights?.[j] ?? 1;
        if (j < la - 1) inp[i * (la - 1) + j] = t;
      });
      for (let j = 0; j < la - 1; j++) padCols[i]!.push(j >= s.answer.length - 1);
    });
    targets = tensor(tgt, [b, la], 'int64');
    weights = tensor(w, [b, la]);
    if (la > 1) answerInputs = tensor(inp, [b, la - 1], 'int64');
    for (let j = 0; j < la - 1; j++) segIds.push(segNo++);
  }
  const t = segIds.length;
  const m = new Float32Array(b * t * t);
  for (let i = 0; i < b; i++) {
    const pads = padCols[i]!;
    for (let q = 0; q < t; q++) {
      const row = (i * t + q) * t;
      for (let k = 0; k < t; k++) if (segIds[k]! > segIds[q]! || pads[k]) m[row + k] = Number.NEGATIVE_INFINITY;
    }
  }
  let tokenTargets: Tensor | null = null;
  if (labelled.length > 0) {
    const tt = new Int32Array(b * t).fill(IGNORE_INDEX);
    for (const l of labelled) tt.set(l.labels, l.row * t + l.at);
    tokenTargets = tensor(tt, [b, t], 'int64');
  }
  return { size: b, segments, answerInputs, targets, weights, tokenTargets, mask: tensor(m, [b, 1, t, t]), length: t, ansIndex };
}
