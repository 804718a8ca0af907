/**
 * Prompt-blind baselines (the floor): rules that never read the prompt or the criterion
 * (more colours then more foreground, more/fewer objects, more/less foreground, better
 * quality, more motion, ...). Every reward model's accuracy is reported against the best of
 * them; pair construction keeps them near 50%.
 */
import { mediaFrames, type Media } from '../data/image.js';
import { analyzeImage } from './oracle.js';

/** Image features a prompt-blind rule may use. */
export interface BlindFeatures {
  readonly objects: number;
  readonly colors: number;
  readonly foreground: number;
  readonly quality: number;
  readonly motion: number;
  readonly meanSize: number;
}

/** A pair as the floor sees it. */
export interface FloorPair {
  readonly chosen: Media;
  readonly rejected: Media;
  readonly tag?: string;
  readonly criteria: string;
}

/** The floor report: the best rule's accuracy overall, and per tag/criterion the best rule there. */
export interface FloorReport {
  readonly n: number;
  readonly accuracy: number;
  readonly bestRule: string;
  readonly byTag: Readonly<Record<string, number>>;
  /**
   * Pairs behind each byTag entry. byTag takes the best of many rules, so on few pairs it
   * reads high by chance: with 200 pairs a tag, rules at exactly 50% give a best of about 0.55.
   */
  readonly nByTag: Readonly<Record<string, number>>;
  readonly byCriterion: Readonly<Record<string, number>>;
  readonly rules: Readonly<Record<string, number>>;
}

/** Features of one medium (frames averaged; motion = mean centroid travel between frames). */
export function blindFeatures(m: Media): BlindFeatures {
  const frames = mediaFrames(m);
  let objects = 0;
  let colors = 0;
  let foreground = 0;
  let quality = 0;
  let meanSize = 0;
  let motion = 0;
  let prev: { cx: number; cy: number }[] | undefined;
  for (const f of frames) {
    const a = analyzeImage(f);
    objects += a.objects.length;
    colors += new Set(a.objects.map((o) => o.color)).size;
    foreground += a.objects.reduce((s, o) => s + o.area, 0);
    quality += a.quality.score;
    meanSize += a.objects.length ? a.objects.reduce((s, o) => s + (o.x1 - o.x0), 0) / a.objects.length : 0;
    if (prev) {
      for (const o of a.objects) {
        const d = Math.min(...prev.map((p) => Math.hypot(p.cx - o.cx, p.cy - o.cy)));
        if (Number.isFinite(d)) motion += d;
      }
    }
    prev = a.objects.map((o) => ({ cx: o.cx, cy: o.cy }));
  }
  const n = frames.length;
  return { objects: objects / n, colors: colors / n, foreground: foreground / n, quality: quality / n, meanSize: meanSize / n, motion: motion / Math.max(1, n - 1) };
}

/** Criteria whose answer depends on the prompt; the floor's accuracy and byTag are over these. */
const PROMPT_CRITERIA = new Set(['alignment', 'motion']);

type Rule = (c: BlindFeatures, r: BlindFeatures) => number;

function cmp(a: number, b: number, eps = 1e-6): number {
  return a > b + eps ? 1 : a < b - eps ? 0 : 0.5;
}

/** The rules: each returns 1 when it prefers the chosen side, 0 the rejected, 0.5 a tie. */
export const BLIND_RULES: Readonly<Record<string, Rule>> = {
  'more colors then more foreground': (c, r) => (c.colors !== r.colors ? cmp(c.colors, r.colors) : cmp(c.foreground, r.foreground, 0.5)),
  'more objects': (c, r) => cmp(c.objects, r.objects),
  'fewer objects': (c, r) => cmp(r.objects, c.objects),
  'more colors': (c, r) => cmp(c.colors, r.colors),
  'fewer colors': (c, r) => cmp(r.colors, c.colors),
  'more foreground': (c, r) => cmp(c.foreground, r.foreground, 0.5),
  'less foreground': (c, r) => cmp(r.foreground, c.foreground, 0.5),
  'higher quality': (c, r) => cmp(c.quality, r.quality, 0.01),
  'lower quality': (c, r) => cmp(r.quality, c.quality, 0.01),
  'bigger objects': (c, r) => cmp(c.meanSize, r.meanSize, 0.1),
  'smaller objects': (c, r) => cmp(r.meanSize, c.meanSize, 0.1),
  'more motion': (c, r) => cmp(c.motion, r.motion, 0.05),
  'less motion': (c, r) => cmp(r.motion, c.motion, 0.05),
};

/**
 * Scores every prompt-blind rule on pairs. `accuracy` is the best rule overall; byTag and
 * byCriterion give, per group, the best rule's accuracy in that group (the strictest floor).
 * @example floorOf(makePairs({ n: 600, seed: 1 })).accuracy // about 0.5
 */
export function floorOf(pairs: readonly FloorPair[]): FloorReport {
  const names = Object.keys(BLIND_RULES);
  const verdicts = pairs.map((p) => {
    const c = blindFeatures(p.chosen);
    const r = blindFeatures(p.rejected);
    return names.map((n) => BLIND_RULES[n]!(c, r));
  });
  const acc = (idx: number[]) => names.map((_, k) => (idx.length ? idx.reduce((s, i) => s + verdicts[i]![k]!, 0) / idx.length : 0));
  // accuracy and byTag cover the prompt-dependent criteria (alignment, motion): for quality and
  // consistency a prompt-blind judgement is the task itself, so those appear only in byCriterion
  const promptDependent = pairs.map((_, i) => i).filter((i) => PROMPT_CRITERIA.has(pairs[i]!.criteria));
  const all = promptDependent.length ? promptDependent : pairs.map((_, i) => i);
  const overall = acc(all);
  const best = overall.indexOf(Math.max(...overall));
  const group = (key: (p: FloorPair) => string | undefined, pool: number[]) => {
    const out: Record<string, number> = {};
    const keys = [...new Set(pairs.map(key).filter((k): k is string => k !== undefined))].sort();
    for (const k of keys) {
      const idx = pool.filter((i) => key(pairs[i]!) === k);
      if (idx.length) out[k] = Math.max(...acc(idx));
    }
    return out;
  };
  return {
    n: all.length,
    accuracy: pairs.length ? overall[best]! : 0,
    bestRule: names[best] ?? '',
    byTag: group((p) => p.tag, all),
    nByTag: Object.fromEntries([...new Set(all.map((i) => pairs[i]!.tag).filter((t): t is string => t !== undefined))].sort().map((t) => [t, all.filter((i) => pairs[i]!.tag === t).length])),
    byCriterion: group((p) => p.criteria, pairs.map((_, i) => i)),
    rules: Object.fromEntries(names.map((n, k) => [n, overall[k]!])),
  };
}
