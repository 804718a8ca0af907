/**
 * `rewarddance demo`: the whole RewardDance loop in minutes with the shipped models. World
 * prompts -> N generator samples each -> pointwise scores (the oracle) and pairwise scores
 * (the reward model's round-robin tournament, whose winner becomes the prompt's reference) ->
 * a short ReFL against P(yes | reference, candidate) -> before/after samples judged by the
 * oracle -> a report. Layout: `<out>/study.json` (Best-of-N and the RL row),
 * `<out>/rl/{metrics.jsonl, samples.json, run.json, samples/*.png}`, `<out>/scores.json`,
 * `<out>/report.html`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { imageMedia, writePng, type RgbImage } from '../data/image.js';
import { InputError } from '../errors.js';
import { loadGenerator, sampleImages } from '../models/generator/index.js';
import { LocalVlmRewardModel } from '../rewards/generative.js';
import { createOracleRewardModel } from '../rewards/oracle.js';
import { roundRobin } from '../select/tournament.js';
import { setNumThreads } from '../tensor/index.js';
import { evaluateGenerator, heldOutPrompts, wilson } from '../train/generator/evaluate.js';
import { evaluatePairs } from '../train/reward/evaluate.js';
import { worldPairs } from '../train/reward/sources.js';
import { toJsonl, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { floorOf } from '../world/floor.js';
import { analyzeImage, scoreMetadata } from '../world/oracle.js';
import { samplePrompts } from '../world/prompts.js';
import type { GenevalMetadata } from '../world/types.js';
import {
  METRICS_FILE,
  REPORT_FORMAT_VERSION,
  RUN_INFO_FILE,
  SAMPLES_FILE,
  STUDY_FILE,
  writeReport,
  type MetricRow,
  type ReportResult,
  type RunInfo,
  type SampleGrid,
  type StudyFile,
} from './report/index.js';
import { lateRewardStd, runShortRefl, type ReflStepRow } from './short-refl.js';

/** How much the demo does; `quick` is for tests. */
export interface DemoSize {
  readonly prompts: number;
  readonly candidates: number;
  readonly rlSteps: number;
  readonly rlBatch: number;
  readonly sampleSteps: number;
  readonly rlLr: number;
  /** Held-out prompts for the oracle before/after RL. */
  readonly oracleSamples: number;
  /** World test pairs per split for the reward model's accuracy. */
  readonly accuracyPairs: number;
}

export const DEMO_SIZES: Readonly<Record<'default' | 'quick', DemoSize>> = {
  // a few minutes on 2 busy cores with the shipped rd-m reward model and 0.6M-parameter generator
  default: { prompts: 6, candidates: 4, rlSteps: 12, rlBatch: 3, sampleSteps: 16, rlLr: 2e-5, oracleSamples: 96, accuracyPairs: 64 },
  quick: { prompts: 2, candidates: 2, rlSteps: 2, rlBatch: 2, sampleSteps: 2, rlLr: 2e-5, oracleSamples: 4, accuracyPairs: 4 },
};

/** Shipped models the demo uses by default. */
export const SHIPPED_GENERATOR = 'models/rd-gen-t2i';
export const SHIPPED_REWARD_MODEL = 'models/rd-rm-tiny';

export interface DemoOptions {
  readonly out: string;
  readonly generator?: string;
  readonly rm?: string;
  readonly size?: DemoSize;
  readonly command: string;
  readonly seed?: number;
  readonly threads?: number;
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Lines for the terminal (scores table); the CLI prints them. */
  readonly log?: (line: string) => void;
}

/** One candidate's scores. */
export interface CandidateScore {
  readonly oracle: number;
  readonly oracleCorrect: boolean;
  /** Mean debiased P(beats another candidate) in the reward model's round robin. */
  readonly pairwise: number;
  readonly wins: number;
}

export interface DemoResult {
  readonly report: ReportResult;
  readonly scores: readonly { prompt: string; reference: number; candidates: readonly CandidateScore[] }[];
  readonly rm: { readonly id: string; readonly idAccuracy: number; readonly oodAccuracy: number; readonly floor: number };
  readonly oracleBefore: number;
  readonly oracleAfter: number;
  readonly seconds: number;
}

