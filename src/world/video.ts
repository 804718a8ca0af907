/**
 * Video scenes for t2v and i2v: clips of a few frames (default 8) in which objects move in a
 * direction at a speed, stand still, appear or change colour, drawn frame by frame by the image
 * renderer. Holds the clip spec (one Mover per object, positions as fractions of the side), the
 * video prompt grammar (GenEval records plus rewarddance's motion clauses) and clip layout.
 */
import { mediaFrames, type Media, type RgbImage } from '../data/image.js';
import { InputError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { clausePhrase } from './geneval.js';
import { drawPrompt, type PromptDomain } from './prompts.js';
import { render } from './render.js';
import { ID_LAYOUT, freeColor, namedClasses, objectDetection, type LayoutStyle } from './scene.js';
import { relativePosition } from './score.js';
import type { Scene, SceneObject } from './scene-types.js';
import type { Cut } from './render.js';
import { DIRECTIONS, GENEVAL_TAGS, MOTION_KINDS, SPEEDS, type Direction, type GenevalMetadata, type GenevalTag, type MotionClause, type MotionKind, type Relation, type Speed } from './types.js';
import { COLORS, NUMBER_WORDS, SHAPES, SHAPE_PLURALS, asColor, asShape, type Color, type Shape } from './vocab.js';

/** Frames per clip by default: the tiny VLM takes at most 8 (its maxFrames). */
export const DEFAULT_FRAMES = 8;
/** Fewest frames a clip may have: a colour change needs a before, a change frame and an after. */
export const MIN_FRAMES = 4;
/** Most frames a clip may have (a sanity bound; strips of 64 frames are 2048 px wide at 32 px). */
export const MAX_FRAMES = 64;

/**
 * Tags video prompts use: all six of GenEval's. A position prompt's relation holds on every
 * frame (objects may move, stand still or change colour, as long as the relation keeps).
 */
export const VIDEO_TAGS: readonly GenevalTag[] = GENEVAL_TAGS;

/** The relation opposite to each (a position error puts the object there instead). */
export const OPPOSITE_RELATION: Readonly<Record<Relation, Relation>> = { 'left of': 'right of', 'right of': 'left of', above: 'below', below: 'above' };

/** Distance travelled over the whole clip, as a fraction of the side, per speed word. */
export const SPEED_TRAVEL: Readonly<Record<Speed, number>> = { slowly: 0.2, quickly: 0.4 };
/** Relative jitter of the travelled distance (so speeds vary within a word). */
const SPEED_JITTER = 0.12;
/** Direction jitter in radians (about 7 degrees). */
const ANGLE_JITTER = 0.12;
/** Unit vectors of the directions (image y grows downwards). */
export const DIRECTION_VECTORS: Readonly<Record<Direction, readonly [number, number]>> = { left: [-1, 0], right: [1, 0], up: [0, -1], down: [0, 1] };
/** How often each motion kind is drawn for a clause. */
const KIND_WEIGHTS: readonly (readonly [MotionKind, number])[] = [
  ['move', 0.55],
  ['stay', 0.15],
  ['appear', 0.15],
  ['recolor', 0.15],
];
/** Edge margin (fraction of the side), as in scene.ts. */
const EDGE_MARGIN = 0.03;
/** Placement attempts per object, and layout retries (objects shrink a little after failures). */
const PLACE_TRIES = 80;
const LAYOUT_TRIES = 60;
const LAYOUT_SHRINK_STEP = 0.02;
const LAYOUT_MIN_SHRINK = 0.85;

export type VideoTask = 't2v' | 'i2v';

/** A change of shape and/or colour from frame `at` on (the identity degradation). */
export interface IdentitySwap {
  readonly at: number;
  readonly shape?: Shape;
  readonly color?: Color;
}

/** One object over a whole clip. Box and velocity are fractions of the side (velocity per frame). */
export interface Mover {
  readonly shape: Shape;
  readonly color: Color;
  /** Box centre and size at frame 0. */
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly vx: number;
  readonly vy: number;
  /** First frame on which the object is visible (appearing objects). */
  readonly appearAt?: number;
  /** Colour change at a frame (prompted recolouring). */
  readonly recolor?: { readonly at: number; readonly to: Color };
  /** Include clause the object belongs to; absent for distractors. */
  readonly clause?: number;
  readonly distractor?: boolean;
  /** Temporal degradations: a teleport from frame `at` on, and an identity change. */
  readonly jump?: { readonly at: number; readonly dx: number; readonly dy: number };
  readonly swap?: IdentitySwap;
  /** A broken shape (quality degradation), the same on every frame. */
  readonly cut?: Cut;
}

/** A clip: movers over `frames` frames, with optional per-frame brightness offsets (flicker). */
export interface Clip {
  readonly movers: readonly Mover[];
  readonly frames: number;
  readonly flicker?: readonly number[];
}

/** Checks a frame count (InputError outside MIN_FRAMES..MAX_FRAMES). */
export function checkFrames(n: number, where = 'frames'): number {
  if (!Number.isInteger(n) || n < MIN_FRAMES || n > MAX_FRAMES) throw new InputError(`${where} must be an integer from ${MIN_FRAMES} to ${MAX_FRAMES}, got ${n}`);
  return n;
}

/**
 * Where a mover is on frame `t`, as a scene object (undefined before it appears).
 * @example moverAt(m, 3)?.x
 */
export function moverAt(m: Mover, t: number): SceneObject | undefined {
  if (t < (m.appearAt ?? 0)) return undefined;
  let x = m.x + m.vx * t;
  let y = m.y + m.vy * t;
  if (m.jump && t >= m.jump.at) {
    x += m.jump.dx;
    y += m.jump.dy;
  }
  let shape = m.shape;
  let color = m.recolor && t >= m.recolor.at ? m.recolor.to : m.color;
  if (m.swap && t >= m.swap.at) {
    shape = m.swap.shape ?? shape;
    color = m.swap.color ?? color;
  }
  return { shape, color, x, y, w: m.w, h: m.h, ...(m.cut ? { cut: m.cut } : {}), ...(m.distractor ? { distractor: true } : {}) };
}

/** The scene of frame `t`. */
export function clipScene(clip: Clip, t: number): Scene {
  return { objects: clip.movers.flatMap((m) => moverAt(m, t) ?? []) };
}

/** Adds a brightness offset to every channel (the flicker degradation's pixels). */
function brighten(img: RgbImage, offset: number): RgbImage {
  if (offset === 0) return img;
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(img.data[i]! + offset)));
  return { ...img, data };
}

