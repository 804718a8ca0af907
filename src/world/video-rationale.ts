/**
 * Rationales of the world's video pairs: why the chosen clip beats the rejected one under
 * alignment, motion or consistency, read either from the scene (clip) or from the pixels
 * through the video oracle, so that CoT targets say what the oracle sees.
 */
import type { RgbImage } from '../data/image.js';
import { alignmentRationale, type QualityPart, type RationaleNames } from './captions.js';
import { clausePhrase } from './geneval.js';
import type { Detection } from './score.js';
import type { GenevalMetadata, MotionKind } from './types.js';
import { definitePhrase, motionPhrase, type Clip } from './video.js';
import { analyzeVideo, clipTracks, frameMetadata, motionHolds, scoreClip, scoreVideo, trackIdentity, trackMotion, type ConsistencyScore, type Track, type VideoAnalysis } from './video-oracle.js';

/** What a rationale needs from one video: per-frame detections, tracks and the verdicts. */
export interface Reading {
  readonly dets: readonly (readonly Detection[])[];
  readonly tracks: readonly Track[];
  readonly frameCorrect: readonly boolean[];
  readonly motionOk: readonly boolean[];
  readonly consistency: ConsistencyScore;
  readonly quality?: Readonly<Record<QualityPart, number>>;
}

export function readPixels(frames: readonly RgbImage[], meta: GenevalMetadata): Reading {
  const a: VideoAnalysis = analyzeVideo(frames);
  const s = scoreVideo(a, meta);
  const parts: QualityPart[] = ['shapes', 'sharpness', 'noise', 'cast', 'fragments'];
  const quality = Object.fromEntries(parts.map((k) => [k, a.frames.reduce((acc, f) => acc + f.quality[k], 0) / a.frames.length])) as Record<QualityPart, number>;
  return { dets: a.frames.map((f) => f.objects), tracks: a.tracks, frameCorrect: s.frameCorrect, motionOk: s.motionClauses.map((c) => c.ok), consistency: s.consistency, quality };
}

export function readClip(clip: Clip, meta: GenevalMetadata): Reading {
  const s = scoreClip(clip, meta);
  const tracks = clipTracks(clip);
  const dets = Array.from({ length: clip.frames }, (_, t) =>
    tracks.flatMap((tr) => tr.points.filter((p) => p.frame === t).map((p) => ({ shape: p.shape, color: p.color, x0: p.cx - p.size / 2, y0: p.cy - p.size / 2, x1: p.cx + p.size / 2, y1: p.cy + p.size / 2 }))),
  );
  return { dets, tracks, frameCorrect: s.frameCorrect, motionOk: s.motionClauses.map((c) => c.ok), consistency: s.consistency };
}

/** Why the chosen video follows the prompt's objects better: the first frame the rejected one gets wrong. */
export function videoAlignmentRationale(meta: GenevalMetadata, c: Reading, r: Reading, names: RationaleNames): string {
  // the last frame carries every object clause (appearing objects included); else the first failing frame after the start
  const last = r.frameCorrect.length - 1;
  const t = r.frameCorrect[last] ? r.frameCorrect.findIndex((ok, k) => k > 0 && !ok) : last;
  if (t < 0) return videoMotionRationale(meta, c, r, names);
  const fm = { ...meta, ...frameMetadata(meta, t, r.frameCorrect.length) };
  return alignmentRationale(fm, c.dets[t]!, r.dets[t]!, names);
}

/** What a track does, in rationale words ("moves left quickly", "stays still", "turns blue"). */
function observed(tr: Track | undefined, kind: MotionKind, frames: number): string {
  if (!tr) return 'is missing';
  const mo = trackMotion(tr, frames);
  if (kind === 'appear' && mo.firstFrame === 0) return 'is there from the start';
  if (kind !== 'appear' && mo.firstFrame > 0) return 'appears late';
  if (kind === 'recolor' || mo.startColor !== mo.endColor) return mo.startColor === mo.endColor ? 'keeps its color' : `turns ${mo.endColor}`;
  return mo.speed === 'still' ? 'stays still' : `moves ${mo.direction} ${mo.speed}`;
}

/** Why the chosen video's motion follows the prompt better: the first motion clause the rejected video fails. */
export function videoMotionRationale(meta: GenevalMetadata, c: Reading, r: Reading, names: RationaleNames): string {
  const tail = c.motionOk.every(Boolean) ? ` while ${names.chosen} matches it` : '';
  const k = r.motionOk.findIndex((ok) => !ok);
  const m = meta.motion?.[k];
  if (!m) return `${names.rejected} matches the prompt less well${tail}`;
  const cl = meta.include[m.index]!;
  const frames = r.frameCorrect.length;
  // the clause's object in the rejected video: a track that starts as its class (and colour)
  const cands = r.tracks.filter((tr) => tr.points.length > 0 && trackIdentity(tr, 'start').shape === cl.class && (!cl.color || trackIdentity(tr, 'start').color === cl.color));
  const tr = cands.find((x) => !motionHolds(x, cl, m, frames)) ?? cands[0];
  return `the prompt asks for ${clausePhrase(cl)} ${motionPhrase(m, cl.count > 1, 't2v')} but in ${names.rejected} ${definitePhrase({ class: cl.class, count: 1 })} ${observed(tr, m.kind, frames)}${tail}`;
}

/** Why the chosen video is more consistent: the part where the rejected one falls furthest behind. */
export function consistencyRationale(c: Reading, r: Reading, names: RationaleNames): string {
  const parts = ['identity', 'jumps', 'flicker', 'continuity'] as const;
  let worst: (typeof parts)[number] = 'identity';
  let gap = -Infinity;
  for (const p of parts) {
    const g = c.consistency[p] - r.consistency[p];
    if (g > gap) {
      gap = g;
      worst = p;
    }
  }
  const tail = c.consistency.score > 0.95 ? ` while ${names.chosen} is consistent` : '';
  if (gap <= 0) return `${names.rejected} is slightly less consistent than ${names.chosen}`;
  if (worst === 'flicker') return `${names.rejected} flickers${tail}`;
  if (worst === 'continuity') return `in ${names.rejected} an object disappears${tail}`;
  if (worst === 'jumps') {
    const tr = r.tracks.find((x) => x.points.some((p, k) => k > 0 && Math.hypot(p.cx - x.points[k - 1]!.cx, p.cy - x.points[k - 1]!.cy) > 0.1));
    return `in ${names.rejected} the ${tr ? trackIdentity(tr, 'start').shape : 'object'} jumps${tail}`;
  }
  for (const tr of r.tracks) {
    const a = trackIdentity(tr, 'start');
    const b = trackIdentity(tr, 'end');
    if (a.shape !== b.shape) return `in ${names.rejected} the ${a.shape} changes into a ${b.shape}${tail}`;
    if (a.color !== b.color) return `in ${names.rejected} the ${a.shape} changes from ${a.color} into ${b.color}${tail}`;
  }
  return `in ${names.rejected} an object changes${tail}`;
}