/** Seeds of the demo's draws (distinct from training and held-out sets). */
const PROMPT_SEED = 6006;
const BEFORE_AFTER_SEED = 7007;
const PAIR_SEED = 8008;

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/**
 * Runs the demo and writes its report.
 * @example const r = await runDemo({ out: 'demo', command: 'rewarddance demo --out demo' }); r.report.html
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const size = opts.size ?? DEMO_SIZES.default;
  const seed = opts.seed ?? 0;
  const genDir = opts.generator ?? SHIPPED_GENERATOR;
  const rmDir = opts.rm ?? SHIPPED_REWARD_MODEL;
  for (const [what, dir, hint] of [
    ['generator', genDir, "train one with 'rewarddance gen train --out DIR' and pass --generator DIR"],
    ['reward model', rmDir, "train one with 'rewarddance rm train --out DIR' (or scripts/train-shipped-rm.sh) and pass --rm DIR"],
  ] as const) {
    if (!existsSync(dir)) throw new InputError(`demo: ${what} folder '${dir}' not found; ${hint}`);
  }
  if (opts.threads) setNumThreads(opts.threads);
  const log = opts.log ?? ((): void => undefined);
  const total = 4 + size.prompts + size.rlSteps;
  let done = 0;
  const tick = (label: string): void => opts.onProgress?.(++done, total, label);

  const rm = LocalVlmRewardModel.load(rmDir);
  const generator = loadGenerator(genDir);
  try {
    if (rm.mode !== 'pairwise') throw new InputError(`demo: ${rmDir} is a ${rm.scorer.paradigm} model; the demo's tournament and ReFL need a generative pairwise reward model`);
    // 1. the reward model on held-out world pairs, beside the prompt-blind floor
    const id = worldPairs({ task: 't2i', criteria: ['alignment'], split: 'id', n: size.accuracyPairs, seed: seed + PAIR_SEED });
    const ood = worldPairs({ task: 't2i', criteria: ['alignment'], split: 'ood', n: size.accuracyPairs, seed: seed + PAIR_SEED + 1 });
    const acc = { id: rm.id, idAccuracy: evaluatePairs(rm.scorer, id).accuracy, oodAccuracy: evaluatePairs(rm.scorer, ood).accuracy, floor: floorOf([...id, ...ood]).accuracy };
    log(`reward model ${rm.id}: accuracy ID ${(acc.idAccuracy * 100).toFixed(1)}%, OOD ${(acc.oodAccuracy * 100).toFixed(1)}% on ${size.accuracyPairs} pairs each (prompt-blind floor ${(acc.floor * 100).toFixed(1)}%)`);
    tick('reward-model accuracy');

    // 2. prompts, candidates, pointwise (oracle) and pairwise (tournament) scores
    const metas = samplePrompts({ n: size.prompts, seed: seed + PROMPT_SEED, domain: 'id' });
    const oracle = createOracleRewardModel();
    const scores: { prompt: string; reference: number; candidates: CandidateScore[] }[] = [];
    const candidates: RgbImage[][] = [];
    for (const [i, meta] of metas.entries()) {
      const imgs = sampleImages(generator, Array.from({ length: size.candidates }, () => meta.prompt), { steps: size.sampleSteps, seed: seed + PROMPT_SEED + i });
      candidates.push(imgs);
      const media = imgs.map(imageMedia);
      const pointwise = await oracle.score(media.map((candidate) => ({ task: 't2i', prompt: meta.prompt, candidate, metadata: meta })));
      const rr = await roundRobin(rm, { task: 't2i', prompt: meta.prompt, candidates: media, criteria: 'alignment' });
      const cs = imgs.map((img, k) => ({
        oracle: pointwise[k]!.reward,
        oracleCorrect: scoreMetadata(analyzeImage(img), meta).correct,
        pairwise: mean(rr.probabilities[k]!.filter((p): p is number => p !== null)),
        wins: rr.wins[k]!,
      }));
      const reference = rr.ranking[0]!.index;
      scores.push({ prompt: meta.prompt, reference, candidates: cs });
      log(`"${meta.prompt}"`);
      cs.forEach((c, k) => log(`  candidate ${k}: pointwise (oracle) ${c.oracle.toFixed(2)}  pairwise P(win) ${c.pairwise.toFixed(2)}  wins ${c.wins}${k === reference ? '  <- reference (tournament winner)' : ''}`));
      tick(`scores ${i + 1}/${metas.length}`);
    }
    writeJsonAtomic(join(opts.out, 'scores.json'), { version: 1, rm: rm.id, prompts: scores });

    // 3. short ReFL against P(yes | reference, candidate)
    const held = heldOutPrompts(size.oracleSamples);
    const before = evaluateGenerator(generator, held, { steps: size.sampleSteps, seed });
    tick('oracle before RL');
    const references = scores.map((s, i) => candidates[i]![s.reference]!);
    const refl = runShortRefl({ generator: genDir, rm, prompts: metas.map((m) => m.prompt), references, steps: size.rlSteps, batch: size.rlBatch, sampleSteps: size.sampleSteps, lr: size.rlLr, seed: seed + 1, onStep: (r) => tick(`ReFL step ${r.step}`) });
    const after = evaluateGenerator(refl.policy, held, { steps: size.sampleSteps, seed });
    tick('oracle after RL');

    // 4. run dir: metrics, before/after/tournament grids, run info; the study file beside it
    const runDir = join(opts.out, 'rl');
    const grids = writeGrids(runDir, metas, candidates, scores, generator, refl.policy, size, seed);
    refl.policy.dispose();
    writeFileAtomic(join(runDir, METRICS_FILE), toJsonl(metricRows(refl.rows, before, after)));
    writeJsonAtomic(join(runDir, SAMPLES_FILE), { version: REPORT_FORMAT_VERSION, grids });
    const info: RunInfo = { version: REPORT_FORMAT_VERSION, title: `Demo: ReFL with ${rm.id}`, command: opts.command, date: new Date().toISOString(), rm: rm.id, algorithm: 'refl', notes: `${size.rlSteps} ReFL steps of ${size.rlBatch} prompts; references picked per prompt by a round-robin tournament of ${size.candidates} samples.` };
    writeJsonAtomic(join(runDir, RUN_INFO_FILE), info);
    const params = rm.scorer.model.parameterCount();
    const picks = (n: number): boolean[] => scores.map((s) => s.candidates[n === 1 ? 0 : s.reference]!.oracleCorrect);
    const bon = (n: number, rmLabel: string) => {
      const v = picks(n);
      const w = wilson(v.filter(Boolean).length, v.length);
      return { n, oracle: w.mean, ci: [w.lo, w.hi] as const, rm: rmLabel };
    };
    const seconds = (performance.now() - t0) / 1000;
    const study: StudyFile = {
      version: REPORT_FORMAT_VERSION,
      command: opts.command,
      date: new Date().toISOString(),
      notes: `Demo with generator ${basename(genDir)} and reward model ${rm.id} (${params} parameters): accuracy ID ${(acc.idAccuracy * 100).toFixed(1)}%, OOD ${(acc.oodAccuracy * 100).toFixed(1)}% on ${size.accuracyPairs} world pairs per split, prompt-blind floor ${(acc.floor * 100).toFixed(1)}%. Best-of-N over ${size.prompts} prompts: N=1 is each prompt's first sample, N=${size.candidates} the tournament winner (judged by the oracle). Oracle before/after RL on ${size.oracleSamples} held-out prompts. Took ${seconds.toFixed(0)} s.`,
      accuracy: [],
      rl: [{ preset: rm.id, params, lateRewardStd: lateRewardStd(refl.rows, 0.5), oracleBefore: before.score, oracleAfter: after.score, oracleCi: [after.lo, after.hi], steps: size.rlSteps }],
      bestOfN: [bon(1, rm.id), bon(size.candidates, rm.id)],
    };
    writeJsonAtomic(join(opts.out, STUDY_FILE), study);
    const report = await writeReport(opts.out, { title: 'rewarddance demo' });
    tick('report');
    return { report, scores, rm: acc, oracleBefore: before.score, oracleAfter: after.score, seconds: (performance.now() - t0) / 1000 };
  } finally {
    generator.dispose();
    rm.close();
  }
}

function metricRows(rows: readonly ReflStepRow[], before: { score: number; lo: number; hi: number }, after: { score: number; lo: number; hi: number }): MetricRow[] {
  return rows.map((r, i) => {
    const ev = i === 0 ? before : i === rows.length - 1 ? after : undefined;
    // the first row carries the pre-RL oracle (measured before step 1), the last the post-RL one
    return { step: r.step, rewardMean: r.rewardMean, rewardStd: r.rewardStd, ...(ev ? { oracle: ev.score, oracleCi: [ev.lo, ev.hi] as const } : {}) };
  });
}

function writeGrids(
  runDir: string,
  metas: readonly GenevalMetadata[],
  candidates: readonly RgbImage[][],
  scores: readonly { reference: number; candidates: readonly CandidateScore[] }[],
  base: ReturnType<typeof loadGenerator>,
  policy: ReturnType<typeof loadGenerator>,
  size: DemoSize,
  seed: number,
): SampleGrid[] {
  mkdirSync(join(runDir, 'samples'), { recursive: true });
  const prompts = metas.map((m) => m.prompt);
  const sample = (model: typeof base): RgbImage[] => sampleImages(model, prompts, { steps: size.sampleSteps, seed: seed + BEFORE_AFTER_SEED });
  const grid = (kind: SampleGrid['kind'], title: string, imgs: readonly RgbImage[], caption: (i: number) => string): SampleGrid => ({
    kind,
    title,
    images: imgs.map((img, i) => {
      const file = `samples/${kind}-${i}.png`;
      writePng(join(runDir, file), img);
      const ok = scoreMetadata(analyzeImage(img), metas[i]!).correct;
      return { file, prompt: prompts[i]!, caption: `${caption(i)}; oracle ${ok ? 'correct' : 'wrong'}`, oracle: ok ? 1 : 0 };
    }),
  });
  return [
    grid('tournament', `Tournament winners (references) among ${size.candidates} samples`, scores.map((s, i) => candidates[i]![s.reference]!), (i) => `wins ${scores[i]!.candidates[scores[i]!.reference]!.wins}`),
    grid('before', 'Before ReFL (same noise as after)', sample(base), () => 'base generator'),
    grid('after', `After ${size.rlSteps} ReFL steps`, sample(policy), () => 'after ReFL'),
  ];
}
