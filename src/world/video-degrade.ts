/**
 * Temporal degradations of clips with a known severity in (0, 1]: flicker (frame brightness
 * jumps), jumps (an object teleports and carries on from its new place) and identity changes
 * (an object's shape or colour swaps mid-clip). Frame 0 is never touched, so an i2v condition
 * stays the first frame of both videos. Deterministic given the Rng.
 */
import { InputError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { moverFits, type Clip, type Mover } from './video.js';
import { COLORS, SHAPES } from './vocab.js';

export const TEMPORAL_DEGRADATIONS = ['flicker', 'jump', 'identity'] as const;
export type TemporalDegradation = (typeof TEMPORAL_DEGRADATIONS)[number];

export interface TemporalSpec {
  readonly kind: TemporalDegradation;
  readonly severity: number;
}

/** Brightness offset of a flickering frame (0-255 scale) at severity 0 and 1. */
const FLICKER_OFFSET: readonly [number, number] = [20, 55];
/** Teleport distance (fraction of the side): 0.15 is about one object size at 32 px. */
const JUMP_DISTANCE: readonly [number, number] = [0.15, 0.4];
/** Gap kept between objects after a jump (fraction of the side). */
const JUMP_GAP = 0.04;
/** Directions tried for a jump before giving up. */
const JUMP_TRIES = 16;

function lerp(r: readonly [number, number], s: number): number {
  return r[0] + (r[1] - r[0]) * s;
}

/**
 * Applies a temporal degradation; undefined when it cannot apply (no room for a jump, no
 * prompted object late enough).
 * @example degradeClip(clip, { kind: 'jump', severity: 0.5 }, rng)
 */
export function degradeClip(clip: Clip, spec: TemporalSpec, rng: Rng): Clip | undefined {
  if (!(spec.severity > 0 && spec.severity <= 1)) throw new InputError(`temporal degradation severity must be in (0, 1], got ${spec.severity}`);
  const n = clip.frames;
  const s = spec.severity;
  if (spec.kind === 'flicker') {
    // more frames and stronger offsets with severity; alternating signs
    const count = Math.max(1, Math.round(1 + s * ((n - 1) / 2 - 1)));
    const frames = rng.shuffle(Array.from({ length: n - 1 }, (_, i) => i + 1)).slice(0, count);
    const amp = lerp(FLICKER_OFFSET, s);
    const sign = rng.chance(0.5) ? 1 : -1;
    const flicker = Array.from({ length: n }, (_, t) => clip.flicker?.[t] ?? 0);
    frames.forEach((t, k) => (flicker[t] = flicker[t]! + amp * (k % 2 === 0 ? sign : -sign)));
    return { ...clip, flicker };
  }
  const prompted = clip.movers.map((m, i) => ({ m, i })).filter(({ m }) => m.clause !== undefined && !m.jump && !m.swap);
  if (prompted.length === 0) return undefined;
  const { m, i } = rng.pick(prompted);
  const first = m.appearAt ?? 0;
  const others = clip.movers.filter((_, j) => j !== i);
  const withMover = (nm: Mover): Clip => ({ ...clip, movers: clip.movers.map((x, j) => (j === i ? nm : x)) });
  if (spec.kind === 'jump') {
    const lo = first + 2;
    const hi = n - 2;
    if (hi < lo) return undefined;
    const at = rng.int(lo, hi + 1);
    const d = lerp(JUMP_DISTANCE, s);
    const a0 = rng.uniform(0, 2 * Math.PI);
    for (let k = 0; k < JUMP_TRIES; k++) {
      const a = a0 + (2 * Math.PI * k) / JUMP_TRIES;
      const nm: Mover = { ...m, jump: { at, dx: d * Math.cos(a), dy: d * Math.sin(a) } };
      if (moverFits(nm, others, n, JUMP_GAP)) return withMover(nm);
    }
    return undefined;
  }
  // identity: the last `changed` frames show another shape or colour
  const changed = Math.round(lerp([2, n - 2], s));
  const at = Math.max(first + 2, n - changed);
  if (at > n - 2) return undefined;
  const byShape = m.recolor !== undefined || rng.chance(0.5);
  const nm: Mover = byShape
    ? { ...m, swap: { at, shape: rng.pick(SHAPES.filter((x) => x !== m.shape)) } }
    : { ...m, swap: { at, color: rng.pick(COLORS.filter((c) => c !== m.color)) } };
  return withMover(nm);
}