/**
 * Renders every frame of a clip with the image renderer (deterministic, anti-aliased).
 * @example renderClip(clip, { size: 32 }).length // clip.frames
 */
export function renderClip(clip: Clip, opts: { size?: number } = {}): RgbImage[] {
  return Array.from({ length: clip.frames }, (_, t) => brighten(render(clipScene(clip, t), { size: opts.size ?? 32 }), clip.flicker?.[t] ?? 0));
}

/**
 * The frames of video media, checked: at least `min` frames (default 2), all of one size, and
 * exactly `expected` when given. Bad counts and sizes are InputErrors.
 * @example videoFrames(media, { expected: 8 })
 */
export function videoFrames(m: Media | readonly RgbImage[], opts: { expected?: number; min?: number; where?: string } = {}): readonly RgbImage[] {
  const frames = Array.isArray(m) ? (m as readonly RgbImage[]) : mediaFrames(m as Media);
  const where = opts.where ?? 'video';
  const min = opts.min ?? 2;
  if (opts.expected !== undefined && frames.length !== opts.expected) throw new InputError(`${where}: expected ${opts.expected} frames, got ${frames.length}`);
  if (frames.length < min) throw new InputError(`${where}: a video needs at least ${min} frames, got ${frames.length}`);
  const f0 = frames[0]!;
  frames.forEach((f, k) => {
    if (f.width !== f0.width || f.height !== f0.height) throw new InputError(`${where}: frame ${k} is ${f.width}x${f.height}, frame 0 is ${f0.width}x${f0.height}; all frames must have one size`);
  });
  return frames;
}

