/**
 * Preference pairs from a generator's own samples, labelled by the world's oracle: for each
 * prompt, K samples are drawn and judged, and pairs (an image the oracle finds correct, one
 * it finds wrong) are formed. A reward model fine-tuned on them judges what the generator
 * actually draws (blurry shapes, wrong counts) rather than clean renders, which is what the
 * paper's preference data are: human judgements of generated images (the oracle stands in).
 */
import { imageMedia, type RgbImage } from '../../data/image.js';
import type { Split } from '../../data/manifest.js';
import { InputError } from '../../errors.js';
import type { FlowUNet } from '../../models/generator/index.js';
import { Rng } from '../../util/rng.js';
import { alignmentRationale } from '../../world/captions.js';
import { analyzeImage, scoreMetadata } from '../../world/oracle.js';
import type { WorldPair } from '../../world/pairs.js';
import type { GenevalMetadata } from '../../world/types.js';
import { sampleRecords } from './evaluate.js';

export interface GeneratorPairOptions {
  /** Samples drawn per prompt (2 or more). */
  readonly samplesPerPrompt: number;
  /** Most pairs kept per prompt (distinct correct/wrong combinations). */
  readonly pairsPerPrompt: number;
  /** Share of prompts (drawn at random) whose pairs go to split 'id' for evaluation; the rest are 'train'. */
  readonly evalShare: number;
  readonly seed: number;
  readonly steps?: number;
  readonly guidance?: number;
  /** Called after each sampled batch with the images done so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What the sampling found, per tag: prompts, images the oracle judged correct, pairs made. */
export interface GeneratorPairStats {
  readonly prompts: number;
  readonly images: number;
  readonly correctRate: number;
  readonly pairs: number;
  readonly bySplit: Readonly<Record<string, number>>;
  readonly byTag: Readonly<Record<string, { prompts: number; correctRate: number; pairs: number }>>;
}

interface Judged {
  readonly img: RgbImage;
  readonly objects: ReturnType<typeof analyzeImage>['objects'];
  readonly correct: boolean;
}

function checkOptions(o: GeneratorPairOptions): void {
  if (!Number.isInteger(o.samplesPerPrompt) || o.samplesPerPrompt < 2) throw new InputError(`samples per prompt must be an integer >= 2 (a pair needs two images), got ${o.samplesPerPrompt}`);
  if (!Number.isInteger(o.pairsPerPrompt) || o.pairsPerPrompt < 1) throw new InputError(`pairs per prompt must be an integer >= 1, got ${o.pairsPerPrompt}`);
  if (!(o.evalShare >= 0 && o.evalShare < 1)) throw new InputError(`eval share must be in [0, 1), got ${o.evalShare}`);
}

/**
 * Samples `samplesPerPrompt` images for every prompt, judges them with the oracle and keeps up
 * to `pairsPerPrompt` (correct, wrong) pairs per prompt; prompts whose samples are all correct
 * or all wrong give none. Same model, prompts and options: same pairs.
 * @example const { pairs } = generatorPairs(loadGenerator('models/rd-gen-t2i'), samplePrompts({ n: 60, seed: 3 }), { samplesPerPrompt: 8, pairsPerPrompt: 2, evalShare: 0.1, seed: 3 });
 */
export function generatorPairs(model: FlowUNet, prompts: readonly GenevalMetadata[], opts: GeneratorPairOptions): { pairs: WorldPair[]; stats: GeneratorPairStats } {
  checkOptions(opts);
  if (prompts.length === 0) throw new InputError('generator pairs need at least one prompt');
  const k = opts.samplesPerPrompt;
  const jobs = prompts.flatMap((p) => Array.from({ length: k }, () => p));
  const judged: Judged[] = sampleRecords(model, jobs, opts, opts.onProgress).map((img, j) => {
    const a = analyzeImage(img);
    return { img, objects: a.objects, correct: scoreMetadata(a, jobs[j]!).correct };
  });
  const rng = new Rng(opts.seed * 7919 + 17);
  const pairs: WorldPair[] = [];
  const byTag: Record<string, { prompts: number; correct: number; pairs: number }> = {};
  const bySplit: Record<string, number> = {};
  prompts.forEach((meta, i) => {
    const split: Split = rng.chance(opts.evalShare) ? 'id' : 'train';
    const mine = judged.slice(i * k, (i + 1) * k);
    const good = mine.filter((j) => j.correct);
    const bad = mine.filter((j) => !j.correct);
    const t = (byTag[meta.tag] ??= { prompts: 0, correct: 0, pairs: 0 });
    t.prompts++;
    t.correct += good.length;
    const combos = rng.shuffle(good.flatMap((g) => bad.map((b) => [g, b] as const))).slice(0, opts.pairsPerPrompt);
    combos.forEach(([g, b], c) => {
      pairs.push({
        id: `${split}-gen-${String(i).padStart(6, '0')}-${c}`,
        task: 't2i',
        split,
        criteria: 'alignment',
        tag: meta.tag,
        metadata: meta,
        prompt: meta.prompt,
        chosen: imageMedia(g.img),
        rejected: imageMedia(b.img),
        rationale: alignmentRationale(meta, g.objects, b.objects),
        error: 'oracle',
        conflict: false,
        flipped: false,
        source: 'generator',
      });
      t.pairs++;
      bySplit[split] = (bySplit[split] ?? 0) + 1;
    });
  });
  const correct = judged.filter((j) => j.correct).length;
  const stats: GeneratorPairStats = {
    prompts: prompts.length,
    images: judged.length,
    correctRate: correct / judged.length,
    pairs: pairs.length,
    bySplit,
    byTag: Object.fromEntries(Object.entries(byTag).sort(([a], [b]) => a.localeCompare(b)).map(([tag, v]) => [tag, { prompts: v.prompts, correctRate: v.correct / (v.prompts * k), pairs: v.pairs }])),
  };
  return { pairs, stats };
}
