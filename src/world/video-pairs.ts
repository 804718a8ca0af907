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
import { qualityRationale, type RationaleNames } from './captions.js';
import { breakScene, degradeImage, type Degradation, type DegradationSpec } from './degrade.js';
import { errorsFor, swapOrCopyColor, type AlignmentError } from './errors-t2i.js';
import type { PairOptions, WorldPair } from './pairs.js';
import { ID_LAYOUT, OOD_LAYOUT, type LayoutStyle } from './scene.js';
import type { GenevalMetadata, MotionKind } from './types.js';
import { SPEEDS } from './types.js';
import {
  DEFAULT_FRAMES, SLOW_GROUP, VIDEO_TAGS, addMovingDistractors, directionsFor, kindsFor, checkFrames, clipFor, clipScene, drawVideoPrompt, layoutMovers, moverFits, placeMover,
  relationsKept, renderClip, shrunkStyle, velocityFor, videoPromptFor, type Clip, type Mover, type VideoTask,
} from './video.js';
import { TEMPORAL_DEGRADATIONS, degradeClip } from './video-degrade.js';
import { consistencyRationale, readClip, readPixels, videoAlignmentRationale, videoMotionRationale } from './video-rationale.js';
import { scoreClip } from './video-oracle.js';
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
/**
 * Which side of an alignment or motion pair gets a mild per-frame degradation: half the
 * pairs none, a quarter the chosen side (alignment and quality disagree), a quarter the
 * rejected side. makeVideoPairs walks this cycle (mildSide), so the sides are exactly balanced.
 */
const MILD_CYCLE = ['none', 'chosen', 'none', 'rejected'] as const;
type MildSide = (typeof MILD_CYCLE)[number];
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

/**
 * A pair's design slot: makeVideoPairs numbers the pairs of each (tag, criterion) 0, 1, 2, ...
 * (plus a per-seed offset) and the slot picks the error (slot mod the number of errors) and the
 * mild degradation's side (the next cycle step after every round of errors), so that over any
 * run of pairs every error and side has its exact share: mirrored errors (still / moves,
 * appears late / there from the start) and degraded sides then cancel in prompt-blind rules
 * instead of drifting by chance. Without a slot (oracle validation) both are drawn from `plan`.
 */
function pickBySlot<T>(items: readonly T[], plan: Rng, slot: number | undefined): T {
  return slot === undefined ? plan.pick(items) : items[slot % items.length]!;
}

function mildSide(plan: Rng, slot: number | undefined, errors: number): MildSide {
  return slot === undefined ? plan.pick(MILD_CYCLE) : MILD_CYCLE[Math.floor(slot / errors) % MILD_CYCLE.length]!;
}

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

/**
 * The prompted movers laid out again with the opposite relations on every frame (left of <->
 * right of, above <-> below): every object keeps its class, colour, size and motion, so only
 * where the objects are differs; undefined when no layout fits.
 */
function wrongRelation(ms: readonly Mover[], meta: GenevalMetadata, frames: number, rng: Rng, style: LayoutStyle): Mover[] | undefined {
  if (!meta.include.some((c) => c.position)) return undefined;
  const out: Mover[] = [];
  for (const m of ms) {
    const { shape, color, clause, distractor, w, h, vx, vy, appearAt, recolor } = m;
    const nm = placeMover({ shape, color, clause, distractor }, { vx, vy, appearAt, recolor }, out, frames, rng, style, { w, h }, (x) => relationsKept(x, out, meta, frames, true));
    if (!nm) return undefined;
    out.push(nm);
  }
  return out;
}

/**
 * A counting record with `count` objects (and GenEval's exclude clause for one more); a
 * moving group goes slowly when `slow`.
 */
function recount(meta: GenevalMetadata, count: number, slow: boolean, task: VideoTask): GenevalMetadata {
  const c = meta.include[0]!;
  const include = [{ ...c, count }, ...meta.include.slice(1)];
  const motion = meta.motion?.map((m) => (m.index === 0 && m.kind === 'move' && slow ? { ...m, speed: 'slowly' as const } : m));
  const exclude = meta.exclude?.map((e) => (e.class === c.class ? { ...e, count: count + 1 } : e));
  const out = { ...meta, include, ...(exclude ? { exclude } : {}), ...(motion ? { motion } : {}) };
  return { ...out, prompt: videoPromptFor(out, task) };
}