// ---------------------------------------------------------------- prompts

/**
 * Held-out (class, direction) combinations for moving objects: train and id never draw them,
 * ood prefers them (one in four).
 * @example isHeldOutMotion('circle', 'left') // true
 */
export function isHeldOutMotion(shape: Shape, direction: Direction): boolean {
  return (SHAPES.indexOf(shape) + DIRECTIONS.indexOf(direction)) % 4 === 0;
}

function pickWeighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rng.next() * total;
  for (const [v, w] of items) if ((r -= w) < 0) return v;
  return items[items.length - 1]![0];
}

/** Groups of this many objects or more move only slowly: four or five objects travelling 0.4 of the side do not fit apart at 32 px. */
export const SLOW_GROUP = 4;

/** Draws a motion clause of `kind` for include clause `index` (`count` objects of class `shape`, colour `color` if fixed). */
export function drawMotionClause(index: number, shape: Shape, color: string | undefined, kind: MotionKind, rng: Rng, domain: PromptDomain, count = 1, directions: readonly Direction[] = DIRECTIONS): MotionClause {
  switch (kind) {
    case 'move': {
      const held = directions.filter((d) => isHeldOutMotion(shape, d));
      const open = directions.filter((d) => !isHeldOutMotion(shape, d));
      const direction = (domain === 'ood' && held.length > 0 && rng.chance(0.5)) || open.length === 0 ? rng.pick(held) : rng.pick(open);
      const speed = rng.pick(SPEEDS);
      return { index, kind, direction, speed: count >= SLOW_GROUP ? 'slowly' : speed };
    }
    case 'recolor':
      return { index, kind, color: rng.pick(COLORS.filter((c) => c !== color)) };
    default:
      return { index, kind };
  }
}

/** Directions along each relation's axis ('left of' is horizontal). */
const RELATION_AXIS: Readonly<Record<Relation, readonly Direction[]>> = { 'left of': ['left', 'right'], 'right of': ['left', 'right'], above: ['up', 'down'], below: ['up', 'down'] };

/**
 * Directions the objects of include clause `clause` may move in: across the axis of the
 * relations they take part in (up or down for an object left of another; left or right for
 * one above another), so that the relation can hold on every frame at 32 px; any direction
 * for clauses without relations.
 * @example directionsFor({ include: [{ class: 'circle', count: 1 }, { class: 'star', count: 1, position: ['left of', 0] }] }, 0) // ['up', 'down']
 */
export function directionsFor(meta: Pick<GenevalMetadata, 'include'>, clause: number): readonly Direction[] {
  const rels = meta.include.flatMap((c, i) => (c.position && (i === clause || c.position[1] === clause) ? [c.position[0]] : []));
  const dirs = DIRECTIONS.filter((d) => rels.every((r) => !RELATION_AXIS[r].includes(d)));
  return dirs.length ? dirs : DIRECTIONS;
}

/**
 * Motion kinds a clause of `count` objects may have (in a record of `tag`). Groups only move
 * or stand still: a group turning one colour always has fewer colours than a video where one
 * of it does not, and a group appearing together leaves its error (one of it there from the
 * start) with more frame-to-frame change, so prompt-blind "fewer colours" and "less motion"
 * rules would find them. Position records leave out appearing: their relation holds on every
 * frame, so both objects are there from the first frame on.
 */
export function kindsFor(count: number, tag?: GenevalTag): readonly MotionKind[] {
  if (count > 1) return ['move', 'stay'];
  return tag === 'position' ? ['move', 'stay', 'recolor'] : MOTION_KINDS;
}

