/**
 * GenEval-style evaluation of a generator: sample `samplesPerPrompt` images for every record
 * of a metadata set (the world's own prompts, or a real GenEval file whose classes a class
 * map sends to world shapes), judge each with the oracle, and report per-tag accuracy and
 * GenEval's overall score (the mean of the per-tag accuracies), each with a 95% interval.
 */
import { InputError } from '../errors.js';
import type { FlowUNet } from '../models/generator/index.js';
import { sampleRecords, wilson } from '../train/generator/evaluate.js';
import { readClassMap, readGeneval } from '../world/geneval.js';
import { analyzeImage, scoreMetadata } from '../world/oracle.js';
import { samplePrompts } from '../world/prompts.js';
import type { GenevalMetadata } from '../world/types.js';

/** z for a two-sided 95% interval (normal approximation of the overall mean). */
const Z95 = 1.959964;
/** GenEval samples four images per prompt. */
export const GENEVAL_SAMPLES_PER_PROMPT = 4;
/** Seed of the world prompt set used when no metadata file is given (no training run draws it). */
export const WORLD_GENEVAL_SEED = 5_151_515;

/** A 95% interval [lo, hi]. */
export type Ci = readonly [number, number];

/**
 * What `eval geneval --json` prints: `overall` and `byTag` are accuracies in [0, 1]
 * (the same shape as the oracle report), with intervals and counts beside them.
 */
export interface GenevalReport {
  /** Mean of the per-tag accuracies (GenEval's overall score). */
  readonly overall: number;
  readonly byTag: Readonly<Record<string, number>>;
  /** 95% intervals: overall (normal approximation of the mean of tag proportions) and Wilson per tag. */
  readonly ci: { readonly overall: Ci; readonly byTag: Readonly<Record<string, Ci>> };
  /** Images judged, overall and per tag. */
  readonly n: number;
  readonly nByTag: Readonly<Record<string, number>>;
  /** Records (prompts) and images per record. */
  readonly prompts: number;
  readonly samplesPerPrompt: number;
}

export interface GenevalOptions {
  readonly samplesPerPrompt?: number;
  /** Euler steps and guidance of the sampler (the generator's defaults when absent). */
  readonly steps?: number;
  readonly guidance?: number;
  readonly seed?: number;
  /** Called after each sampled batch with the images done so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One judged image: its record's tag and the oracle's verdict. */
export interface GenevalVerdict {
  readonly tag: string;
  readonly correct: boolean;
}

/**
 * GenEval's overall figure, the mean of per-tag values, and the half-width of its 95% interval
 * (normal approximation: the tags' variances of their means summed, over the tag count squared).
 */
function meanOverTags(byTag: Readonly<Record<string, number>>, variances: readonly number[]): { overall: number; half: number } {
  const values = Object.values(byTag);
  if (values.length === 0) return { overall: 0, half: 0 };
  const sum = variances.reduce((a, v) => a + v, 0);
  return { overall: values.reduce((a, v) => a + v, 0) / values.length, half: (Z95 * Math.sqrt(sum)) / values.length };
}

/**
 * Scores (tag, correct) verdicts GenEval's way, with 95% intervals.
 * @example genevalFromVerdicts([{ tag: 'counting', correct: true }, { tag: 'colors', correct: false }]).overall // 0.5
 */
export function genevalFromVerdicts(verdicts: readonly GenevalVerdict[], samplesPerPrompt = 1): GenevalReport {
  const counts = new Map<string, [number, number]>();
  for (const v of verdicts) {
    const c = counts.get(v.tag) ?? [0, 0];
    counts.set(v.tag, [c[0] + (v.correct ? 1 : 0), c[1] + 1]);
  }
  const tags = [...counts.keys()].sort();
  const byTag: Record<string, number> = {};
  const ciByTag: Record<string, Ci> = {};
  const nByTag: Record<string, number> = {};
  const variances: number[] = [];
  for (const t of tags) {
    const [k, n] = counts.get(t)!;
    const w = wilson(k, n);
    byTag[t] = w.mean;
    ciByTag[t] = [w.lo, w.hi];
    nByTag[t] = n;
    variances.push((w.mean * (1 - w.mean)) / n);
  }
  const { overall, half } = meanOverTags(byTag, variances);
  return {
    overall,
    byTag,
    ci: { overall: [Math.max(0, overall - half), Math.min(1, overall + half)], byTag: ciByTag },
    n: verdicts.length,
    nByTag,
    prompts: Math.round(verdicts.length / Math.max(1, samplesPerPrompt)),
    samplesPerPrompt,
  };
}

/**
 * Samples `samplesPerPrompt` images for every record and judges each with the oracle, in a
 * fixed order (record by record); image i's noise depends only on the seed and i, so two
 * generators judged with the same options are compared image by image on the same noise.
 * @example genevalVerdicts(loadGenerator('models/rd-gen-t2i'), worldGenevalPrompts(12)).length // 48
 */
export function genevalVerdicts(model: FlowUNet, records: readonly GenevalMetadata[], opts: GenevalOptions = {}): GenevalVerdict[] {
  if (records.length === 0) throw new InputError('GenEval evaluation needs at least one metadata record');
  const k = opts.samplesPerPrompt ?? GENEVAL_SAMPLES_PER_PROMPT;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`samples per prompt must be an integer >= 1, got ${k}`);
  const jobs = records.flatMap((r) => Array.from({ length: k }, () => r));
  const images = sampleRecords(model, jobs, opts, opts.onProgress);
  return images.map((img, i) => ({ tag: jobs[i]!.tag, correct: scoreMetadata(analyzeImage(img), jobs[i]!).correct }));
}