/** A clip that does what `meta` says and a minimally edited one that gets its objects wrong. */
function alignmentClips(
  drawn: GenevalMetadata,
  task: VideoTask,
  rng: Rng,
  style: LayoutStyle,
  ood: boolean,
  frames: number,
  plan: Rng,
  slot?: number,
): { meta: GenevalMetadata; good: Clip; bad: Clip; error: string; errors: number } | undefined {
  let meta = drawn;
  const kinds = errorsFor(meta);
  const error = pickBySlot(kinds, plan, slot);
  const choice = plan.next();
  let have = meta.include[0]!.count;
  let want = have;
  if (error === 'wrong_count') {
    // both counts come from the design: a layout that does not fit (big groups, quick groups)
    // is retried with the same two counts, so failures cannot shift which side has more
    // objects (drawing the prompt's count again kept four-object prompts, all "more", in
    // place of failed quick pairs of two and three); the speed follows the larger count
    const all = ood ? OOD_COUNTS : ID_COUNTS;
    const counts = all.flatMap((a) => all.filter((b) => b !== a).map((b) => [a, b] as const));
    [have, want] = counts[Math.floor(choice * counts.length)]!;
    meta = recount(meta, have, Math.max(have, want) >= SLOW_GROUP, task);
  }
  for (let t = 0; t < PAIR_TRIES; t++) {
    let g: Mover[] | undefined;
    let b: Mover[] | undefined;
    const s = shrunkStyle(style, t);
    if (error === 'wrong_count') {
      // lay out the larger count and take a subset for the smaller (more and fewer equally often)
      const big = layoutMovers(meta, frames, rng, s, { clause: 0, count: Math.max(have, want) });
      if (!big) continue;
      const small = rng.shuffle(big).slice(0, Math.min(have, want));
      [g, b] = have > want ? [big.slice(), small] : [small, big.slice()];
    } else if (error === 'swap_position') {
      // the wrong relation: the prompted objects, with their own sizes and motions, are laid out
      // again where the opposite relation holds on every frame (left of <-> right of, above <-> below)
      g = layoutMovers(meta, frames, rng, s);
      b = g && wrongRelation(g, meta, frames, rng, s);
      if (!g || !b) continue;
      g = g.slice();
    } else {
      g = layoutMovers(meta, frames, rng, s);
      b = g && editMovers(error, g, meta, rng);
      if (!g || !b) continue;
      g = g.slice();
    }
    const [good, bad] = withDistractors(meta, g, b, frames, rng, s);
    if (scoreClip(good, meta).correct && !scoreClip(bad, meta).correct) return { meta, good, bad, error: error === 'swap_position' ? 'wrong_relation' : error, errors: kinds.length };
  }
  return undefined;
}

/**
 * Re-times a mover's motion in place if it still fits (and keeps the record's relations on
 * every frame), else places it again elsewhere.
 */
function refit(m: Mover, motion: Partial<Mover>, others: readonly Mover[], meta: GenevalMetadata, frames: number, rng: Rng, style: LayoutStyle): Mover | undefined {
  const moved: Mover = { ...m, ...motion };
  const related = (x: Mover) => relationsKept(x, others, meta, frames);
  if (moverFits(moved, others, frames, style.gap) && related(moved)) return moved;
  const { shape, color, clause, distractor, w, h } = moved;
  return placeMover({ shape, color, clause, distractor }, { vx: moved.vx, vy: moved.vy, appearAt: moved.appearAt, recolor: moved.recolor }, others, frames, rng, style, { w, h }, related);
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
      // objects in a relation move across its axis (directionsFor): the wrong direction stays on that axis
      const dir = rng.pick(directionsFor(meta, clause).filter((d) => d !== mc?.direction));
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
      change = velocityFor(rng.pick(directionsFor(meta, clause)), rng.pick(SPEEDS), n, rng);
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
  const nm = refit(m, change, others, meta, n, rng, style);
  return nm && { ...clip, movers: clip.movers.map((x, j) => (j === i ? nm : x)) };
}

/**
 * A clip doing what `meta` says and one with a motion error (the prompt is drawn to fit the
 * error); undefined when none fit. The error comes from `slot` (or `plan`), so that a caller
 * retrying with the same design keeps each error's share exact (errors that fit less easily
 * are not dropped more often, which would tilt "more motion" one way).
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
  slot?: number,
): { meta: GenevalMetadata; good: Clip; bad: Clip; error: string; errors: number } | undefined {
  // errors that apply to the tag's clauses: counting groups only move or stand still, position
  // objects do not appear; appears_late goes with its mirror no_appear (objects and motion
  // stay balanced), so it is left out where no clause can appear
  const kinds = kindsFor(tag === 'counting' ? 2 : 1, tag);
  const errors = MOTION_ERRORS.filter((e) => !exclude.includes(e) && ERROR_NEEDS[e].some((k) => kinds.includes(k)) && (e !== 'appears_late' || kinds.includes('appear')));
  const error = pickBySlot(errors, plan, slot);
  const clauseSeed = plan.int(0, 2);
  const meta = drawVideoPrompt(tag, rng, split === 'ood' ? 'ood' : 'id', task, { index: clauseSeed, kinds: ERROR_NEEDS[error] });
  const clause = clauseSeed % meta.include.length;
  // groups of SLOW_GROUP or more only move slowly, so their wrong speed could only be faster
  // (a "less motion" rule would read it): wrong_speed goes to smaller groups
  if (error === 'wrong_speed' && meta.include[clause]!.count >= SLOW_GROUP) return undefined;
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
    if (g.correct && scoreClip(bad, meta).motion < g.motion) return { meta, good, bad, error, errors: errors.length };
  }
  return undefined;
}

// ---------------------------------------------------------------- rendering

/** The OOD split's source shift of one pair: a degradation and the seed of its noise. */
interface SourceShift {
  readonly spec: DegradationSpec;
  readonly seed: number;
}

