/**
 * The video oracle: reads frames with the image oracle (pixels only, no scene access), links
 * its objects across frames into tracks, and scores a video record: per-frame alignment
 * (GenEval clauses on every frame, with appearing and recolouring objects checked where the
 * prompt fixes them), motion (each motion clause: direction and speed, still, appearing,
 * colour change) and consistency (identity and colour stable, no jumps, no flicker, no objects
 * vanishing). The same track scoring runs on a clip's ground truth, so the two can be compared
 * clause by clause.
 */
import type { Media, RgbImage } from '../data/image.js';
import { analyzeImage, type ImageAnalysis } from './oracle.js';
import { scoreDetections, type ClauseResult } from './score.js';
import type { Detection } from './score.js';
import type { GenevalMetadata, MotionClause, IncludeClause } from './types.js';
import { DIRECTION_VECTORS, SPEED_TRAVEL, moverAt, videoFrames, type Clip } from './video.js';
import { DIRECTIONS, type Direction, type Speed } from './types.js';

/** One object on one frame. Centre and size are fractions of the side. */
export interface TrackPoint {
  readonly frame: number;
  readonly shape: string;
  readonly color: string;
  readonly cx: number;
  readonly cy: number;
  readonly size: number;
}

/** One object followed over frames (points in frame order; a frame may be missing). */
export interface Track {
  readonly points: readonly TrackPoint[];
}

/** Consistency in [0, 1] (1 = consistent) and its parts. */
export interface ConsistencyScore {
  readonly score: number;
  /** Share of track points that keep their object's shape and colour (prompted colour changes allowed). */
  readonly identity: number;
  /** 1 minus the summed size of sudden position jumps (fractions of the side) over JUMP_ZERO. */
  readonly jumps: number;
  /** 1 minus the summed frame-to-frame brightness changes over FLICKER_ZERO. */
  readonly flicker: number;
  /** 1 minus 0.25 per object that vanishes, blinks out or appears unprompted. */
  readonly continuity: number;
  /** Events behind the parts (for rationales and tests). */
  readonly identityChanges: number;
  readonly jumpCount: number;
  readonly flickerFrames: number;
  readonly breaks: number;
}

/** What the oracle reads from a video. */
export interface VideoAnalysis {
  readonly frames: readonly ImageAnalysis[];
  readonly tracks: readonly Track[];
  /** Mean background brightness per frame (0-255). */
  readonly brightness: readonly number[];
}

/** The verdict on a video record. */
export interface VideoScore {
  /** Every frame satisfies its clauses and every motion clause holds. */
  readonly correct: boolean;
  /** Share of frames whose clauses all hold, and the per-frame verdicts. */
  readonly alignment: number;
  readonly frameCorrect: readonly boolean[];
  /** Share of motion clauses that hold (1 when the record has none), and the clauses. */
  readonly motion: number;
  readonly motionClauses: readonly ClauseResult[];
  readonly consistency: ConsistencyScore;
  /** Mean of the image oracle's quality over frames. */
  readonly quality: number;
}

/** Tracker: a link between objects of the same shape and colour may span this much of the side (teleports included). */
const LINK_SAME = 0.6;
/** A link that changes shape or colour must be this close (an identity change happens in place). */
const LINK_CHANGED = 0.12;
/** Link cost added per changed attribute (shape, colour). */
const CHANGE_COST = 0.3;
/** Cost added for linking across one missing frame. */
const GAP_COST = 0.05;
/** A step deviating from the track's median step by more than this (fraction of the side) is a jump. */
export const JUMP_TOLERANCE = 0.07;
/** Summed jump size at which the jump score reaches 0. */
const JUMP_ZERO = 0.5;
/** Brightness change between frames (0-255) above which a frame counts as flickering. */
export const FLICKER_TOLERANCE = 8;
/** Summed brightness change (above the tolerance) at which the flicker score reaches 0. */
const FLICKER_ZERO = 150;
/** Continuity lost per unexplained break. */
const BREAK_COST = 0.25;
/** Travel over the clip (fraction of the side) below which an object counts as still. */
export const STILL_TRAVEL = 0.08;
/** Travel separating 'slowly' from 'quickly' (midway between SPEED_TRAVEL's values). */
export const SPEED_SPLIT = (SPEED_TRAVEL.slowly + SPEED_TRAVEL.quickly) / 2;
/** Points at the start and end of a track whose majority gives its identity there (one misread frame is outvoted). */
const VOTE_POINTS = 3;