/** The motion words of a clause: t2v participles ("moving left quickly"), i2v verbs ("moves left quickly"). */
export function motionPhrase(m: MotionClause, plural: boolean, task: VideoTask): string {
  const verb = (participle: string, base: string) => (task === 't2v' ? participle : plural ? base : `${base}s`);
  switch (m.kind) {
    case 'move':
      return `${verb('moving', 'move')} ${m.direction} ${m.speed}`;
    case 'stay':
      return task === 't2v' ? 'standing still' : `${verb('', 'stay')} still`;
    case 'appear':
      return verb('appearing', 'appear');
    case 'recolor':
      return `${verb('turning', 'turn')} ${m.color}`;
  }
}

/** "the red circle", "the three stars": how i2v prompts and rationales name a clause's objects. */
export function definitePhrase(c: { class: string; count: number; color?: string }): string {
  const noun = c.count === 1 ? c.class : (SHAPE_PLURALS[c.class as Shape] ?? `${c.class}s`);
  const body = c.color ? `${c.color} ${noun}` : noun;
  return c.count === 1 ? `the ${body}` : `the ${NUMBER_WORDS[c.count] ?? String(c.count)} ${body}`;
}

/**
 * The prompt of a video record. t2v: "a video of a red circle moving left quickly and a star
 * standing still"; i2v (the first frame is given): "then the red circle moves left quickly and
 * the star stays still" (appearing objects keep their indefinite article). Records with
 * relations (position) name the relation first and the motions after "while" (t2v: "a video of
 * a star left of a circle while the star moves up slowly and the circle stays still"), or the
 * motions first and the relation as lasting (i2v: "then the star moves up slowly and the circle
 * stays still while the star stays left of the circle"), so that a direction and a relation
 * never run into each other.
 * @example videoPromptFor(meta, 't2v')
 */
export function videoPromptFor(meta: Pick<GenevalMetadata, 'include' | 'motion'>, task: VideoTask): string {
  const motionOf = (i: number): MotionClause => meta.motion?.find((x) => x.index === i) ?? { index: i, kind: 'stay' };
  const related = meta.include.some((c) => c.position);
  if (!related) {
    const parts = meta.include.map((c, i) => {
      const m = motionOf(i);
      const subject = task === 't2v' || m.kind === 'appear' ? clausePhrase(c) : definitePhrase(c);
      return `${subject} ${motionPhrase(m, c.count > 1, task)}`;
    });
    return task === 't2v' ? `a video of ${parts.join(' and ')}` : `then ${parts.join(' and ')}`;
  }
  // clauses in the order the relations name them (GenEval: "<it> <relation> <its reference>")
  const order: number[] = [];
  const mention = (i: number) => void (order.includes(i) || order.push(i));
  const referenced = new Set(meta.include.flatMap((c) => (c.position ? [c.position[1]] : [])));
  meta.include.forEach((c, i) => {
    if (c.position) {
      mention(i);
      mention(c.position[1]);
    } else if (!referenced.has(i)) mention(i);
  });
  const moves = order.map((i) => {
    const c = meta.include[i]!;
    const m = motionOf(i);
    return `${m.kind === 'appear' ? clausePhrase(c) : definitePhrase(c)} ${motionPhrase(m, c.count > 1, 'i2v')}`;
  });
  if (task === 't2v') {
    const head = meta.include.flatMap((c, i) => (c.position ? [`${clausePhrase(c)} ${c.position[0]} ${clausePhrase(meta.include[c.position[1]]!)}`] : referenced.has(i) ? [] : [clausePhrase(c)]));
    return `a video of ${head.join(' and ')} while ${moves.join(' and ')}`;
  }
  const relations = meta.include.flatMap((c) => (c.position ? [`${definitePhrase(c)} ${c.count > 1 ? 'stay' : 'stays'} ${c.position[0]} ${definitePhrase(meta.include[c.position[1]]!)}`] : []));
  return `then ${moves.join(' and ')} while ${relations.join(' and ')}`;
}

/**
 * Draws a video record: a GenEval record of `tag` with one motion clause per include clause.
 * `force` fixes the kind of one clause (pairs use it to make an error apply).
 * @example drawVideoPrompt('colors', new Rng(1), 'id', 't2v').prompt // e.g. 'a video of a blue star moving up slowly'
 */
