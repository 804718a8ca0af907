/**
 * Scene sampling: a random layout that satisfies a GenEval record (counts, colours,
 * positions) with jittered sizes, aspect and placement, plus optional distractor objects of
 * classes the prompt does not mention. Layout styles define the in-domain and OOD looks.
 */
import { InputError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { relativePosition, scoreDetections, type Detection, type MetadataScore } from './score.js';
import type { Scene, SceneObject } from './scene-types.js';
import type { GenevalMetadata } from './types.js';
import { COLORS, SHAPES, asColor, asShape, isHeldOutCombo, type Color, type Shape } from './vocab.js';

export type { Scene, SceneObject } from './scene-types.js';

/** How objects are sized and placed. Sizes are fractions of the image side. */
export interface LayoutStyle {
  readonly minSize: number;
  readonly maxSize: number;
  /** Max relative difference between width and height. */
  readonly aspectJitter: number;
  /** Number of distractor objects, drawn uniformly from [min, max]. */
  readonly distractors: readonly [number, number];
  /** Minimum gap between object boxes (fraction of the side); keeps objects separable. */
  readonly gap: number;
  /** 'avoid': never draw a held-out (class, colour) combination; 'prefer': draw them for free colours. */
  readonly heldOut: 'avoid' | 'prefer' | 'ignore';
}

/** In-domain look: 8-11.5 px objects at 32 px, at most one distractor. */
export const ID_LAYOUT: LayoutStyle = { minSize: 0.25, maxSize: 0.36, aspectJitter: 0.15, distractors: [0, 1], gap: 0.07, heldOut: 'avoid' };
/**
 * Out-of-domain look: smaller objects (7-9.5 px; the calibration found bigger objects made
 * OOD easier), more distractors, held-out colour combinations where the prompt leaves colour free.
 */
export const OOD_LAYOUT: LayoutStyle = { minSize: 0.22, maxSize: 0.3, aspectJitter: 0.2, distractors: [1, 3], gap: 0.07, heldOut: 'prefer' };
/** Plain look for validation: no distractors. */
export const PLAIN_LAYOUT: LayoutStyle = { ...ID_LAYOUT, distractors: [0, 0] };

/** Edge margin: boxes stay this far inside the image (fraction of the side). */
const EDGE_MARGIN = 0.03;
/** Placement attempts per object before the whole layout is retried. */
const PLACE_TRIES = 60;
/** Layout retries before giving up (a record asking for too many objects). */
const LAYOUT_TRIES = 40;
/** Per failed layout, objects shrink by this share, down to LAYOUT_MIN_SHRINK of the style's sizes. */
const LAYOUT_SHRINK_STEP = 0.02;
const LAYOUT_MIN_SHRINK = 0.8;

/** A scene object's box as a Detection (fractions of the side). */
export function objectDetection(o: SceneObject): Detection {
  return { shape: o.shape, color: o.color, x0: o.x - o.w / 2, y0: o.y - o.h / 2, x1: o.x + o.w / 2, y1: o.y + o.h / 2 };
}

/** Scores a scene's ground truth against a record (what the oracle should find). */
export function scoreScene(scene: Scene, meta: Pick<GenevalMetadata, 'include' | 'exclude'>): MetadataScore {
  return scoreDetections(scene.objects.map(objectDetection), meta);
}

/** Box gap between two objects (negative when overlapping). */
function boxGap(a: SceneObject, b: SceneObject): number {
  const gx = Math.abs(a.x - b.x) - (a.w + b.w) / 2;
  const gy = Math.abs(a.y - b.y) - (a.h + b.h) / 2;
  return Math.max(gx, gy);
}

/** Whether `o` fits (inside the frame, clear of `others`). */
export function fits(o: SceneObject, others: readonly SceneObject[], gap: number): boolean {
  if (o.x - o.w / 2 < EDGE_MARGIN || o.x + o.w / 2 > 1 - EDGE_MARGIN || o.y - o.h / 2 < EDGE_MARGIN || o.y + o.h / 2 > 1 - EDGE_MARGIN) return false;
  return others.every((p) => boxGap(o, p) >= gap);
}

/** A colour for an object whose colour the prompt leaves free. */
export function freeColor(shape: Shape, rng: Rng, style: Pick<LayoutStyle, 'heldOut'>): Color {
  if (style.heldOut === 'ignore') return rng.pick(COLORS);
  const held = COLORS.filter((c) => isHeldOutCombo(shape, c));
  const open = COLORS.filter((c) => !isHeldOutCombo(shape, c));
  if (style.heldOut === 'prefer' && held.length > 0 && rng.chance(0.5)) return rng.pick(held);
  return rng.pick(open);
}

/**
 * Tries to place an object of `shape` and `color` clear of `others`, optionally where
 * `accept` holds; returns undefined when no spot was found.
 */
export function placeObject(
  shape: Shape,
  color: Color,
  others: readonly SceneObject[],
  rng: Rng,
  style: LayoutStyle,
  accept: (o: SceneObject) => boolean = () => true,
  size?: { w: number; h: number },
): SceneObject | undefined {
  for (let t = 0; t < PLACE_TRIES; t++) {
    const s = rng.uniform(style.minSize, style.maxSize);
    const j = rng.uniform(-style.aspectJitter, style.aspectJitter);
    const w = size?.w ?? s * (1 + j / 2);
    const h = size?.h ?? s * (1 - j / 2);
    const x = rng.uniform(EDGE_MARGIN + w / 2, 1 - EDGE_MARGIN - w / 2);
    const y = rng.uniform(EDGE_MARGIN + h / 2, 1 - EDGE_MARGIN - h / 2);
    const o: SceneObject = { shape, color, x, y, w, h };
    if (fits(o, others, style.gap) && accept(o)) return o;
  }
  return undefined;
}

/** Classes a record names (include and exclude). */
export function namedClasses(meta: Pick<GenevalMetadata, 'include' | 'exclude'>): Set<string> {
  return new Set([...meta.include.map((c) => c.class), ...(meta.exclude ?? []).map((c) => c.class)]);
}

/** Adds `n` distractors (classes the record does not name) to a scene, where they fit. */
export function addDistractors(objects: SceneObject[], meta: Pick<GenevalMetadata, 'include' | 'exclude'>, n: number, rng: Rng, style: LayoutStyle): void {
  const named = namedClasses(meta);
  const pool = SHAPES.filter((s) => !named.has(s));
  if (pool.length === 0) return;
  for (let k = 0; k < n; k++) {
    const shape = rng.pick(pool);
    const o = placeObject(shape, freeColor(shape, rng, style), objects, rng, style);
    if (o) objects.push({ ...o, distractor: true });
  }
}

function tryLayout(meta: GenevalMetadata, rng: Rng, style: LayoutStyle): SceneObject[] | undefined {
  const objects: SceneObject[] = [];
  const groups: SceneObject[][] = [];
  for (const [i, c] of meta.include.entries()) {
    const shape = asShape(c.class, `include[${i}]`);
    const group: SceneObject[] = [];
    for (let k = 0; k < c.count; k++) {
      const color = c.color ? asColor(c.color) : freeColor(shape, rng, style);
      const pos = c.position;
      const accept = pos
        ? (o: SceneObject) => (groups[pos[1]] ?? []).every((t) => relativePosition(objectDetection(o), objectDetection(t)).has(pos[0]))
        : undefined;
      const o = placeObject(shape, color, objects, rng, style, accept);
      if (!o) return undefined;
      objects.push(o);
      group.push(o);
    }
    groups.push(group);
  }
  return objects;
}

export interface SceneOptions {
  readonly style?: LayoutStyle;
  /** Overrides the style's distractor count. */
  readonly distractors?: number;
}

/**
 * Samples a scene that satisfies `meta` (exactly `count` objects per include clause, its
 * colours and positions), plus distractors.
 * @example const scene = sceneFor(meta, new Rng(1), { style: ID_LAYOUT }); scoreScene(scene, meta).correct // true
 */
export function sceneFor(meta: GenevalMetadata, rng: Rng, opts: SceneOptions = {}): Scene {
  const style = opts.style ?? ID_LAYOUT;
  for (let t = 0; t < LAYOUT_TRIES; t++) {
    // crowded records (four or five objects plus distractors) get smaller objects after failures
    const shrink = Math.max(LAYOUT_MIN_SHRINK, 1 - LAYOUT_SHRINK_STEP * t);
    const tryStyle = shrink === 1 ? style : { ...style, minSize: style.minSize * shrink, maxSize: style.maxSize * shrink };
    const objects = tryLayout(meta, rng, tryStyle);
    if (!objects) continue;
    const n = opts.distractors ?? rng.int(style.distractors[0], style.distractors[1] + 1);
    addDistractors(objects, meta, n, rng, tryStyle);
    const scene = { objects };
    if (scoreScene(scene, meta).correct) return scene;
  }
  throw new InputError(`could not lay out '${meta.prompt}' in ${LAYOUT_TRIES} tries (too many objects or contradictory positions); use fewer or smaller objects`);
}
