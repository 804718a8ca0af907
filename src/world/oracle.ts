/**
 * The oracle: reads an image with no access to its scene (so it also works on a generator's
 * samples) and reports objects with class, colour and box, GenEval-style clause scores and a
 * quality score. Pipeline: background estimate, foreground mask, 4-connected components,
 * per-component colour by projection onto background-to-palette lines, soft coverage, and
 * class by the best soft IoU of each shape fitted to the coverage's moments.
 */
import type { RgbImage } from '../data/image.js';
import { InputError } from '../errors.js';
import { shapeCoverage } from './render.js';
import { scoreDetections, type Detection, type MetadataScore } from './score.js';
import { insideShape } from './shapes.js';
import type { GenevalMetadata } from './types.js';
import { BACKGROUND_RGB, COLORS, COLOR_RGB, SHAPES, type Color, type Rgb, type Shape } from './vocab.js';

/** One object the oracle found. Boxes are in pixels. */
export interface OracleObject extends Detection {
  readonly shape: Shape;
  readonly color: Color;
  /** Soft IoU of the best-fitting shape (1 = perfect). */
  readonly fit: number;
  /** Soft area in pixels. */
  readonly area: number;
  readonly cx: number;
  readonly cy: number;
}

/** What the oracle reads from one image. */
export interface ImageAnalysis {
  readonly width: number;
  readonly height: number;
  readonly objects: readonly OracleObject[];
  readonly background: Rgb;
  /** Foreground parts too small to be objects (fragments, noise specks). */
  readonly fragments: number;
  /** Quality in [0, 1] and its parts (each in [0, 1], 1 = clean). */
  readonly quality: QualityScore;
}

export interface QualityScore {
  readonly score: number;
  /** Shape integrity: mean best-fit IoU relative to a clean render's. */
  readonly shapes: number;
  /** Edge sharpness: share of coverage in fully covered pixels. */
  readonly sharpness: number;
  /** Background cleanliness (noise). */
  readonly noise: number;
  /** Background colour against the world's (colour cast). */
  readonly cast: number;
  /** Few stray fragments. */
  readonly fragments: number;
}

/** Template supersampling for shape fits: 2x2 is 4x cheaper than the renderer's 4x4 and fits as well. */
const ORACLE_SUPERSAMPLE = 2;
/** Foreground threshold: RGB distance from the background (a 30% mix of the faintest colour). */
const FG_DISTANCE = 38;
/** Noise multiplier for the foreground threshold: pixels within 3 sigma of the background are background. */
const NOISE_SIGMAS = 3;
/** Smallest part kept as an object at 32x32 (DESIGN.md: drop parts under 6 px); scales with area. */
const MIN_PART_AT_32 = 6;
/** Coverage below this is treated as background (noise floor). */
const ALPHA_FLOOR = 0.1;
/** A pixel explains a colour when its distance to the background-to-colour line is under this. */
const LINE_RESIDUAL = 45;
/** Fit IoU of clean renders is about 0.9 at 32 px (sampling differences); fits are judged relative to it. */
const CLEAN_FIT = 0.88;
/** Background noise (MAD x 1.48) at which the noise score reaches 0. */
const NOISE_ZERO = 40;
/** Background shift at which the cast score reaches 0. */
const CAST_ZERO = 80;

interface ShapeMoments {
  readonly cu: number;
  readonly cv: number;
  readonly su: number;
  readonly sv: number;
}