function brightnessOf(a: ImageAnalysis): number {
  return (a.background[0] + a.background[1] + a.background[2]) / 3;
}

interface Open {
  points: TrackPoint[];
}

/**
 * Links per-frame objects into tracks: greedy by cost (distance from the predicted position,
 * plus a cost per changed shape or colour), across at most one missing frame.
 * @example trackObjects(frames.map(analyzeImage)).length
 */
export function trackObjects(frames: readonly ImageAnalysis[]): Track[] {
  const tracks: Open[] = [];
  frames.forEach((a, t) => {
    const side = a.width;
    const pts: TrackPoint[] = a.objects.map((o) => ({ frame: t, shape: o.shape, color: o.color, cx: o.cx / side, cy: o.cy / side, size: (o.x1 - o.x0) / side }));
    const links: { ti: number; pi: number; cost: number }[] = [];
    tracks.forEach((tr, ti) => {
      const last = tr.points[tr.points.length - 1]!;
      const gap = t - last.frame;
      if (gap < 1 || gap > 2) return;
      const prev = tr.points[tr.points.length - 2];
      const vx = prev ? (last.cx - prev.cx) / (last.frame - prev.frame) : 0;
      const vy = prev ? (last.cy - prev.cy) / (last.frame - prev.frame) : 0;
      pts.forEach((p, pi) => {
        const d = Math.hypot(p.cx - (last.cx + vx * gap), p.cy - (last.cy + vy * gap));
        const changes = (p.shape !== last.shape ? 1 : 0) + (p.color !== last.color ? 1 : 0);
        if (d > (changes ? LINK_CHANGED : LINK_SAME)) return;
        links.push({ ti, pi, cost: d + changes * CHANGE_COST + (gap - 1) * GAP_COST });
      });
    });
    links.sort((x, y) => x.cost - y.cost);
    const usedT = new Set<number>();
    const usedP = new Set<number>();
    for (const l of links) {
      if (usedT.has(l.ti) || usedP.has(l.pi)) continue;
      usedT.add(l.ti);
      usedP.add(l.pi);
      tracks[l.ti]!.points.push(pts[l.pi]!);
    }
    pts.forEach((p, pi) => {
      if (!usedP.has(pi)) tracks.push({ points: [p] });
    });
  });
  return tracks;
}

/**
 * Reads a video: the image oracle on every frame, then tracking. Frames must share one size
 * and number at least two (InputError otherwise).
 * @example analyzeVideo(frames).tracks.length
 */
export function analyzeVideo(media: Media | readonly RgbImage[], opts: { expectedFrames?: number } = {}): VideoAnalysis {
  const frames = videoFrames(media, { expected: opts.expectedFrames, where: 'video oracle' }).map((f) => analyzeImage(f));
  return { frames, tracks: trackObjects(frames), brightness: frames.map(brightnessOf) };
}

/** Ground-truth tracks of a clip (one per object, from the spec). */
export function clipTracks(clip: Clip): Track[] {
  return clip.movers.map((m) => ({
    points: Array.from({ length: clip.frames }, (_, t) => moverAt(m, t)).flatMap((o, t): TrackPoint[] => (o ? [{ frame: t, shape: o.shape, color: o.color, cx: o.x, cy: o.y, size: o.w }] : [])),
  }));
}

function mode(xs: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = xs[0]!;
  for (const [k, v] of counts) if (v > counts.get(best)!) best = k;
  return best;
}

