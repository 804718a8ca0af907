/**
 * The renderer: scenes to RGB images with supersampled anti-aliasing, in pure TypeScript so
 * that the same scene gives the same pixels on every machine. Coordinates in a scene are
 * fractions of the image side, so one scene renders at any resolution.
 */
import type { RgbImage } from '../data/image.js';
import { ConfigError } from '../errors.js';
import { insideShape } from './shapes.js';
import type { Scene, SceneObject } from './scene-types.js';
import { BACKGROUND_RGB, COLOR_RGB, type Rgb, type Shape } from './vocab.js';

/** Default side length: 32 px, the size the calibrations in DESIGN.md used. */
export const DEFAULT_SIZE = 32;
/** Supersampling grid per pixel axis: 4x4 = 16 samples gives 17 coverage levels. */
export const DEFAULT_SUPERSAMPLE = 4;

export interface RenderOptions {
  /** Side length in pixels (square images). */
  readonly size?: number;
  /** Samples per pixel axis. */
  readonly supersample?: number;
}

/** Soft coverage of one shape over a pixel window (alpha in [0, 1], row-major). */
export interface Coverage {
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly alpha: Float32Array;
}

/** A half-plane cut that removes part of a shape (the "broken shape" degradation). */
export interface Cut {
  /** Direction of the cut normal, radians. */
  readonly angle: number;
  /** Keep points whose projection on the normal is at most this (in normalised units, -1..1). */
  readonly keep: number;
}

/**
 * Coverage of `shape` with box centre (cx, cy) and size (bw, bh) in pixels, over the pixels
 * its box touches.
 * @example shapeCoverage('circle', 16, 16, 10, 10).alpha.length // 100 or a little more
 */
export function shapeCoverage(shape: Shape, cx: number, cy: number, bw: number, bh: number, ss = DEFAULT_SUPERSAMPLE, cut?: Cut): Coverage {
  const x0 = Math.floor(cx - bw / 2);
  const y0 = Math.floor(cy - bh / 2);
  const x1 = Math.ceil(cx + bw / 2);
  const y1 = Math.ceil(cy + bh / 2);
  const w = Math.max(0, x1 - x0);
  const h = Math.max(0, y1 - y0);
  const alpha = new Float32Array(w * h);
  const inv = 1 / (ss * ss);
  const su = 2 / bw;
  const sv = 2 / bh;
  const ca = cut ? Math.cos(cut.angle) : 0;
  const sa = cut ? Math.sin(cut.angle) : 0;
  const inside = (x: number, y: number): boolean => {
    const u = (x - cx) * su;
    const v = (y - cy) * sv;
    return insideShape(shape, u, v) && (!cut || u * ca + v * sa <= cut.keep);
  };
  // pixel corners: a pixel whose corners and centre all agree is taken as fully in or out
  // (features thinner than a pixel do not occur at the sizes the world draws), so only
  // edge pixels pay for the full supersampling grid
  const corners = new Uint8Array((w + 1) * (h + 1));
  for (let py = 0; py <= h; py++) for (let px = 0; px <= w; px++) corners[py * (w + 1) + px] = inside(x0 + px, y0 + py) ? 1 : 0;
  for (let py = 0; py < h; py++) {
    for (let px = 0; px < w; px++) {
      const k = py * (w + 1) + px;
      const sum = corners[k]! + corners[k + 1]! + corners[k + w + 1]! + corners[k + w + 2]!;
      const mid = inside(x0 + px + 0.5, y0 + py + 0.5) ? 1 : 0;
      if ((sum === 0 && mid === 0) || (sum === 4 && mid === 1)) {
        alpha[py * w + px] = mid;
        continue;
      }
      let hits = 0;
      for (let sy = 0; sy < ss; sy++) {
        const y = y0 + py + (sy + 0.5) / ss;
        for (let sx = 0; sx < ss; sx++) if (inside(x0 + px + (sx + 0.5) / ss, y)) hits++;
      }
      alpha[py * w + px] = hits * inv;
    }
  }
  return { x0, y0, w, h, alpha };
}

/** Blends a coverage window of colour `rgb` into a float RGB buffer. */
function blend(buf: Float32Array, side: number, cov: Coverage, rgb: Rgb): void {
  for (let py = 0; py < cov.h; py++) {
    const y = cov.y0 + py;
    if (y < 0 || y >= side) continue;
    for (let px = 0; px < cov.w; px++) {
      const x = cov.x0 + px;
      const a = cov.alpha[py * cov.w + px]!;
      if (a === 0 || x < 0 || x >= side) continue;
      const o = (y * side + x) * 3;
      buf[o] = buf[o]! * (1 - a) + rgb[0] * a;
      buf[o + 1] = buf[o + 1]! * (1 - a) + rgb[1] * a;
      buf[o + 2] = buf[o + 2]! * (1 - a) + rgb[2] * a;
    }
  }
}

/** Pixel-space box of an object at a resolution. */
export function objectBox(o: SceneObject, side: number): { cx: number; cy: number; w: number; h: number } {
  return { cx: o.x * side, cy: o.y * side, w: o.w * side, h: o.h * side };
}

/**
 * Renders a scene to an RGB image (deterministic, anti-aliased).
 * @example const img = render(scene, { size: 32 }); // img.data.length === 32 * 32 * 3
 */
export function render(scene: Scene, opts: RenderOptions = {}): RgbImage {
  const side = opts.size ?? DEFAULT_SIZE;
  const ss = opts.supersample ?? DEFAULT_SUPERSAMPLE;
  if (!Number.isInteger(side) || side < 8) throw new ConfigError(`render: size must be an integer >= 8, got ${side}`);
  if (!Number.isInteger(ss) || ss < 1) throw new ConfigError(`render: supersample must be a positive integer, got ${ss}`);
  const bg = scene.background ?? BACKGROUND_RGB;
  const buf = new Float32Array(side * side * 3);
  for (let i = 0; i < side * side; i++) {
    buf[i * 3] = bg[0];
    buf[i * 3 + 1] = bg[1];
    buf[i * 3 + 2] = bg[2];
  }
  for (const o of scene.objects) {
    const b = objectBox(o, side);
    blend(buf, side, shapeCoverage(o.shape, b.cx, b.cy, b.w, b.h, ss, o.cut), COLOR_RGB[o.color]);
  }
  const data = new Uint8Array(buf.length);
  for (let i = 0; i < buf.length; i++) data[i] = Math.round(buf[i]!);
  return { width: side, height: side, data };
}