/** Moments of each shape in its normalised box (centroid and standard deviation per axis). */
const MOMENTS: Readonly<Record<Shape, ShapeMoments>> = (() => {
  const n = 200;
  const out = {} as Record<Shape, ShapeMoments>;
  for (const s of SHAPES) {
    let m = 0;
    let su = 0;
    let sv = 0;
    let suu = 0;
    let svv = 0;
    for (let i = 0; i < n; i++) {
      const v = -1 + (2 * (i + 0.5)) / n;
      for (let j = 0; j < n; j++) {
        const u = -1 + (2 * (j + 0.5)) / n;
        if (!insideShape(s, u, v)) continue;
        m++;
        su += u;
        sv += v;
        suu += u * u;
        svv += v * v;
      }
    }
    const cu = su / m;
    const cv = sv / m;
    out[s] = { cu, cv, su: Math.sqrt(suu / m - cu * cu), sv: Math.sqrt(svv / m - cv * cv) };
  }
  return out;
})();

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Background estimate: per-channel median of the border pixels. */
function estimateBackground(img: RgbImage): Rgb {
  const ch: number[][] = [[], [], []];
  const { width: w, height: h, data } = img;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (y !== 0 && y !== h - 1 && x !== 0 && x !== w - 1) continue;
      for (let c = 0; c < 3; c++) ch[c]!.push(data[(y * w + x) * 3 + c]!);
    }
  }
  return [median(ch[0]!), median(ch[1]!), median(ch[2]!)];
}

/** Projection of pixel p onto the line bg -> col: coverage t and residual distance. */
function project(p: Rgb, bg: Rgb, col: Rgb): { t: number; residual: number } {
  const d0 = col[0] - bg[0];
  const d1 = col[1] - bg[1];
  const d2 = col[2] - bg[2];
  const e0 = p[0] - bg[0];
  const e1 = p[1] - bg[1];
  const e2 = p[2] - bg[2];
  const t = Math.min(1, Math.max(0, (e0 * d0 + e1 * d1 + e2 * d2) / (d0 * d0 + d1 * d1 + d2 * d2)));
  return { t, residual: Math.hypot(e0 - t * d0, e1 - t * d1, e2 - t * d2) };
}

function pixel(img: RgbImage, i: number): Rgb {
  return [img.data[i * 3]!, img.data[i * 3 + 1]!, img.data[i * 3 + 2]!];
}

/** 4-connected components of a mask; returns labels (0 = none) and the pixel lists. */
function components(mask: Uint8Array, w: number, h: number): { labels: Int32Array; parts: number[][] } {
  const labels = new Int32Array(w * h);
  const parts: number[][] = [];
  for (let i = 0; i < w * h; i++) {
    if (!mask[i] || labels[i]) continue;
    const id = parts.length + 1;
    const part: number[] = [];
    const stack = [i];
    labels[i] = id;
    while (stack.length) {
      const k = stack.pop()!;
      part.push(k);
      const x = k % w;
      const y = (k - x) / w;
      const nb = [x > 0 ? k - 1 : -1, x < w - 1 ? k + 1 : -1, y > 0 ? k - w : -1, y < h - 1 ? k + w : -1];
      for (const q of nb) {
        if (q >= 0 && mask[q] && !labels[q]) {
          labels[q] = id;
          stack.push(q);
        }
      }
    }
    parts.push(part);
  }
  return { labels, parts };
}

/**
 * Finds the objects in an image (no scene access).
 * @example analyzeImage(render(scene)).objects.map((o) => `${o.color} ${o.shape}`)
 */
export function analyzeImage(img: RgbImage): ImageAnalysis {
  const { width: w, height: h } = img;
  if (w < 4 || h < 4 || img.data.length !== w * h * 3) throw new InputError(`oracle: expected an RGB image of at least 4x4 with ${w}x${h}x3 bytes, got ${img.data.length} bytes`);
  const bg = estimateBackground(img);
  const cast: Rgb = [bg[0] - BACKGROUND_RGB[0], bg[1] - BACKGROUND_RGB[1], bg[2] - BACKGROUND_RGB[2]];
  const palette = COLORS.map((c) => [COLOR_RGB[c][0] + cast[0], COLOR_RGB[c][1] + cast[1], COLOR_RGB[c][2] + cast[2]] as Rgb);
  const dist = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const p = pixel(img, i);
    dist[i] = Math.hypot(p[0] - bg[0], p[1] - bg[1], p[2] - bg[2]);
  }
  // noise: robust spread of background-ish pixels
  const near = Array.from(dist).filter((d) => d < FG_DISTANCE * 2);
  const noiseSigma = median(near) * 1.48;
  const threshold = Math.max(FG_DISTANCE, noiseSigma * NOISE_SIGMAS);
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) mask[i] = dist[i]! > threshold ? 1 : 0;
  const { labels, parts } = components(mask, w, h);
  const minPart = Math.max(2, Math.round((MIN_PART_AT_32 * w * h) / (32 * 32)));
  const objects: OracleObject[] = [];
  let fragments = 0;
  parts.forEach((part, idx) => {
    if (part.length < minPart) {
      fragments++;
      return;
    }
    const o = readObject(img, part, idx + 1, labels, bg, palette);
    if (o) objects.push(o);
    else fragments++;
  });
  return { width: w, height: h, objects, background: bg, fragments, quality: qualityOf(objects, labels, dist, threshold, noiseSigma, cast, fragments, w, h) };
}