/** A track's identity at its start or end (majority of the first or last few points). */
export function trackIdentity(tr: Track, at: 'start' | 'end'): { shape: string; color: string } {
  const pts = at === 'start' ? tr.points.slice(0, VOTE_POINTS) : tr.points.slice(-VOTE_POINTS);
  return { shape: mode(pts.map((p) => p.shape)), color: mode(pts.map((p) => p.color)) };
}

/** What a track does over the clip. */
export interface TrackMotion {
  /** Travel over the whole clip (fraction of the side), extrapolated from the frames it spans. */
  readonly travel: number;
  readonly direction: Direction;
  readonly speed: Speed | 'still';
  readonly firstFrame: number;
  readonly lastFrame: number;
  readonly startColor: string;
  readonly endColor: string;
}

/** Direction, speed and colour change of a track over a clip of `frames` frames. */
export function trackMotion(tr: Track, frames: number): TrackMotion {
  const a = tr.points[0]!;
  const b = tr.points[tr.points.length - 1]!;
  const dx = b.cx - a.cx;
  const dy = b.cy - a.cy;
  const span = b.frame - a.frame;
  const travel = span > 0 ? (Math.hypot(dx, dy) / span) * (frames - 1) : 0;
  let direction: Direction = 'right';
  let best = -Infinity;
  for (const d of DIRECTIONS) {
    const [ux, uy] = DIRECTION_VECTORS[d];
    const dot = dx * ux + dy * uy;
    if (dot > best) {
      best = dot;
      direction = d;
    }
  }
  const speed = travel < STILL_TRAVEL ? 'still' : travel < SPEED_SPLIT ? 'slowly' : 'quickly';
  return { travel, direction, speed, firstFrame: a.frame, lastFrame: b.frame, startColor: trackIdentity(tr, 'start').color, endColor: trackIdentity(tr, 'end').color };
}

/** Whether a track does what a motion clause asks (clause colour is the starting colour). */
export function motionHolds(tr: Track, c: IncludeClause, m: MotionClause, frames: number): boolean {
  const start = trackIdentity(tr, 'start');
  if (start.shape !== c.class) return false;
  if (c.color && start.color !== c.color) return false;
  const mo = trackMotion(tr, frames);
  const spansClip = mo.firstFrame === 0 && mo.lastFrame === frames - 1;
  switch (m.kind) {
    case 'move':
      return spansClip && mo.startColor === mo.endColor && mo.speed === m.speed && mo.direction === m.direction;
    case 'stay':
      return spansClip && mo.startColor === mo.endColor && mo.speed === 'still';
    case 'appear':
      return mo.firstFrame > 0 && mo.lastFrame === frames - 1 && mo.startColor === mo.endColor;
    case 'recolor':
      return spansClip && mo.endColor === m.color && mo.startColor !== mo.endColor;
  }
}

/** Scores every motion clause of a record on tracks: at least `count` tracks of the clause must do it. */
export function scoreMotion(tracks: readonly Track[], meta: Pick<GenevalMetadata, 'include' | 'motion'>, frames: number): ClauseResult[] {
  return (meta.motion ?? []).map((m, index) => {
    const c = meta.include[m.index]!;
    const n = tracks.filter((tr) => tr.points.length > 0 && motionHolds(tr, c, m, frames)).length;
    const ok = n >= c.count;
    return { kind: 'include' as const, index, ok, reason: ok ? '' : `expected ${c.count} ${c.class} ${m.kind}${m.direction ? ` ${m.direction} ${m.speed}` : ''}${m.color ? ` ${m.color}` : ''}, found ${n}` };
  });
}

/**
 * The clauses a record fixes on frame `t` of `frames`: appearing objects are required only
 * on the last frame (and absent on the first), recolouring objects have their starting colour
 * on the first frame, the target on the last and either in between. Relations (position) hold
 * on every frame on which both of their clauses are required; a relation to an appearing
 * object is checked on the last frame only.
 */
