/**
 * The generator's GenEval-style score: sample one image per held-out world prompt and let
 * the oracle judge it (a record is correct when every clause holds), with a Wilson 95%
 * interval and per-tag scores. Also used by the RL diagnostics.
 */
import type { RgbImage } from '../../data/image.js';
import { sampleImages, type FlowUNet } from '../../models/generator/index.js';
import { samplePrompts } from '../../world/prompts.js';
import { analyzeImage, scoreMetadata } from '../../world/oracle.js';
import type { GenevalMetadata } from '../../world/types.js';

/** z for a two-sided 95% interval. */
const Z95 = 1.959964;
/** Seed of the fixed held-out prompt set (training draws use other seeds; see trainer). */
export const HELD_OUT_SEED = 7_777_777;
/** Samples per evaluation: DESIGN.md 7 found 64 gives +-0.045, so use at least 256. */
export const DEFAULT_EVAL_SAMPLES = 256;

/**
 * Wilson score interval for k successes in n trials.
 * @example wilson(43, 50) // { mean: 0.86, lo: 0.74, hi: 0.93 }
 */
export function wilson(k: number, n: number): { mean: number; lo: number; hi: number } {
  if (n === 0) return { mean: 0, lo: 0, hi: 1 };
  const p = k / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { mean: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** The fixed held-out prompt set: `n` world prompts (tags in turn) from a seed no training run uses. */
export function heldOutPrompts(n = DEFAULT_EVAL_SAMPLES, seed = HELD_OUT_SEED): GenevalMetadata[] {
  return samplePrompts({ n, seed, domain: 'id' });
}

export interface OracleEval {
  readonly score: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
  readonly byTag: Record<string, number>;
  /** Distinct (class, colour, coarse position) layouts the oracle read, over samples (diversity). */
  readonly distinctLayouts: number;
  /** Mean oracle quality score. */
  readonly quality: number;
  /** Mean background RGB (hacking often shifts it). */
  readonly background: [number, number, number];
}

/** Coarse grid for the layout signature (3x3 cells). */
const LAYOUT_CELLS = 3;

/** Judges images against their records with the oracle. */
export function oracleJudge(images: readonly RgbImage[], metas: readonly GenevalMetadata[]): OracleEval {
  const byTagHits = new Map<string, [number, number]>();
  let hits = 0;
  let quality = 0;
  const bg = [0, 0, 0];
  const layouts = new Set<string>();
  images.forEach((img, i) => {
    const a = analyzeImage(img);
    const ok = scoreMetadata(a, metas[i]!).correct;
    hits += ok ? 1 : 0;
    quality += a.quality.score;
    a.background.forEach((v, c) => (bg[c]! += v));
    const tag = metas[i]!.tag;
    const cur = byTagHits.get(tag) ?? [0, 0];
    byTagHits.set(tag, [cur[0] + (ok ? 1 : 0), cur[1] + 1]);
    const cell = (v: number, side: number): number => Math.min(LAYOUT_CELLS - 1, Math.floor((v / side) * LAYOUT_CELLS));
    const sig = a.objects.map((o) => `${o.shape}:${o.color}:${cell(o.cx, img.width)}${cell(o.cy, img.height)}`).sort().join('|');
    layouts.add(`${metas[i]!.prompt}#${sig}`);
  });
  const n = images.length;
  const w = wilson(hits, n);
  const byTag: Record<string, number> = {};
  for (const [t, [k, m]] of byTagHits) byTag[t] = k / m;
  return { score: w.mean, lo: w.lo, hi: w.hi, n, byTag, distinctLayouts: layouts.size, quality: quality / Math.max(1, n), background: bg.map((v) => v / Math.max(1, n)) as [number, number, number] };
}

export interface EvalOptions {
  readonly steps?: number;
  readonly guidance?: number;
  readonly seed?: number;
  /** Images sampled per forward batch. */
  readonly batch?: number;
}

/** Evaluation batch: large enough to amortise per-call costs, small enough for memory. */
const EVAL_BATCH = 64;

/**
 * Samples one image per record, `batch` records a forward pass; image i's noise depends only on
 * the seed and i (batch b starts at seed + b * batch), so two generators sampled with the same
 * options are compared on the same noise. `onBatch` gets the images done so far.
 * @example sampleRecords(model, heldOutPrompts(8), { steps: 16 }).length // 8
 */
export function sampleRecords(model: FlowUNet, metas: readonly Pick<GenevalMetadata, 'prompt'>[], opts: EvalOptions = {}, onBatch?: (done: number, total: number) => void): RgbImage[] {
  const batch = opts.batch ?? EVAL_BATCH;
  const images: RgbImage[] = [];
  for (let i = 0; i < metas.length; i += batch) {
    const part = metas.slice(i, i + batch);
    images.push(...sampleImages(model, part.map((m) => m.prompt), { steps: opts.steps, guidance: opts.guidance, seed: (opts.seed ?? 0) + i }));
    onBatch?.(images.length, metas.length);
  }
  return images;
}

/**
 * Samples one image per record and scores them with the oracle.
 * @example const e = evaluateGenerator(model, heldOutPrompts(256), { steps: 16, guidance: 2 }); e.score
 */
export function evaluateGenerator(model: FlowUNet, metas: readonly GenevalMetadata[], opts: EvalOptions = {}): OracleEval & { images: RgbImage[] } {
  const images = sampleRecords(model, metas, opts);
  return { ...oracleJudge(images, metas), images };
}