export function drawVideoPrompt(tag: GenevalTag, rng: Rng, domain: PromptDomain, task: VideoTask, force?: { index: number; kinds: readonly MotionKind[] }): GenevalMetadata {
  if (!VIDEO_TAGS.includes(tag)) throw new InputError(`tag '${tag}' has no video prompts; video tags: ${VIDEO_TAGS.join(', ')}`);
  const base = drawPrompt(tag, rng, domain);
  const motion = base.include.map((c, i) => {
    const allowed = kindsFor(c.count, tag);
    const forced = force && force.index % base.include.length === i ? force.kinds.filter((k) => allowed.includes(k)) : [];
    if (force && force.index % base.include.length === i && forced.length === 0) throw new InputError(`no motion of kind ${force.kinds.join('/')} for ${c.count} objects`);
    const kind = forced.length ? rng.pick(forced) : pickWeighted(rng, KIND_WEIGHTS.filter(([k]) => allowed.includes(k)));
    return drawMotionClause(i, asShape(c.class), c.color, kind, rng, domain, c.count, directionsFor(base, i));
  });
  const meta = { ...base, motion };
  return { ...meta, prompt: videoPromptFor(meta, task) };
}

// ---------------------------------------------------------------- layout

/** Whether a mover stays inside the frame on every frame it is visible. */
function inBounds(m: Mover, frames: number): boolean {
  for (let t = 0; t < frames; t++) {
    const o = moverAt(m, t);
    if (!o) continue;
    if (o.x - o.w / 2 < EDGE_MARGIN || o.x + o.w / 2 > 1 - EDGE_MARGIN || o.y - o.h / 2 < EDGE_MARGIN || o.y + o.h / 2 > 1 - EDGE_MARGIN) return false;
  }
  return true;
}

/** Whether `m` keeps a gap of `gap` from every other mover on every frame (boxes, as scene.ts). */
export function moverFits(m: Mover, others: readonly Mover[], frames: number, gap: number): boolean {
  if (!inBounds(m, frames)) return false;
  for (let t = 0; t < frames; t++) {
    const a = moverAt(m, t);
    if (!a) continue;
    for (const other of others) {
      const b = moverAt(other, t);
      if (!b) continue;
      const gx = Math.abs(a.x - b.x) - (a.w + b.w) / 2;
      const gy = Math.abs(a.y - b.y) - (a.h + b.h) / 2;
      if (Math.max(gx, gy) < gap) return false;
    }
  }
  return true;
}

/** Velocity (per frame) for a direction and speed, with jitter. */
export function velocityFor(direction: Direction, speed: Speed, frames: number, rng: Rng): { vx: number; vy: number } {
  const travel = SPEED_TRAVEL[speed] * (1 + rng.uniform(-SPEED_JITTER, SPEED_JITTER));
  const [dx, dy] = DIRECTION_VECTORS[direction];
  const a = Math.atan2(dy, dx) + rng.uniform(-ANGLE_JITTER, ANGLE_JITTER);
  return { vx: (travel * Math.cos(a)) / (frames - 1), vy: (travel * Math.sin(a)) / (frames - 1) };
}

/** What a mover does besides its box: velocity, appearance, colour change. */
export type MoverMotion = Pick<Mover, 'vx' | 'vy' | 'appearAt' | 'recolor'>;

/** A mover's motion for a motion clause (a still object for none). */
export function motionFor(m: MotionClause | undefined, frames: number, rng: Rng): MoverMotion {
  if (!m || m.kind === 'stay') return { vx: 0, vy: 0 };
  if (m.kind === 'move') return velocityFor(m.direction!, m.speed!, frames, rng);
  if (m.kind === 'appear') return { vx: 0, vy: 0, appearAt: rng.int(1, Math.max(2, Math.floor(frames / 2)) + 1) };
  // the change falls between frames 2 and n - 2, so the first and last two frames show one colour each
  return { vx: 0, vy: 0, recolor: { at: rng.int(2, frames - 1), to: asColor(m.color!) } };
}

