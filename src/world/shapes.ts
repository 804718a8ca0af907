/**
 * Shape geometry: for each class an inside-test on normalised coordinates (u, v) in [-1, 1]^2,
 * where the shape's tight bounding box is exactly that square. The renderer maps an object's
 * box onto it and the oracle fits the same shapes to what it sees, so both share one geometry.
 */
import type { Shape } from './vocab.js';

type InsideFn = (u: number, v: number) => boolean;

/** Even-odd point-in-polygon test over flat [x0, y0, x1, y1, ...] vertices. */
function inPolygon(pts: Float64Array, u: number, v: number): boolean {
  if (u < -1 || u > 1 || v < -1 || v > 1) return false;
  let inside = false;
  const n = pts.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = pts[i]!;
    const yi = pts[i + 1]!;
    const xj = pts[j]!;
    const yj = pts[j + 1]!;
    if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Rescales points so that their bounding box is [-1, 1]^2. */
function normalisePoints(pts: readonly (readonly [number, number])[]): [number, number][] {
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return pts.map(([x, y]) => [((x - x0) / (x1 - x0)) * 2 - 1, ((y - y0) / (y1 - y0)) * 2 - 1]);
}

/** Star outer/inner radius ratio: 0.5 keeps the arms thick enough to survive 9 px renders. */
const STAR_INNER = 0.5;
const STAR_POINTS = Float64Array.from(normalisePoints(
  Array.from({ length: 10 }, (_, k) => {
    const r = k % 2 === 0 ? 1 : STAR_INNER;
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    return [r * Math.cos(a), r * Math.sin(a)] as const;
  }),
).flat());
/** Cross arm half-width (fraction of the half-size): arms about a third of the box wide. */
const CROSS_ARM = 0.36;
/** Ring inner radius: a hole about half the diameter, visible at 8 px. */
const RING_INNER = 0.5;
/** Moon: the unit circle minus a circle of radius MOON_CUT_R centred MOON_CUT_X to the right. */
const MOON_CUT_X = 0.55;
const MOON_CUT_R = 0.8;
/** The moon's right edge in raw coordinates (where the two circles cross), for normalising. */
const MOON_RIGHT = (1 - MOON_CUT_R * MOON_CUT_R + MOON_CUT_X * MOON_CUT_X) / (2 * MOON_CUT_X);

const INSIDE: Readonly<Record<Shape, InsideFn>> = {
  circle: (u, v) => u * u + v * v <= 1,
  square: (u, v) => Math.abs(u) <= 1 && Math.abs(v) <= 1,
  triangle: (u, v) => v <= 1 && Math.abs(u) <= (v + 1) / 2,
  star: (u, v) => inPolygon(STAR_POINTS, u, v),
  cross: (u, v) => Math.abs(u) <= 1 && Math.abs(v) <= 1 && (Math.abs(u) <= CROSS_ARM || Math.abs(v) <= CROSS_ARM),
  diamond: (u, v) => Math.abs(u) + Math.abs(v) <= 1,
  ring: (u, v) => {
    const r2 = u * u + v * v;
    return r2 <= 1 && r2 >= RING_INNER * RING_INNER;
  },
  moon: (u, v) => {
    // map [-1, 1] back to the raw crescent's box [-1, MOON_RIGHT] x [-1, 1]
    const x = -1 + ((u + 1) / 2) * (MOON_RIGHT + 1);
    const dx = x - MOON_CUT_X;
    return x * x + v * v <= 1 && dx * dx + v * v > MOON_CUT_R * MOON_CUT_R;
  },
};

/**
 * Whether normalised point (u, v) lies inside `shape`.
 * @example insideShape('circle', 0, 0) // true
 */
export function insideShape(shape: Shape, u: number, v: number): boolean {
  return INSIDE[shape](u, v);
}