/**
 * The OOD split's different source: one mild blur or noise per pair, the same pixels' worth on
 * every frame of both videos and the i2v condition (one noise seed per pair, so that a video
 * whose first frame is the condition shows no break in its noise between frames 0 and 1, which
 * a prompt-blind "more motion" rule read when the condition had noise of its own).
 */
function sourceShift(split: Split, rng: Rng): SourceShift | undefined {
  return split === 'ood' ? { spec: { kind: rng.chance(0.5) ? 'blur' : 'noise', severity: 0.1 }, seed: rng.int(0, 2 ** 30) } : undefined;
}

/** Renders a clip with an optional per-frame degradation (same parameters on every frame), then the source shift. */
function renderVideo(clip: Clip, spec: DegradationSpec | undefined, shift: SourceShift | undefined, rng: Rng, size: number): RgbImage[] {
  let c = clip;
  if (spec?.kind === 'broken') {
    const cuts = breakScene({ objects: clip.movers.map(({ shape, color, x, y, w, h }) => ({ shape, color, x, y, w, h })) }, spec, rng).objects.map((o) => o.cut);
    c = { ...clip, movers: clip.movers.map((m, i) => ({ ...m, cut: cuts[i] })) };
  }
  let frames = renderClip(c, { size });
  if (spec && spec.kind !== 'broken') {
    const seed = rng.int(0, 2 ** 30);
    frames = frames.map((f) => degradeImage(f, spec, new Rng(seed)));
  }
  if (shift) frames = frames.map((f) => degradeImage(f, shift.spec, new Rng(shift.seed)));
  return frames;
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
 * One video pair of a criterion; undefined when the draw did not give a valid pair. `slot`
 * picks the error and the mildly degraded side of alignment and motion pairs (pickBySlot),
 * `plan` draws the rest of the pair's design (clause, conflict, degradation kind, wrong count)
 * and is the same on every retry of one pair, `rng` everything else.
 */
function videoPair(tag: GenevalMetadata['tag'], criterion: Criterion, split: Split, task: VideoTask, rng: Rng, plan: Rng, slot: number, size: number, frames: number, rationaleFrom: 'oracle' | 'scene'): PairCore | undefined {
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
    const mc = motionClips(tag, rng, style, split, task, frames, plan, [], slot);
    if (!mc) return undefined;
    ({ meta, error } = mc);
    chosenClip = conditionClip = mc.good;
    rejectedClip = mc.bad;
    const side = mildSide(plan, slot, mc.errors);
    if (side !== 'none') {
      conflict = side === 'chosen';
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
    const sc = alignmentClips(drawVideoPrompt(tag, rng, domain, task), task, rng, style, split === 'ood', frames, plan, criterion === 'alignment' ? slot : undefined);
    if (!sc) return undefined;
    meta = sc.meta;
    if (criterion === 'alignment') {
      chosenClip = conditionClip = sc.good;
      rejectedClip = sc.bad;
      error = sc.error;
      const side = mildSide(plan, slot, sc.errors);
      if (side !== 'none') {
        conflict = side === 'chosen';
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
 * Makes `n` video preference pairs (t2v or i2v) in memory. Tags cycle, criteria change once
 * per round of tags. Same options, same pairs.
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
  for (const t of tags) if (!VIDEO_TAGS.includes(t)) throw new InputError(`tag '${t}' has no video prompts; video tags: ${VIDEO_TAGS.join(', ')}`);
  const base = opts.seed * 7919 + SPLIT_SALT[split] + TASK_SALT[task];
  const rng = new Rng(base);
  // where each seed starts in the cycles of errors and degraded sides
  const slotOffset = new Rng(base ^ 0x5bd1e995).int(0, 720);
  const out: WorldPair[] = [];
  let attempts = 0;
  let fails = 0;
  while (out.length < opts.n) {
    if (++attempts > opts.n * 20 + 100) throw new InputError(`could only build ${out.length} of ${opts.n} video pairs`);
    const i = out.length;
    const tag = tags[i % tags.length]!;
    const round = Math.floor(i / tags.length);
    const criterion = list[round % list.length]!;
    // the design slot numbers the pairs of one (tag, criterion) in order (see pickBySlot)
    const slot = Math.floor(round / list.length) + slotOffset;
    // the rest of the design is drawn from a stream of the pair's own index: a failed draw retries
    // the same design (after PLAN_TRIES failures the stream changes, so no draw can stall the loop)
    const plan = new Rng((base ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(Math.floor(fails / PLAN_TRIES), 0x85ebca6b)) >>> 0);
    const p = videoPair(tag, criterion, split, task, rng, plan, slot, opts.size ?? 32, frames, opts.rationaleFrom ?? 'oracle');
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