/**
 * Samples images for every record and judges them with the oracle.
 * @example const r = evaluateGeneval(loadGenerator('models/rd-gen-t2i'), worldGenevalPrompts(96), { samplesPerPrompt: 4 }); r.overall
 */
export function evaluateGeneval(model: FlowUNet, records: readonly GenevalMetadata[], opts: GenevalOptions = {}): GenevalReport {
  return genevalFromVerdicts(genevalVerdicts(model, records, opts), opts.samplesPerPrompt ?? GENEVAL_SAMPLES_PER_PROMPT);
}

/** A paired difference (candidate minus baseline) with its 95% interval. */
export interface PairedDifference {
  readonly overall: number;
  readonly ci: Ci;
  readonly byTag: Readonly<Record<string, number>>;
  readonly ciByTag: Readonly<Record<string, Ci>>;
  /** Images the candidate got right and the baseline wrong, and the reverse. */
  readonly gained: number;
  readonly lost: number;
}

/**
 * Candidate minus baseline on the same images (same records, order and noise), GenEval's way
 * (the mean over tags of each tag's difference in accuracy), with a paired 95% interval: the
 * variance of each tag's mean of per-image differences (-1, 0 or 1), so that images both get
 * right or both get wrong add no noise. Much narrower than two independent intervals.
 * @example pairedDifference(after, before).overall
 */
export function pairedDifference(candidate: readonly GenevalVerdict[], baseline: readonly GenevalVerdict[]): PairedDifference {
  if (candidate.length !== baseline.length || candidate.some((v, i) => v.tag !== baseline[i]!.tag)) {
    throw new InputError(`paired difference needs verdicts on the same images in the same order (got ${candidate.length} and ${baseline.length})`);
  }
  const diffs = new Map<string, number[]>();
  let gained = 0;
  let lost = 0;
  candidate.forEach((v, i) => {
    const d = Number(v.correct) - Number(baseline[i]!.correct);
    if (d > 0) gained++;
    if (d < 0) lost++;
    const list = diffs.get(v.tag) ?? [];
    list.push(d);
    diffs.set(v.tag, list);
  });
  const tags = [...diffs.keys()].sort();
  const byTag: Record<string, number> = {};
  const ciByTag: Record<string, Ci> = {};
  const variances: number[] = [];
  for (const t of tags) {
    const ds = diffs.get(t)!;
    const n = ds.length;
    const mean = ds.reduce((s, x) => s + x, 0) / n;
    // variance of the mean of n paired differences (population variance of the -1/0/1 values over n)
    const v = ds.reduce((s, x) => s + (x - mean) ** 2, 0) / n / n;
    byTag[t] = mean;
    const h = Z95 * Math.sqrt(v);
    ciByTag[t] = [mean - h, mean + h];
    variances.push(v);
  }
  const { overall, half } = meanOverTags(byTag, variances);
  return { overall, ci: [overall - half, overall + half], byTag, ciByTag, gained, lost };
}

/**
 * The world's own GenEval-format prompts (six tags in turn, in-distribution combinations).
 * @example worldGenevalPrompts(60).length // 60
 */
export function worldGenevalPrompts(n: number, seed = WORLD_GENEVAL_SEED): GenevalMetadata[] {
  return samplePrompts({ n, seed, domain: 'id' });
}

/**
 * Reads GenEval metadata for evaluation, mapping classes through an optional class-map file
 * ({"their class": "world shape"}); an unmapped class outside the world's shapes is an
 * InputError naming the line.
 * @example readGenevalMetadata('evaluation_metadata.jsonl', 'coco-to-shapes.json')
 */
export function readGenevalMetadata(file: string, classMapFile?: string): GenevalMetadata[] {
  const classMap = classMapFile === undefined ? undefined : readClassMap(classMapFile);
  const records = readGeneval(file, classMap ? { classMap } : {});
  if (records.length === 0) throw new InputError(`${file}: no metadata records (expected GenEval JSONL, one {tag, include, prompt} object a line)`);
  return records;
}