function readObject(img: RgbImage, part: number[], id: number, labels: Int32Array, bg: Rgb, palette: Rgb[]): OracleObject | undefined {
  const w = img.width;
  const h = img.height;
  // colour: vote by coverage among pixels that lie near a background-to-colour line
  const votes = new Float64Array(COLORS.length);
  for (const k of part) {
    const p = pixel(img, k);
    let best = -1;
    let bestRes = Infinity;
    let bestT = 0;
    palette.forEach((col, ci) => {
      const { t, residual } = project(p, bg, col);
      if (t > 0.3 && residual < bestRes) {
        bestRes = residual;
        best = ci;
        bestT = t;
      }
    });
    if (best >= 0) votes[best]! += bestT * bestT;
  }
  let ci = 0;
  for (let c = 1; c < votes.length; c++) if (votes[c]! > votes[ci]!) ci = c;
  if (votes[ci] === 0) return undefined;
  const col = palette[ci]!;
  // soft coverage over the part's box grown by 2 px (fringe pixels that belong to no other part)
  let bx0 = w;
  let by0 = h;
  let bx1 = 0;
  let by1 = 0;
  for (const k of part) {
    const x = k % w;
    const y = (k - x) / w;
    bx0 = Math.min(bx0, x);
    by0 = Math.min(by0, y);
    bx1 = Math.max(bx1, x);
    by1 = Math.max(by1, y);
  }
  const gx0 = Math.max(0, bx0 - 2);
  const gy0 = Math.max(0, by0 - 2);
  const gx1 = Math.min(w - 1, bx1 + 2);
  const gy1 = Math.min(h - 1, by1 + 2);
  const ww = gx1 - gx0 + 1;
  const wh = gy1 - gy0 + 1;
  const alpha = new Float32Array(ww * wh);
  let m = 0;
  let sx = 0;
  let sy = 0;
  for (let y = gy0; y <= gy1; y++) {
    for (let x = gx0; x <= gx1; x++) {
      const k = y * w + x;
      if (labels[k] !== 0 && labels[k] !== id) continue;
      const { t, residual } = project(pixel(img, k), bg, col);
      const a = residual < LINE_RESIDUAL && t >= ALPHA_FLOOR ? t : 0;
      alpha[(y - gy0) * ww + (x - gx0)] = a;
      m += a;
      sx += a * (x + 0.5);
      sy += a * (y + 0.5);
    }
  }
  if (m <= 0) return undefined;
  const mx = sx / m;
  const my = sy / m;
  let vxx = 0;
  let vyy = 0;
  for (let y = gy0; y <= gy1; y++) {
    for (let x = gx0; x <= gx1; x++) {
      const a = alpha[(y - gy0) * ww + (x - gx0)]!;
      vxx += a * (x + 0.5 - mx) ** 2;
      vyy += a * (y + 0.5 - my) ** 2;
    }
  }
  const sdx = Math.sqrt(vxx / m);
  const sdy = Math.sqrt(vyy / m);
  let best: { shape: Shape; fit: number; cx: number; cy: number; bw: number; bh: number } | undefined;
  for (const s of SHAPES) {
    const mo = MOMENTS[s];
    const bw = (2 * sdx) / mo.su;
    const bh = (2 * sdy) / mo.sv;
    const cx = mx - (mo.cu * bw) / 2;
    const cy = my - (mo.cv * bh) / 2;
    const fit = softIou(alpha, gx0, gy0, ww, wh, shapeCoverageSafe(s, cx, cy, bw, bh));
    if (!best || fit > best.fit) best = { shape: s, fit, cx, cy, bw, bh };
  }
  const b = best!;
  return {
    shape: b.shape,
    color: COLORS[ci]!,
    fit: b.fit,
    area: m,
    cx: b.cx,
    cy: b.cy,
    x0: b.cx - b.bw / 2,
    y0: b.cy - b.bh / 2,
    x1: b.cx + b.bw / 2,
    y1: b.cy + b.bh / 2,
  };
}

