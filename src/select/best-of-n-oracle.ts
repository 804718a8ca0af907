/**
 * Does Best-of-N with a reward model beat one sample per prompt on the oracle? For each
 * prompt, N generator samples (the same ones for every selector); N = 1 is each prompt's first
 * sample, and each selector (a reward model with a `select` method: pointwise P(yes),
 * round robin or knockout tournaments) picks one of the N. The oracle judges every sample
 * (GenEval-style: a record is correct when every clause holds; also the graded share of
 * clauses), so the picks are compared on the same prompts: Wilson 95% intervals for each
 * score and paired bootstrap 95% intervals for the gains over the first sample and over the
 * mean of all N samples (N = 1's expectation, with less noise than one draw).
 */
import type { RgbImage } from '../data/image.js';
import { imageMedia } from '../data/image.js';
import { InputError } from '../errors.js';
import { sampleImages, type FlowUNet } from '../models/generator/index.js';
import { gradedReward } from '../rewards/oracle.js';
import type { RewardModel } from '../rewards/types.js';
import { wilson } from '../train/generator/evaluate.js';
import { Rng } from '../util/rng.js';
import { analyzeImage, scoreMetadata } from '../world/oracle.js';
import type { GenevalMetadata } from '../world/types.js';
import { selectBest, type SelectMethod } from './select.js';

/** A way to pick one of N: a reward model and a selection method. */
export interface BonSelector {
  readonly label: string;
  readonly model: RewardModel;
  readonly method: SelectMethod;
}

/** A GenEval-style score with its Wilson 95% interval. */
export interface OracleRate {
  readonly score: number;
  readonly lo: number;
  readonly hi: number;
  /** Correct records, of n. */
  readonly k: number;
  readonly n: number;
  /** Mean graded oracle reward (share of satisfied clauses, plus one for the whole record). */
  readonly graded: number;
}

/** A paired difference over prompts with its bootstrap 95% interval. */
export interface PairedGain {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
}

export interface BonArmReport {
  readonly label: string;
  readonly method: SelectMethod;
  readonly rm: string;
  readonly picked: OracleRate;
  /** Picked minus the first sample, per prompt (correctness). */
  readonly vsFirst: PairedGain;
  /** Picked minus the mean correctness of the prompt's N samples. */
  readonly vsMean: PairedGain;
  /** Graded reward: picked minus the mean of the N samples. */
  readonly gradedVsMean: PairedGain;
  /** Picks (index into each prompt's candidates). */
  readonly picks: number[];
  readonly queries: number;
  readonly ms: number;
}

export interface BonOracleReport {
  readonly prompts: number;
  readonly n: number;
  /** N = 1: each prompt's first sample. */
  readonly first: OracleRate;
  /** N = 1 in expectation: mean correctness over all N samples (bootstrap interval over prompts). */
  readonly meanOfN: PairedGain & { readonly graded: number };
  /** The oracle picking (any correct sample): the ceiling of Best-of-N. */
  readonly ceiling: OracleRate;
  readonly arms: BonArmReport[];
  readonly byTag: Record<string, { prompts: number; first: number; meanOfN: number; ceiling: number; arms: Record<string, number> }>;
}

export interface BonOracleOptions {
  /** Bootstrap resamples (default 10,000). */
  readonly bootstrap?: number;
  readonly seed?: number;
  /** Criteria in the reward queries (default 'alignment'). */
  readonly criteria?: string;
  onPrompt?(done: number, total: number): void;
}

interface Verdict {
  readonly correct: boolean;
  readonly graded: number;
}

function judge(img: RgbImage, meta: GenevalMetadata): Verdict {
  const s = scoreMetadata(analyzeImage(img), meta);
  return { correct: s.correct, graded: gradedReward(s.clauses.filter((c) => c.ok).length, s.clauses.length, s.correct) };
}

function rate(vs: readonly Verdict[]): OracleRate {
  const k = vs.filter((v) => v.correct).length;
  const w = wilson(k, vs.length);
  return { score: w.mean, lo: w.lo, hi: w.hi, k, n: vs.length, graded: vs.reduce((a, v) => a + v.graded, 0) / Math.max(1, vs.length) };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * Mean of per-prompt values with a percentile bootstrap 95% interval (prompts resampled).
 * @example pairedBootstrap([1, 0, 0, 1], 1000, 1).mean // 0.5
 */
export function pairedBootstrap(d: readonly number[], resamples = 10_000, seed = 1): PairedGain {
  const m = mean(d);
  if (d.length === 0) return { mean: 0, lo: 0, hi: 0 };
  const rng = new Rng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[rng.int(0, d.length)]!;
    means[b] = s / d.length;
  }
  means.sort();
  const at = (q: number): number => means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { mean: m, lo: at(0.025), hi: at(0.975) };
}

