/**
 * Quality degradations with a known severity in (0, 1]: blur, noise, blocky artefacts,
 * colour cast and duplicated fragments act on pixels; broken (partial) shapes act on the
 * scene. Deterministic given the Rng.
 */
import type { RgbImage } from '../data/image.js';
import { InputError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { Scene } from './scene-types.js';
import { BACKGROUND_RGB } from './vocab.js';

/** Pixel-level degradations, plus 'broken' which cuts shapes in the scene before rendering. */
export const DEGRADATIONS = ['blur', 'noise', 'blocky', 'cast', 'fragments', 'broken'] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

/** A degradation and its severity. */
export interface DegradationSpec {
  readonly kind: Degradation;
  readonly severity: number;
}

/** Blur sigma in pixels at severity 0 and 1: 0.5 px is a soft edge, 1.5 px smears a 9 px shape. */
const BLUR_SIGMA: readonly [number, number] = [0.5, 1.5];
/** Gaussian noise sigma (0-255 scale). */
const NOISE_SIGMA: readonly [number, number] = [10, 40];
/** Colour cast length in RGB units. */
const CAST_SHIFT: readonly [number, number] = [25, 75];
/** Share of the shape a 'broken' cut removes. */
const BROKEN_SHARE: readonly [number, number] = [0.3, 0.7];
/** Fragment patch side in pixels at 32 px (scaled with the image). */
const FRAGMENT_SIDE_AT_32 = 4;

function lerp(r: readonly [number, number], s: number): number {
  return r[0] + (r[1] - r[0]) * s;
}

function checkSeverity(s: number): void {
  if (!(s > 0 && s <= 1)) throw new InputError(`degradation severity must be in (0, 1], got ${s}`);
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Separable Gaussian blur with edge clamping. */
export function blur(img: RgbImage, sigma: number): RgbImage {
  const r = Math.max(1, Math.ceil(sigma * 2.5));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += k[i + r]! * img.data[(y * w + Math.min(w - 1, Math.max(0, x + i))) * 3 + c]!;
        tmp[(y * w + x) * 3 + c] = acc / sum;
      }
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += k[i + r]! * tmp[(Math.min(h - 1, Math.max(0, y + i)) * w + x) * 3 + c]!;
        out[(y * w + x) * 3 + c] = clampByte(acc / sum);
      }
  return { width: w, height: h, data: out };
}

/** Adds Gaussian noise. */
function noise(img: RgbImage, sigma: number, rng: Rng): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clampByte(img.data[i]! + sigma * rng.normal());
  return { ...img, data: out };
}

/** Block averaging (compression-like blocky artefacts), blended with the original by `mix`. */
function blocky(img: RgbImage, block: number, mix: number): RgbImage {
  const { width: w, height: h } = img;
  const out = new Uint8Array(img.data.length);
  for (let by = 0; by < h; by += block)
    for (let bx = 0; bx < w; bx += block) {
      const mean = [0, 0, 0];
      let n = 0;
      for (let y = by; y < Math.min(h, by + block); y++)
        for (let x = bx; x < Math.min(w, bx + block); x++) {
          for (let c = 0; c < 3; c++) mean[c]! += img.data[(y * w + x) * 3 + c]!;
          n++;
        }
      for (let y = by; y < Math.min(h, by + block); y++)
        for (let x = bx; x < Math.min(w, bx + block); x++)
          for (let c = 0; c < 3; c++) {
            const i = (y * w + x) * 3 + c;
            out[i] = clampByte(img.data[i]! * (1 - mix) + (mean[c]! / n) * mix);
          }
    }
  return { ...img, data: out };
}

/** Shifts every pixel by one RGB vector. */
function cast(img: RgbImage, shift: readonly [number, number, number]): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clampByte(img.data[i]! + shift[i % 3]!);
  return { ...img, data: out };
}

/** Copies patches centred on foreground pixels to random places (duplicated fragments). */
function fragments(img: RgbImage, count: number, rng: Rng): RgbImage {
  const { width: w, height: h } = img;
  const side = Math.max(2, Math.round((FRAGMENT_SIDE_AT_32 * w) / 32));
  const fg: number[] = [];
  for (let i = 0; i < w * h; i++) {
    const d = Math.hypot(img.data[i * 3]! - BACKGROUND_RGB[0], img.data[i * 3 + 1]! - BACKGROUND_RGB[1], img.data[i * 3 + 2]! - BACKGROUND_RGB[2]);
    if (d > 60) fg.push(i);
  }
  const data = img.data.slice();
  if (fg.length === 0) return { ...img, data };
  for (let k = 0; k < count; k++) {
    const src = rng.pick(fg);
    const sx = Math.min(w - side, Math.max(0, (src % w) - (side >> 1)));
    const sy = Math.min(h - side, Math.max(0, Math.floor(src / w) - (side >> 1)));
    const dx = rng.int(0, w - side + 1);
    const dy = rng.int(0, h - side + 1);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++)
        for (let c = 0; c < 3; c++) data[((dy + y) * w + dx + x) * 3 + c] = img.data[((sy + y) * w + sx + x) * 3 + c]!;
  }
  return { ...img, data };
}

/**
 * Applies a pixel-level degradation ('broken' must go through breakScene before rendering).
 * @example degradeImage(img, { kind: 'blur', severity: 0.5 }, rng)
 */
export function degradeImage(img: RgbImage, spec: DegradationSpec, rng: Rng): RgbImage {
  checkSeverity(spec.severity);
  const s = spec.severity;
  switch (spec.kind) {
    case 'blur':
      return blur(img, lerp(BLUR_SIGMA, s));
    case 'noise':
      return noise(img, lerp(NOISE_SIGMA, s), rng);
    case 'blocky':
      return blocky(img, s < 0.5 ? 3 : 4, 0.6 + 0.4 * s);
    case 'cast': {
      const a = rng.uniform(0, 2 * Math.PI);
      const b = rng.uniform(-1, 1);
      const len = lerp(CAST_SHIFT, s);
      const r = Math.sqrt(1 - b * b);
      return cast(img, [len * r * Math.cos(a), len * r * Math.sin(a), len * b]);
    }
    case 'fragments':
      return fragments(img, 1 + Math.round(2 * s), rng);
    case 'broken':
      return img;
  }
}

/**
 * Cuts part of each object away (broken/partial shapes). Returns the scene unchanged for
 * other kinds.
 * @example render(breakScene(scene, { kind: 'broken', severity: 1 }, rng))
 */
export function breakScene(scene: Scene, spec: DegradationSpec, rng: Rng): Scene {
  if (spec.kind !== 'broken') return scene;
  checkSeverity(spec.severity);
  const share = lerp(BROKEN_SHARE, spec.severity);
  return { ...scene, objects: scene.objects.map((o) => ({ ...o, cut: { angle: rng.uniform(0, 2 * Math.PI), keep: 1 - 2 * share } })) };
}