/**
 * Slack of the relations clips are laid out with (fraction of the side, about 1.3 px at 32 px):
 * a relation must hold with either box's centre shifted this far along either axis, so that
 * the oracle's pixel boxes (anti-aliased edges, a shape's own extent) read it too.
 */
export const RELATION_SLACK = 0.04;

/**
 * Whether `a` stands in relation `rel` to `b` (GenEval's rule on their boxes) on every frame
 * on which both are visible, with RELATION_SLACK to spare.
 * @example keepsRelation(star, circle, 'left of', 8)
 */
export function keepsRelation(a: Mover, b: Mover, rel: Relation, frames: number): boolean {
  const shifts = [[0, 0], [RELATION_SLACK, 0], [-RELATION_SLACK, 0], [0, RELATION_SLACK], [0, -RELATION_SLACK]] as const;
  for (let t = 0; t < frames; t++) {
    const oa = moverAt(a, t);
    const ob = moverAt(b, t);
    if (!oa || !ob) continue;
    const db = objectDetection(ob);
    for (const [dx, dy] of shifts) {
      const da = objectDetection({ ...oa, x: oa.x + dx, y: oa.y + dy });
      if (!relativePosition(da, db).has(rel)) return false;
    }
  }
  return true;
}

/**
 * Whether mover `m` keeps the record's relations with the movers `others` on every frame: m
 * to each mover of the clause its own relation names, and each mover whose relation names m's
 * clause to m. With `flip`, the opposite relations instead (the position error). Movers of
 * no clause (distractors) have no relations.
 */
export function relationsKept(m: Mover, others: readonly Mover[], meta: Pick<GenevalMetadata, 'include'>, frames: number, flip = false): boolean {
  if (m.clause === undefined) return true;
  const relOf = (c: number) => {
    const pos = meta.include[c]?.position;
    return pos && ([flip ? OPPOSITE_RELATION[pos[0]] : pos[0], pos[1]] as const);
  };
  const own = relOf(m.clause);
  for (const o of others) {
    if (o === m || o.clause === undefined) continue;
    if (own && o.clause === own[1] && !keepsRelation(m, o, own[0], frames)) return false;
    const theirs = relOf(o.clause);
    if (theirs && theirs[1] === m.clause && !keepsRelation(o, m, theirs[0], frames)) return false;
  }
  return true;
}

/**
 * Places a mover with `motion` where it fits among `others` on every frame (and `accept`
 * takes it); undefined when no place was found.
 */
export function placeMover(
  base: Pick<Mover, 'shape' | 'color'> & Partial<Pick<Mover, 'clause' | 'distractor'>>,
  motion: MoverMotion,
  others: readonly Mover[],
  frames: number,
  rng: Rng,
  style: LayoutStyle,
  size?: { w: number; h: number },
  accept?: (m: Mover) => boolean,
): Mover | undefined {
  // the box at frame 0 must leave room for the whole path
  const ex = motion.vx * (frames - 1);
  const ey = motion.vy * (frames - 1);
  for (let t = 0; t < PLACE_TRIES; t++) {
    const s = rng.uniform(style.minSize, style.maxSize);
    const j = rng.uniform(-style.aspectJitter, style.aspectJitter);
    const w = size?.w ?? s * (1 + j / 2);
    const h = size?.h ?? s * (1 - j / 2);
    const lo = (v: number, e: number) => EDGE_MARGIN + v / 2 - Math.min(0, e);
    const hi = (v: number, e: number) => 1 - EDGE_MARGIN - v / 2 - Math.max(0, e);
    if (hi(w, ex) <= lo(w, ex) || hi(h, ey) <= lo(h, ey)) continue;
    const m: Mover = { ...base, x: rng.uniform(lo(w, ex), hi(w, ex)), y: rng.uniform(lo(h, ey), hi(h, ey)), w, h, ...motion };
    if (moverFits(m, others, frames, style.gap) && (!accept || accept(m))) return m;
  }
  return undefined;
}