/**
 * N samples per prompt from a generator (ODE), seeded per prompt so any subset of prompts
 * reproduces its samples.
 */
export function sampleCandidates(generator: FlowUNet, metas: readonly GenevalMetadata[], n: number, opts: { steps?: number; guidance?: number; seed?: number } = {}, onPrompt?: (done: number, total: number) => void): RgbImage[][] {
  const seed = opts.seed ?? 0;
  return metas.map((m, i) => {
    const imgs = sampleImages(generator, new Array<string>(n).fill(m.prompt), { steps: opts.steps, guidance: opts.guidance, seed: seed + i });
    onPrompt?.(i + 1, metas.length);
    return imgs;
  });
}

/**
 * Scores Best-of-N selectors against N = 1 with the oracle on the same candidates.
 * @example const r = await bestOfNOracle(metas, sampleCandidates(gen, metas, 16), [{ label: 'knockout', model: rm, method: 'knockout' }]); r.arms[0].vsFirst
 */
export async function bestOfNOracle(metas: readonly GenevalMetadata[], candidates: readonly (readonly RgbImage[])[], selectors: readonly BonSelector[], opts: BonOracleOptions = {}): Promise<BonOracleReport> {
  if (metas.length === 0 || metas.length !== candidates.length) throw new InputError(`best-of-n oracle: ${metas.length} prompts but ${candidates.length} candidate lists`);
  const n = candidates[0]!.length;
  if (n < 1 || candidates.some((c) => c.length !== n)) throw new InputError('best-of-n oracle: every prompt needs the same number (>= 1) of candidates');
  const B = opts.bootstrap ?? 10_000;
  const seed = opts.seed ?? 1;
  const verdicts = candidates.map((c, i) => c.map((img) => judge(img, metas[i]!)));
  const correct = verdicts.map((vs) => vs.map((v) => (v.correct ? 1 : 0)));
  const meanCorrect = correct.map((c) => mean(c));
  const meanGraded = verdicts.map((vs) => mean(vs.map((v) => v.graded)));
  const first = verdicts.map((vs) => vs[0]!);
  const ceilingPick = correct.map((c) => Math.max(0, c.indexOf(1)));
  const arms: BonArmReport[] = [];
  const total = selectors.length * metas.length;
  let done = 0;
  for (const sel of selectors) {
    const t0 = performance.now();
    const picks: number[] = [];
    let queries = 0;
    for (const [i, c] of candidates.entries()) {
      if (n === 1) picks.push(0);
      else {
        const s = await selectBest(sel.model, { task: 't2i', prompt: metas[i]!.prompt, candidates: c.map(imageMedia), criteria: opts.criteria ?? 'alignment' }, sel.method);
        picks.push(s.best);
        queries += s.queries;
      }
      opts.onPrompt?.(++done, total);
    }
    const picked = picks.map((p, i) => verdicts[i]![p]!);
    arms.push({
      label: sel.label,
      method: sel.method,
      rm: sel.model.id,
      picked: rate(picked),
      vsFirst: pairedBootstrap(picks.map((p, i) => correct[i]![p]! - correct[i]![0]!), B, seed),
      vsMean: pairedBootstrap(picks.map((p, i) => correct[i]![p]! - meanCorrect[i]!), B, seed),
      gradedVsMean: pairedBootstrap(picks.map((p, i) => verdicts[i]![p]!.graded - meanGraded[i]!), B, seed),
      picks,
      queries,
      ms: Math.round(performance.now() - t0),
    });
  }
  const byTag: BonOracleReport['byTag'] = {};
  for (const tag of [...new Set(metas.map((m) => m.tag))]) {
    const idx = metas.flatMap((m, i) => (m.tag === tag ? [i] : []));
    const share = (f: (i: number) => number): number => mean(idx.map(f));
    byTag[tag] = {
      prompts: idx.length,
      first: share((i) => correct[i]![0]!),
      meanOfN: share((i) => meanCorrect[i]!),
      ceiling: share((i) => correct[i]![ceilingPick[i]!]!),
      arms: Object.fromEntries(arms.map((a) => [a.label, share((i) => correct[i]![a.picks[i]!]!)])),
    };
  }
  return {
    prompts: metas.length,
    n,
    first: rate(first),
    meanOfN: { ...pairedBootstrap(meanCorrect, B, seed), graded: mean(meanGraded) },
    ceiling: rate(ceilingPick.map((p, i) => verdicts[i]![p]!)),
    arms,
    byTag,
  };
}
