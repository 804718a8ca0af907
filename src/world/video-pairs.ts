/**
 * Video preference pairs (t2v, i2v): minimal edits of one clip, labelled by criterion:
 * alignment (an object's class, count or colour is wrong on every frame), motion (one
 * object moves the wrong way or speed, stands still or moves, appears or not, changes colour
 * or not), consistency (flicker, a jump or an identity change) and quality (per-frame
 * degradations). Edits come in mirrored pairs (still/moves, appears late/present from the
 * start, faster/slower) so that prompt-blind rules such as "more motion" stay near 50%.
 * For i2v the condition is the first frame of the preferred video; motion, consistency and
 * quality pairs share it as their first frame.
 */
import { videoMedia, type RgbImage } from '../data/image.js';
import { CRITERIA, type Criterion, type Split } from '../data/manifest.js';
import { InputError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { alignmentRationale, qualityRationale, type QualityPart, type RationaleNames } from './captions.js';
import { breakScene, degradeImage, type Degradation, type DegradationSpec } from './degrade.js';
import { errorsFor, swapOrCopyColor, type AlignmentError } from './errors-t2i.js';
import { clausePhrase } from './geneval.js';
import type { PairOptions, WorldPair } from './pairs.js';
import { ID_LAYOUT, OOD_LAYOUT, type LayoutStyle } from './scene.js';
import type { Detection } from './score.js';
import type { GenevalMetadata, MotionKind } from './types.js';
import { DIRECTIONS, SPEEDS } from './types.js';
import {
  DEFAULT_FRAMES, VIDEO_TAGS, addMovingDistractors, kindsFor, checkFrames, clipFor, clipScene, definitePhrase, drawVideoPrompt, layoutMovers, motionPhrase, moverFits, placeMover,
  renderClip, velocityFor, type Clip, type Mover, type VideoTask,
} from './video.js';
import { TEMPORAL_DEGRADATIONS, degradeClip } from './video-degrade.js';
import { analyzeVideo, clipTracks, frameMetadata, motionHolds, scoreClip, scoreVideo, trackIdentity, trackMotion, type ConsistencyScore, type Track, type VideoAnalysis } from './video-oracle.js';
import { COLORS, ID_COUNTS, OOD_COUNTS, SHAPES } from './vocab.js';
import { namedClasses } from './scene.js';

/** Motion errors, drawn uniformly; still/moves and no_appear/appears_late mirror each other (blind balance). */
export const MOTION_ERRORS = ['wrong_direction', 'wrong_speed', 'still', 'moves', 'no_appear', 'appears_late', 'no_recolor', 'wrong_target', 'recolors'] as const;
export type MotionError = (typeof MOTION_ERRORS)[number];
/** The motion kind a clause must have for each error to apply. */
const ERROR_NEEDS: Readonly<Record<MotionError, readonly MotionKind[]>> = {
  wrong_direction: ['move'],
  wrong_speed: ['move'],
  still: ['move'],
  moves: ['stay'],
  no_appear: ['appear'],
  appears_late: ['move', 'stay'],
  no_recolor: ['recolor'],
  wrong_target: ['recolor'],
  recolors: ['move', 'stay'],
};
/** Share of alignment and motion pairs with a mild per-frame degradation on one side (half the time the chosen side). */
const MILD_DEGRADE_SHARE = 0.5;
const MILD_DEGRADATIONS: readonly Degradation[] = ['blur', 'noise', 'cast'];
const MILD_SEVERITY: readonly [number, number] = [0.1, 0.3];
/** Quality pairs: per-frame degradations and severities (as t2i). */
const QUALITY_DEGRADATIONS: readonly Degradation[] = ['blur', 'noise', 'blocky', 'cast', 'fragments', 'broken'];
const QUALITY_SEVERITY: readonly [number, number] = [0.35, 1];
/** Consistency pairs: temporal degradation severities. */
const CONSISTENCY_SEVERITY: readonly [number, number] = [0.3, 1];
/** Share of quality and consistency pairs whose better side is misaligned (the criterion decides). */
const CONFLICT_SHARE = 0.5;
/** Share of pairs given one extra distractor on one side. */
const ONE_SIDED_DISTRACTOR_SHARE = 0.3;
const PAIR_TRIES = 20;
/** Failed draws of one pair's design before a new design is drawn. */
const PLAN_TRIES = 40;
const SPLIT_SALT: Readonly<Record<Split, number>> = { train: 101, id: 202, ood: 303 };
const TASK_SALT: Readonly<Record<VideoTask, number>> = { t2v: 17, i2v: 29 };
/** How rationales name the two videos. */
const VIDEO_NAMES: RationaleNames = { chosen: 'the first video', rejected: 'the second video' };

function styleOf(split: Split): LayoutStyle {
  return split === 'ood' ? OOD_LAYOUT : ID_LAYOUT;
}

// ---------------------------------------------------------------- clip edits

/** Adds shared distractors to both clips (where they fit in both), then maybe one to one side. */
function withDistractors(meta: GenevalMetadata, a: Mover[], b: Mover[], frames: number, rng: Rng, style: LayoutStyle): [Clip, Clip] {
  const n = rng.int(style.distractors[0], style.distractors[1] + 1);
  const extra: Mover[] = [];
  addMovingDistractors(extra, meta, n + 3, frames, rng, style);
  let added = 0;
  for (const d of extra) {
    if (added >= n) break;
    if (moverFits(d, a, frames, style.gap) && moverFits(d, b, frames, style.gap)) {
      a.push(d);
      b.push(d);
      added++;
    }
  }
  if (rng.chance(ONE_SIDED_DISTRACTOR_SHARE)) addMovingDistractors(rng.chance(0.5) ? a : b, meta, 1, frames, rng, style);
  return [
    { movers: a, frames },
    { movers: b, frames },
  ];
}

/** A static alignment edit of the prompted movers (clause order), or undefined. */
function editMovers(kind: AlignmentError, ms: readonly Mover[], meta: GenevalMetadata, rng: Rng): Mover[] | undefined {
  const out = ms.slice();
  const k = rng.int(0, out.length);
  const m = out[k]!;
  switch (kind) {
    case 'wrong_class':
      out[k] = { ...m, shape: rng.pick(SHAPES.filter((s) => s !== m.shape)) };
      return out;
    case 'missing': {
      // the object is replaced by one of a class the prompt does not name, on the same path
      const pool = SHAPES.filter((s) => !namedClasses(meta).has(s));
      if (!pool.length) return undefined;
      out[k] = { ...m, shape: rng.pick(pool), clause: undefined, distractor: true };
      return out;
    }
    case 'wrong_color': {
      const used = new Set(meta.include.map((c) => c.color));
      out[k] = { ...m, color: rng.pick(COLORS.filter((c) => !used.has(c) && c !== m.recolor?.to)) };
      return out;
    }
    case 'swap_color':
    case 'copy_color':
      return swapOrCopyColor(out, kind, k);
    default:
      return undefined;
  }
}

/** A clip that does what `meta` says and a minimally edited one that gets its objects wrong. */
function alignmentClips(meta: GenevalMetadata, rng: Rng, style: LayoutStyle, ood: boolean, frames: number, plan: Rng): { good: Clip; bad: Clip; error: string } | undefined {
  const kinds = errorsFor(meta);
  const error = kinds[Math.floor(plan.next() * kinds.length)]!;
  const choice = plan.next();
  for (let t = 0; t < PAIR_TRIES; t++) {
    let g: Mover[] | undefined;
    let b: Mover[] | undefined;
    if (error === 'wrong_count') {
      // lay out the larger count and take a subset for the smaller (more and fewer equally often)
      const c = meta.include[0]!;
      const counts = (ood ? OOD_COUNTS : ID_COUNTS).filter((n) => n !== c.count);
      const target = counts[Math.floor(choice * counts.length)]!;
      const big = layoutMovers(meta, frames, rng, style, { clause: 0, count: Math.max(c.count, target) });
      if (!big) continue;
      const small = rng.shuffle(big).slice(0, Math.min(c.count, target));
      [g, b] = c.count > target ? [big.slice(), small] : [small, big.slice()];
    } else {
      g = layoutMovers(meta, frames, rng, style);
      b = g && editMovers(error, g, meta, rng);
      if (!g || !b) continue;
      g = g.slice();
    }
    const [good, bad] = withDistractors(meta, g, b, frames, rng, style);
    if (scoreClip(good, meta).correct && !scoreClip(bad, meta).correct) return { good, bad, error };
  }
  return undefined;
}

/** Re-times a mover's motion in place if it still fits, else places it again elsewhere. */
function refit(m: Mover, motion: Partial<Mover>, others: readonly Mover[], frames: number, rng: Rng, style: LayoutStyle): Mover | undefined {
  const moved: Mover = { ...m, ...motion };
  if (moverFits(moved, others, frames, style.gap)) return moved;
  const { shape, color, clause, distractor, w, h } = moved;
  return placeMover({ shape, color, clause, distractor }, { vx: moved.vx, vy: moved.vy, appearAt: moved.appearAt, recolor: moved.recolor }, others, frames, rng, style, { w, h });
}

/** Applies a motion error to one mover of clause `clause`. */
function editMotion(error: MotionError, clip: Clip, meta: GenevalMetadata, clause: number, rng: Rng, style: LayoutStyle): Clip | undefined {
  const n = clip.frames;
  const idx = clip.movers.map((m, i) => (m.clause === clause ? i : -1)).filter((i) => i >= 0);
  if (!idx.length) return undefined;
  const i = rng.pick(idx);
  const m = clip.movers[i]!;
  const mc = meta.motion?.find((x) => x.index === clause);
  const others = clip.movers.filter((_, j) => j !== i);
  let change: Partial<Mover>;
  switch (error) {
    case 'wrong_direction': {
      const dir = rng.pick(DIRECTIONS.filter((d) => d !== mc?.direction));
      change = velocityFor(dir, mc!.speed!, n, rng);
      break;
    }
    case 'wrong_speed':
      change = velocityFor(mc!.direction!, mc!.speed === 'slowly' ? 'quickly' : 'slowly', n, rng);
      break;
    case 'still':
      change = { vx: 0, vy: 0 };
      break;
    case 'moves':
      change = velocityFor(rng.pick(DIRECTIONS), rng.pick(SPEEDS), n, rng);
      break;
    case 'no_appear':
      change = { appearAt: undefined };
      break;
    case 'appears_late':
      change = { appearAt: rng.int(1, Math.max(2, Math.floor(n / 2)) + 1) };
      break;
    case 'no_recolor':
      change = { recolor: undefined };
      break;
    case 'wrong_target':
      change = { recolor: { at: m.recolor!.at, to: rng.pick(COLORS.filter((c) => c !== m.color && c !== m.recolor!.to)) } };
      break;
    case 'recolors':
      change = { recolor: { at: rng.int(2, n - 1), to: rng.pick(COLORS.filter((c) => c !== m.color)) } };
      break;
  }
  const nm = refit(m, change, others, n, rng, style);
  return nm && { ...clip, movers: clip.movers.map((x, j) => (j === i ? nm : x)) };
}

/**
 * A clip doing what `meta` says and one with a motion error (the prompt is drawn to fit the
 * error); undefined when none fit. The error comes from `plan`, so that a caller retrying with
 * the same plan keeps each error's share exact (errors that fit less easily are not dropped
 * more often, which would tilt "more motion" one way).
 */
export function motionClips(
  tag: GenevalMetadata['tag'],
  rng: Rng,
  style: LayoutStyle,
  split: Split,
  task: VideoTask,
  frames: number,
  plan: Rng = rng,
  exclude: readonly MotionError[] = [],
): { meta: GenevalMetadata; good: Clip; bad: Clip; error: string } | undefined {
  // errors that apply to the tag's clauses: counting groups only move or stand still, and
  // appears_late goes with its mirror no_appear (objects and motion stay balanced)
  const groups = tag === 'counting';
  const error = plan.pick(MOTION_ERRORS.filter((e) => !exclude.includes(e) && (!groups || (e !== 'appears_late' && ERROR_NEEDS[e].some((k) => kindsFor(2).includes(k))))));
  const clauseSeed = plan.int(0, 2);
  const meta = drawVideoPrompt(tag, rng, split === 'ood' ? 'ood' : 'id', task, { index: clauseSeed, kinds: ERROR_NEEDS[error] });
  const clause = clauseSeed % meta.include.length;
  for (let t = 0; t < PAIR_TRIES; t++) {
    let good: Clip;
    try {
      good = clipFor(meta, rng, { style, frames });
    } catch {
      return undefined;
    }
    const bad = editMotion(error, good, meta, clause, rng, style);
    if (!bad) continue;
    const g = scoreClip(good, meta);
    if (g.correct && scoreClip(bad, meta).motion < g.motion) return { meta, good, bad, error };
  }
  return undefined;
}

// ---------------------------------------------------------------- rendering

/** The OOD split's different source: one mild blur or noise per pair, on every frame of both videos. */
function sourceShift(split: Split, rng: Rng): DegradationSpec | undefined {
  return split === 'ood' ? { kind: rng.chance(0.5) ? 'blur' : 'noise', severity: 0.1 } : undefined;
}

/** Renders a clip with an optional per-frame degradation (same parameters on every frame), then the source shift. */
function renderVideo(clip: Clip, spec: DegradationSpec | undefined, shift: DegradationSpec | undefined, rng: Rng, size: number): RgbImage[] {
  let c = clip;
  if (spec?.kind === 'broken') {
    const cuts = breakScene({ objects: clip.movers.map(({ shape, color, x, y, w, h }) => ({ shape, color, x, y, w, h })) }, spec, rng).objects.map((o) => o.cut);
    c = { ...clip, movers: clip.movers.map((m, i) => ({ ...m, cut: cuts[i] })) };
  }
  let frames = renderClip(c, { size });
  for (const d of [spec, shift]) {
    if (!d || d.kind === 'broken') continue;
    const seed = rng.int(0, 2 ** 30);
    frames = frames.map((f) => degradeImage(f, d, new Rng(seed)));
  }
  return frames;
}

// ---------------------------------------------------------------- rationales

/** What a rationale needs from one video: per-frame detections, tracks and the verdicts. */
interface Reading {
  readonly dets: readonly (readonly Detection[])[];
  readonly tracks: readonly Track[];
  readonly frameCorrect: readonly boolean[];
  readonly motionOk: readonly boolean[];
  readonly consistency: ConsistencyScore;
  readonly quality?: Readonly<Record<QualityPart, number>>;
}

function readPixels(frames: readonly RgbImage[], meta: GenevalMetadata): Reading {
  const a: VideoAnalysis = analyzeVideo(frames);
  const s = scoreVideo(a, meta);
  const parts: QualityPart[] = ['shapes', 'sharpness', 'noise', 'cast', 'fragments'];
  const quality = Object.fromEntries(parts.map((k) => [k, a.frames.reduce((acc, f) => acc + f.quality[k], 0) / a.frames.length])) as Record<QualityPart, number>;
  return { dets: a.frames.map((f) => f.objects), tracks: a.tracks, frameCorrect: s.frameCorrect, motionOk: s.motionClauses.map((c) => c.ok), consistency: s.consistency, quality };
}

function readClip(clip: Clip, meta: GenevalMetadata): Reading {
  const s = scoreClip(clip, meta);
  const tracks = clipTracks(clip);
  const dets = Array.from({ length: clip.frames }, (_, t) =>
    tracks.flatMap((tr) => tr.points.filter((p) => p.frame === t).map((p) => ({ shape: p.shape, color: p.color, x0: p.cx - p.size / 2, y0: p.cy - p.size / 2, x1: p.cx + p.size / 2, y1: p.cy + p.size / 2 }))),
  );
  return { dets, tracks, frameCorrect: s.frameCorrect, motionOk: s.motionClauses.map((c) => c.ok), consistency: s.consistency };
}

/** Why the chosen video follows the prompt's objects better: the first frame the rejected one gets wrong. */
function videoAlignmentRationale(meta: GenevalMetadata, c: Reading, r: Reading, names: RationaleNames): string {
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
function videoMotionRationale(meta: GenevalMetadata, c: Reading, r: Reading, names: RationaleNames): string {
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
function consistencyRationale(c: Reading, r: Reading, names: RationaleNames): string {
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

// ---------------------------------------------------------------- pairs

/** Whether two clips show the same first frame (same objects, same places). */
function sameFirstFrame(a: Clip, b: Clip): boolean {
  return a === b || JSON.stringify(clipScene(a, 0)) === JSON.stringify(clipScene(b, 0));
}

type PairCore = Omit<WorldPair, 'id' | 'flipped'>;

function pickSpec(kinds: readonly Degradation[], range: readonly [number, number], rng: Rng): DegradationSpec {
  return { kind: rng.pick(kinds), severity: rng.uniform(range[0], range[1]) };
}

/**
 * One video pair of a criterion; undefined when the draw did not give a valid pair. `plan`
 * draws the pair's design (error kind, conflict, degradation kind) and is the same on every
 * retry of one pair, `rng` everything else.
 */
function videoPair(tag: GenevalMetadata['tag'], criterion: Criterion, split: Split, task: VideoTask, rng: Rng, plan: Rng, size: number, frames: number, rationaleFrom: 'oracle' | 'scene'): PairCore | undefined {
  const style = styleOf(split);
  const domain = split === 'ood' ? 'ood' : 'id';
  let meta: GenevalMetadata;
  let chosenClip: Clip;
  let rejectedClip: Clip;
  let conditionClip: Clip;
  let error: string;
  let conflict = false;
  let dc: DegradationSpec | undefined;
  let dr: DegradationSpec | undefined;
  if (criterion === 'motion') {
    const mc = motionClips(tag, rng, style, split, task, frames, plan);
    if (!mc) return undefined;
    ({ meta, error } = mc);
    chosenClip = conditionClip = mc.good;
    rejectedClip = mc.bad;
    if (plan.chance(MILD_DEGRADE_SHARE)) {
      conflict = plan.chance(0.5);
      const spec = pickSpec(MILD_DEGRADATIONS, MILD_SEVERITY, plan);
      if (conflict) dc = spec;
      else dr = spec;
    }
  } else if (criterion === 'consistency') {
    conflict = plan.chance(CONFLICT_SHARE);
    const spec = { kind: plan.pick(TEMPORAL_DEGRADATIONS), severity: plan.uniform(CONSISTENCY_SEVERITY[0], CONSISTENCY_SEVERITY[1]) };
    let good: Clip;
    let other: Clip;
    if (conflict) {
      // the consistent video gets the motion wrong; the inconsistent one gets it right (for
      // i2v both start from the condition, so the error must leave the first frame alone)
      const mc = motionClips(tag, rng, style, split, task, frames, plan, task === 'i2v' ? ['no_appear', 'appears_late'] : []);
      if (!mc) return undefined;
      meta = mc.meta;
      good = mc.good;
      other = mc.bad;
      // i2v: both videos must start from the condition (the good clip's first frame)
      if (task === 'i2v' && !sameFirstFrame(good, other)) return undefined;
    } else {
      meta = drawVideoPrompt(tag, rng, domain, task);
      try {
        good = other = clipFor(meta, rng, { style, frames });
      } catch {
        return undefined;
      }
    }
    const bad = degradeClip(good, spec, rng);
    if (!bad || !(scoreClip(bad, meta).consistency.score < scoreClip(other, meta).consistency.score)) return undefined;
    chosenClip = other;
    rejectedClip = bad;
    conditionClip = good;
    error = spec.kind;
  } else {
    meta = drawVideoPrompt(tag, rng, domain, task);
    const sc = alignmentClips(meta, rng, style, split === 'ood', frames, plan);
    if (!sc) return undefined;
    if (criterion === 'alignment') {
      chosenClip = conditionClip = sc.good;
      rejectedClip = sc.bad;
      error = sc.error;
      if (plan.chance(MILD_DEGRADE_SHARE)) {
        conflict = plan.chance(0.5);
        const spec = pickSpec(MILD_DEGRADATIONS, MILD_SEVERITY, plan);
        if (conflict) dc = spec;
        else dr = spec;
      }
    } else {
      // quality: the same clip clean vs degraded, or (conflict) a clean misaligned clip vs the aligned one degraded
      conflict = plan.chance(CONFLICT_SHARE);
      dr = pickSpec(QUALITY_DEGRADATIONS, QUALITY_SEVERITY, plan);
      chosenClip = conflict ? sc.bad : sc.good;
      rejectedClip = conditionClip = sc.good;
      error = dr.kind;
    }
  }
  const shift = sourceShift(split, rng);
  const chosen = renderVideo(chosenClip, dc, shift, rng, size);
  const rejected = renderVideo(rejectedClip, dr, shift, rng, size);
  let condition: RgbImage | undefined;
  if (task === 'i2v') {
    // the condition is the preferred (or shared) clip's first frame; videos that should start from it do
    condition = renderVideo({ ...conditionClip, frames: 1 }, undefined, shift, rng, size)[0]!;
    if (sameFirstFrame(chosenClip, conditionClip)) chosen[0] = condition;
    if (sameFirstFrame(rejectedClip, conditionClip)) rejected[0] = condition;
  }
  const names = VIDEO_NAMES;
  const c = rationaleFrom === 'oracle' || criterion === 'quality' ? readPixels(chosen, meta) : readClip(chosenClip, meta);
  const r = rationaleFrom === 'oracle' || criterion === 'quality' ? readPixels(rejected, meta) : readClip(rejectedClip, meta);
  const rationale =
    criterion === 'alignment'
      ? videoAlignmentRationale(meta, c, r, names)
      : criterion === 'motion'
        ? videoMotionRationale(meta, c, r, names)
        : criterion === 'consistency'
          ? consistencyRationale(c, r, names)
          : qualityRationale(c.quality!, r.quality!, names);
  return {
    task,
    split,
    criteria: criterion,
    tag: meta.tag,
    metadata: meta,
    prompt: meta.prompt,
    chosen: videoMedia(chosen),
    rejected: videoMedia(rejected),
    ...(condition ? { condition } : {}),
    rationale,
    error,
    conflict,
    source: 'world-render',
  };
}

/**
 * Makes `n` video preference pairs (t2v or i2v) in memory. Tags cycle (position has no video
 * prompts), criteria change once per round of tags. Same options, same pairs.
 * @example makeVideoPairs({ task: 't2v', criteria: 'motion', split: 'train', n: 64, seed: 1 })
 */
export function makeVideoPairs(opts: PairOptions): WorldPair[] {
  const task = opts.task ?? 't2v';
  if (task !== 't2v' && task !== 'i2v') throw new InputError(`makeVideoPairs builds t2v or i2v pairs, got '${task}'`);
  if (opts.source) throw new InputError('external candidate sources are for t2i pairs; video pairs come from rendered clips');
  const split = opts.split ?? 'train';
  const list = opts.criteria === undefined ? ['alignment' as const] : typeof opts.criteria === 'string' ? [opts.criteria] : opts.criteria;
  if (list.length === 0) throw new InputError('at least one criterion is needed');
  for (const k of list) if (!(CRITERIA as readonly string[]).includes(k)) throw new InputError(`unknown criterion '${String(k)}'; known: ${CRITERIA.join(', ')}`);
  if (!Number.isInteger(opts.n) || opts.n < 0) throw new InputError(`n must be a non-negative integer, got ${opts.n}`);
  const noise = opts.labelNoise ?? 0;
  if (!(noise >= 0 && noise < 0.5)) throw new InputError(`labelNoise must be in [0, 0.5), got ${noise}`);
  const frames = checkFrames(opts.frames ?? DEFAULT_FRAMES);
  const tags = opts.tags?.length ? opts.tags : VIDEO_TAGS;
  for (const t of tags) if (!VIDEO_TAGS.includes(t)) throw new InputError(`tag '${t}' has no video prompts (motion moves objects, so relations would not hold); video tags: ${VIDEO_TAGS.join(', ')}`);
  const base = opts.seed * 7919 + SPLIT_SALT[split] + TASK_SALT[task];
  const rng = new Rng(base);
  const out: WorldPair[] = [];
  let attempts = 0;
  let fails = 0;
  while (out.length < opts.n) {
    if (++attempts > opts.n * 20 + 100) throw new InputError(`could only build ${out.length} of ${opts.n} video pairs`);
    const i = out.length;
    const tag = tags[i % tags.length]!;
    const criterion = list[Math.floor(i / tags.length) % list.length]!;
    // the pair's design is drawn from a stream of its own index: a failed draw retries the same design
    // (after PLAN_TRIES failures a new design is drawn, so no design can stall the loop)
    const plan = new Rng((base ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(Math.floor(fails / PLAN_TRIES), 0x85ebca6b)) >>> 0);
    const p = videoPair(tag, criterion, split, task, rng, plan, opts.size ?? 32, frames, opts.rationaleFrom ?? 'oracle');
    if (!p) {
      fails++;
      continue;
    }
    fails = 0;
    const flipped = rng.chance(noise);
    const id = `${split}-${task}-${String(i).padStart(6, '0')}`;
    out.push(flipped ? { ...p, id, chosen: p.rejected, rejected: p.chosen, flipped } : { ...p, id, flipped });
  }
  return out;
}