export function frameMetadata(meta: Pick<GenevalMetadata, 'include' | 'exclude' | 'motion'>, t: number, frames: number): Pick<GenevalMetadata, 'include' | 'exclude'> {
  const last = t === frames - 1;
  const include: IncludeClause[] = [];
  const exclude = [...(meta.exclude ?? [])];
  // where each kept clause lands in `include` (positions refer to clause indices)
  const moved = new Map<number, number>();
  const kept = meta.include.map((c, i) => {
    const m = meta.motion?.find((x) => x.index === i);
    if (m?.kind === 'appear' && !last) {
      if (t === 0 && !meta.include.some((o, j) => j !== i && o.class === c.class)) exclude.push({ class: c.class, count: 1 });
      return undefined;
    }
    moved.set(i, moved.size);
    if (m?.kind === 'recolor' && t > 0) {
      const { color: _drop, ...rest } = c;
      return last ? { ...rest, color: m.color! } : rest;
    }
    return c;
  });
  for (const c of kept) {
    if (!c) continue;
    if (!c.position) {
      include.push(c);
      continue;
    }
    const { position, ...rest } = c;
    const target = moved.get(position[1]);
    include.push(target === undefined ? rest : { ...rest, position: [position[0], target] });
  }
  return { include, exclude };
}

/** Per-frame alignment verdicts from per-frame detections. */
export function frameAlignment(frames: readonly (readonly Detection[])[], meta: Pick<GenevalMetadata, 'include' | 'exclude' | 'motion'>): boolean[] {
  return frames.map((dets, t) => scoreDetections(dets, frameMetadata(meta, t, frames.length)).correct);
}

/** The prompted colour changes of a record, as (class, target colour) keys. */
function allowedRecolors(meta: Pick<GenevalMetadata, 'include' | 'motion'> | undefined): Set<string> {
  return new Set((meta?.motion ?? []).filter((m) => m.kind === 'recolor').map((m) => `${meta!.include[m.index]!.class} ${m.color}`));
}

/**
 * Consistency of tracks (and frame brightness): identity changes that persist for two
 * frames or more (prompted colour changes excepted), jumps against the track's own steady
 * step, flicker, and objects that vanish or appear unprompted.
 */
export function scoreConsistency(tracks: readonly Track[], brightness: readonly number[], frames: number, meta?: Pick<GenevalMetadata, 'include' | 'motion'>): ConsistencyScore {
  const recolors = allowedRecolors(meta);
  let points = 0;
  let keep = 0;
  let changes = 0;
  let jumpSum = 0;
  let jumpCount = 0;
  let breaks = 0;
  let lateStarts = 0;
  for (const tr of tracks) {
    const ps = tr.points;
    if (ps.length === 0) continue;
    // identity: follow the current identity; switch only when a new one persists for 2 points
    let shape = ps[0]!.shape;
    let color = ps[0]!.color;
    const origin = `${shape}`;
    for (let k = 0; k < ps.length; k++) {
      const p = ps[k]!;
      const next = ps[k + 1];
      if ((p.shape !== shape || p.color !== color) && next && next.shape === p.shape && next.color === p.color) {
        const prompted = p.shape === shape && recolors.has(`${origin} ${p.color}`);
        if (!prompted) changes++;
        shape = p.shape;
        color = p.color;
      }
      points++;
      if (shape === ps[0]!.shape && (color === ps[0]!.color || recolors.has(`${origin} ${color}`))) keep++;
    }
    // jumps: deviation of each one-frame step from the median step
    const steps: [number, number][] = [];
    for (let k = 1; k < ps.length; k++) {
      const gap = ps[k]!.frame - ps[k - 1]!.frame;
      if (gap < 1) continue;
      steps.push([(ps[k]!.cx - ps[k - 1]!.cx) / gap, (ps[k]!.cy - ps[k - 1]!.cy) / gap]);
      if (gap > 1) breaks++;
    }
    if (steps.length) {
      const med = (i: 0 | 1) => steps.map((s) => s[i]).sort((x, y) => x - y)[Math.floor(steps.length / 2)]!;
      const mx = med(0);
      const my = med(1);
      for (const [sx, sy] of steps) {
        const dev = Math.hypot(sx - mx, sy - my);
        if (dev > JUMP_TOLERANCE) {
          jumpCount++;
          jumpSum += dev;
        }
      }
    }
    if (ps[ps.length - 1]!.frame < frames - 1) breaks++;
    if (ps[0]!.frame > 0) lateStarts++;
  }
  const appearing = (meta?.motion ?? []).filter((m) => m.kind === 'appear').reduce((s, m) => s + meta!.include[m.index]!.count, 0);
  breaks += Math.max(0, lateStarts - appearing);
  let flickerSum = 0;
  let flickerFrames = 0;
  for (let t = 1; t < brightness.length; t++) {
    const d = Math.abs(brightness[t]! - brightness[t - 1]!);
    if (d > FLICKER_TOLERANCE) {
      flickerFrames++;
      flickerSum += d - FLICKER_TOLERANCE;
    }
  }
  const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
  const identity = points ? keep / points : 1;
  const jumps = clamp01(1 - jumpSum / JUMP_ZERO);
  const flicker = clamp01(1 - flickerSum / FLICKER_ZERO);
  const continuity = clamp01(1 - BREAK_COST * breaks);
  return { score: identity * jumps * flicker * continuity, identity, jumps, flicker, continuity, identityChanges: changes, jumpCount, flickerFrames, breaks };
}