/** Shape coverage, guarding against absurd boxes from degenerate moments. */
function shapeCoverageSafe(s: Shape, cx: number, cy: number, bw: number, bh: number): ReturnType<typeof shapeCoverage> {
  const sane = (v: number) => (Number.isFinite(v) && v > 0.5 ? Math.min(v, 512) : 0.5);
  return shapeCoverage(s, cx, cy, sane(bw), sane(bh), ORACLE_SUPERSAMPLE);
}

/** Soft IoU (sum of minima over sum of maxima) of an observed window and a template. */
function softIou(alpha: Float32Array, ox: number, oy: number, ow: number, oh: number, tpl: ReturnType<typeof shapeCoverage>): number {
  const x0 = Math.min(ox, tpl.x0);
  const y0 = Math.min(oy, tpl.y0);
  const x1 = Math.max(ox + ow, tpl.x0 + tpl.w);
  const y1 = Math.max(oy + oh, tpl.y0 + tpl.h);
  let inter = 0;
  let union = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const a = x >= ox && x < ox + ow && y >= oy && y < oy + oh ? alpha[(y - oy) * ow + (x - ox)]! : 0;
      const b = x >= tpl.x0 && x < tpl.x0 + tpl.w && y >= tpl.y0 && y < tpl.y0 + tpl.h ? tpl.alpha[(y - tpl.y0) * tpl.w + (x - tpl.x0)]! : 0;
      inter += Math.min(a, b);
      union += Math.max(a, b);
    }
  }
  return union > 0 ? inter / union : 0;
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

function qualityOf(
  objects: readonly OracleObject[],
  labels: Int32Array,
  dist: Float32Array,
  threshold: number,
  noiseSigma: number,
  cast: Rgb,
  fragments: number,
  w: number,
  h: number,
): QualityScore {
  const shapes = objects.length ? clamp01(objects.reduce((s, o) => s + o.fit, 0) / objects.length / CLEAN_FIT) : 1;
  // sharpness: among foreground pixels, the share that are far past the threshold (fully covered)
  let fg = 0;
  let solid = 0;
  const strong = threshold * 2.2;
  for (let i = 0; i < w * h; i++) {
    if (!labels[i]) continue;
    fg++;
    if (dist[i]! > strong) solid++;
  }
  // linear from 0: the mild blur of the OOD shift reads low but not 0, so a clean blurred image still outscores a degraded one
  const sharpness = fg ? clamp01(solid / fg / 0.75) : 1;
  const noise = clamp01(1 - noiseSigma / NOISE_ZERO);
  const castScore = clamp01(1 - Math.hypot(cast[0], cast[1], cast[2]) / CAST_ZERO);
  const frag = clamp01(1 - fragments / 4);
  const score = shapes * sharpness ** 0.5 * noise * castScore * frag;
  return { score, shapes, sharpness, noise, cast: castScore, fragments: frag };
}

/**
 * Scores an image against a GenEval record from the oracle's detections alone.
 * @example scoreMetadata(img, meta).correct
 */
export function scoreMetadata(img: RgbImage | ImageAnalysis, meta: Pick<GenevalMetadata, 'include' | 'exclude'>): MetadataScore {
  const a = 'objects' in img ? img : analyzeImage(img);
  return scoreDetections(a.objects, meta);
}