/** The colour a clause's object starts with. */
function startColor(c: { class: string; color?: string }, m: MotionClause | undefined, rng: Rng, style: LayoutStyle): Color {
  if (c.color) return asColor(c.color);
  const shape = asShape(c.class);
  for (let t = 0; t < 20; t++) {
    const col = freeColor(shape, rng, style);
    if (m?.kind !== 'recolor' || col !== m.color) return col;
  }
  return COLORS.find((col) => col !== m?.color)!;
}

/** Adds `n` distractors (unnamed classes, still or moving) where they fit. */
export function addMovingDistractors(movers: Mover[], meta: Pick<GenevalMetadata, 'include' | 'exclude'>, n: number, frames: number, rng: Rng, style: LayoutStyle): void {
  const named = namedClasses(meta);
  const pool = SHAPES.filter((s) => !named.has(s));
  if (pool.length === 0) return;
  for (let k = 0; k < n; k++) {
    const shape = rng.pick(pool);
    const motion = rng.chance(0.5) ? { vx: 0, vy: 0 } : velocityFor(rng.pick(DIRECTIONS), rng.pick(SPEEDS), frames, rng);
    const m = placeMover({ shape, color: freeColor(shape, rng, style), distractor: true }, motion, movers, frames, rng, style);
    if (m) movers.push(m);
  }
}

/** Lays out the prompted objects of a record (clause order), each with its clause's motion and keeping its relations on every frame. */
export function layoutMovers(meta: GenevalMetadata, frames: number, rng: Rng, style: LayoutStyle, countOverride?: { clause: number; count: number }): Mover[] | undefined {
  const movers: Mover[] = [];
  for (const [i, c] of meta.include.entries()) {
    const shape = asShape(c.class, `include[${i}]`);
    const mc = meta.motion?.find((x) => x.index === i);
    // objects of one clause share one motion (velocity and timing), so that a group moving
    // together can be packed along its path; free colours are drawn per object, as t2i does
    const motion = motionFor(mc, frames, rng);
    const count = countOverride?.clause === i ? countOverride.count : c.count;
    for (let k = 0; k < count; k++) {
      const accept = c.position || meta.include.some((o) => o.position?.[1] === i) ? (x: Mover) => relationsKept(x, movers, meta, frames) : undefined;
      const m = placeMover({ shape, color: startColor(c, mc, rng, style), clause: i }, motion, movers, frames, rng, style, undefined, accept);
      if (!m) return undefined;
      movers.push(m);
    }
  }
  return movers;
}

/**
 * The layout style for the `t`-th try of a crowded layout: objects 2% smaller per failed try,
 * down to 85% of the style's sizes.
 */
export function shrunkStyle(style: LayoutStyle, t: number): LayoutStyle {
  const shrink = Math.max(LAYOUT_MIN_SHRINK, 1 - LAYOUT_SHRINK_STEP * t);
  return shrink === 1 ? style : { ...style, minSize: style.minSize * shrink, maxSize: style.maxSize * shrink };
}

export interface ClipOptions {
  readonly frames?: number;
  readonly style?: LayoutStyle;
  readonly distractors?: number;
}

/**
 * Samples a clip that does what a video record says (objects, colours, motions), plus
 * distractors. Throws InputError when no layout fits.
 * @example const clip = clipFor(meta, new Rng(1)); renderClip(clip).length // 8
 */
export function clipFor(meta: GenevalMetadata, rng: Rng, opts: ClipOptions = {}): Clip {
  const frames = checkFrames(opts.frames ?? DEFAULT_FRAMES);
  const style = opts.style ?? ID_LAYOUT;
  for (let t = 0; t < LAYOUT_TRIES; t++) {
    const s = shrunkStyle(style, t);
    const movers = layoutMovers(meta, frames, rng, s);
    if (!movers) continue;
    addMovingDistractors(movers, meta, opts.distractors ?? rng.int(style.distractors[0], style.distractors[1] + 1), frames, rng, s);
    return { movers, frames };
  }
  throw new InputError(`could not lay out '${meta.prompt}' over ${frames} frames in ${LAYOUT_TRIES} tries; use fewer objects`);
}