/**
 * Scores a video against a video record from pixels alone: per-frame alignment, motion
 * clauses, consistency and quality.
 * @example scoreVideo(frames, meta).motion // 1 when every motion clause holds
 */
export function scoreVideo(video: Media | readonly RgbImage[] | VideoAnalysis, meta: GenevalMetadata): VideoScore {
  const a = 'tracks' in video ? video : analyzeVideo(video);
  const n = a.frames.length;
  const frameCorrect = frameAlignment(a.frames.map((f) => f.objects), meta);
  const motionClauses = scoreMotion(a.tracks, meta, n);
  const consistency = scoreConsistency(a.tracks, a.brightness, n, meta);
  const alignment = frameCorrect.filter(Boolean).length / n;
  const motion = motionClauses.length ? motionClauses.filter((c) => c.ok).length / motionClauses.length : 1;
  const quality = a.frames.reduce((s, f) => s + f.quality.score, 0) / n;
  return { correct: frameCorrect.every(Boolean) && motionClauses.every((c) => c.ok), alignment, frameCorrect, motion, motionClauses, consistency, quality };
}

/**
 * The same verdicts from a clip's ground truth (no pixels): what the oracle should find.
 * @example scoreClip(clip, meta).correct // true for clipFor(meta, rng)
 */
export function scoreClip(clip: Clip, meta: GenevalMetadata): Omit<VideoScore, 'quality'> {
  const tracks = clipTracks(clip);
  const n = clip.frames;
  const dets = Array.from({ length: n }, (_, t) =>
    tracks.flatMap((tr) => tr.points.filter((p) => p.frame === t).map((p) => ({ shape: p.shape, color: p.color, x0: p.cx - p.size / 2, y0: p.cy - p.size / 2, x1: p.cx + p.size / 2, y1: p.cy + p.size / 2 }))),
  );
  const frameCorrect = frameAlignment(dets, meta);
  const motionClauses = scoreMotion(tracks, meta, n);
  const brightness = Array.from({ length: n }, (_, t) => clip.flicker?.[t] ?? 0);
  const consistency = scoreConsistency(tracks, brightness, n, meta);
  const alignment = frameCorrect.filter(Boolean).length / n;
  const motion = motionClauses.length ? motionClauses.filter((c) => c.ok).length / motionClauses.length : 1;
  return { correct: frameCorrect.every(Boolean) && motionClauses.every((c) => c.ok), alignment, frameCorrect, motion, motionClauses, consistency };
}
