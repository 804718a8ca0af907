/**
 * The scaling study in miniature: the VLM preset family trained as generative pairwise,
 * generative pointwise and Bradley-Terry reward models, from scratch and from a visually
 * pretrained VLM; a context ablation (none, +instruction, +reference, +examples, +cot) at one
 * size; ID and OOD accuracy beside the prompt-blind floor; short ReFL with each size's pairwise
 * model (late-RL reward spread, oracle before/after); and Best-of-N gains. Writes `study.json`
 * in the report format and the report beside it. Checkpoints go to `<out>/.work/` (the report
 * does not look into dot folders).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '../data/image.js';
import { imageMedia } from '../data/image.js';
import { SPECIAL_TOKENS, Tokenizer } from '../data/tokenizer.js';
import { InputError } from '../errors.js';
import { loadGenerator, sampleImages } from '../models/generator/index.js';
import { vlmConfig } from '../models/vlm/config.js';
import type { ContextOptions } from '../models/vlm/prompting.js';
import { VlmScorer, type Paradigm } from '../models/vlm/scorer.js';
import { pretrainLrFor, vlmPreset } from '../presets/vlm.js';
import { LocalVlmRewardModel } from '../rewards/generative.js';
import { knockout } from '../select/tournament.js';
import { TRAINER_FILE } from '../nn/index.js';
import { setNumThreads } from '../tensor/index.js';
import { evaluateGenerator, heldOutPrompts, wilson } from '../train/generator/evaluate.js';
import { evalQuestions, pairItems, type TrainPair } from '../train/reward/data.js';
import { defaultVocabulary, pretrainItems } from '../train/reward/pretrain-data.js';
import { worldPairs } from '../train/reward/sources.js';
import { DEFAULT_RM_TRAIN_CONFIG, trainRewardModel } from '../train/reward/trainer.js';
import { writeJsonAtomic } from '../util/fs.js';
import { floorOf } from '../world/floor.js';
import { analyzeImage, scoreMetadata } from '../world/oracle.js';
import { samplePrompts } from '../world/prompts.js';
import type { GenevalMetadata } from '../world/types.js';
import { writeReport, REPORT_FORMAT_VERSION, STUDY_FILE, type AccuracyRow, type BestOfNRow, type Init, type ReportResult, type RlRow, type StudyFile } from './report/index.js';
import { lateRewardStd, runShortRefl } from './short-refl.js';
import type { StudyBudget } from './study-budgets.js';

export { STUDY_BUDGETS, studyBudget, type StudyBudget } from './study-budgets.js';

export interface StudyOptions {
  readonly out: string;
  readonly budget: StudyBudget;
  /** Generator folder for ReFL and Best-of-N (the shipped models/rd-gen-t2i by default in the CLI). */
  readonly generator: string;
  /** The exact command line, recorded in study.json. */
  readonly command: string;
  readonly seed?: number;
  readonly threads?: number;
  /** Write report.html/.md beside study.json (default true). */
  readonly report?: boolean;
  /**
   * Continue the study already in `<out>/.work` (same budget, seed and generator): finished
   * units (a pretraining, a reward model's training and evaluation, a ReFL run) are read back
   * instead of run again, so a study of hours can be stopped and carried on. Without it, an
   * `out` that already holds a study is refused rather than overwritten.
   */
  readonly resume?: boolean;
  /** Called as each unit of work finishes. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
  /** Called with a line worth telling the user (a checkpoint retrained because its files are gone). */
  readonly onNote?: (message: string) => void;
}

export interface StudyResult {
  readonly study: StudyFile;
  readonly file: string;
  readonly report?: ReportResult;
  readonly seconds: number;
}

const PARADIGMS: readonly Paradigm[] = ['pairwise', 'pointwise', 'bt'];
const INITS: readonly Init[] = ['scratch', 'pretrained'];
/**
 * The order a preset's grid runs in: the pretrained pairwise model first (ReFL and Best-of-N
 * follow it while its checkpoint is on disk), then the other pretrained ones (which need the
 * pretraining checkpoint), then those from scratch (which need nothing).
 */
const GRID_ORDER: readonly (readonly [Paradigm, Init])[] = [
  ['pairwise', 'pretrained'],
  ['pointwise', 'pretrained'],
  ['bt', 'pretrained'],
  ['pairwise', 'scratch'],
  ['pointwise', 'scratch'],
  ['bt', 'scratch'],
];
/** Position of a main-grid row in the report's order (preset, paradigm, init). */
function gridIndex(b: StudyBudget, r: AccuracyRow): number {
  return (b.presets.indexOf(r.preset) * PARADIGMS.length + PARADIGMS.indexOf(r.paradigm)) * INITS.length + INITS.indexOf(r.init);
}
/** The presets whose pairwise model runs Best-of-N: the smallest and the largest. */
function bonPresetsOf(b: StudyBudget): string[] {
  return [...new Set([b.presets[0]!, b.presets.at(-1)!])];
}
/**
 * Whether a preset's ReFL and Best-of-N wait until after every preset's grid: its pairwise model
 * is finished but its checkpoint is gone (a fresh clone), and one of them is still to run.
 */
function judgeDeferred(b: StudyBudget, work: string, preset: string, has: (unit: string) => boolean): boolean {
  const judged = has(`${preset} ReFL`) && (!bonPresetsOf(b).includes(preset) || has(`${preset} Best-of-N`));
  return has(`${preset} pairwise pretrained`) && !judged && !finishedCheckpoint(join(work, preset, 'pairwise-pretrained'), b.rmSteps);
}
/** The unit of the Best-of-N rows that pick with the oracle itself. */
const BON_CEILING_UNIT = 'Best-of-N oracle ceiling';
const pct1 = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** Whether a training unit's folder holds its finished checkpoint (trainer.json at the last step). */
function finishedCheckpoint(dir: string, steps: number): boolean {
  const file = join(dir, TRAINER_FILE);
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { step?: unknown }).step === steps;
  } catch {
    return false;
  }
}
/** Context label of the main grid: instruction on; pairwise models also see the reference. */
export const MAIN_CONTEXT = 'main';
/** Warmup share of the (short) schedules. */
const WARMUP_SHARE = 0.1;
/** Seeds offsets for the test splits and prompt sets (distinct from training draws). */
const ID_SEED = 1001;
const OOD_SEED = 2002;
const RL_PROMPT_SEED = 3003;
const BON_PROMPT_SEED = 4004;

function mainContext(paradigm: Paradigm): ContextOptions {
  return { instruction: true, reference: paradigm === 'pairwise', examples: 0, cot: 'off' };
}

/** The cumulative ablation ladder, all in the generative next-token (pairwise) trainer. */
function ablationLadder(examples: number): { label: string; ctx: ContextOptions }[] {
  return [
    { label: 'none', ctx: { instruction: false, reference: false, examples: 0, cot: 'off' } },
    { label: '+instruction', ctx: { instruction: true, reference: false, examples: 0, cot: 'off' } },
    { label: '+reference', ctx: { instruction: true, reference: true, examples: 0, cot: 'off' } },
    { label: '+examples', ctx: { instruction: true, reference: true, examples, cot: 'off' } },
    { label: '+cot', ctx: { instruction: true, reference: true, examples, cot: 'decision-first' } },
  ];
}

/**
 * Accuracy of a scorer on pairs, showing in-context examples drawn from `shots` (solved
 * training pairs) when the context asks for them; same rule as evaluatePairs.
 */
export function pairAccuracy(scorer: VlmScorer, pairs: readonly TrainPair[], shots: readonly TrainPair[]): number {
  const k = scorer.context.examples;
  const qs = pairs.flatMap((p, i) => {
    const ex = k > 0 ? Array.from({ length: k }, (_, j) => shots[(i * k + j) % shots.length]!).map((e, j) => ((i + j) % 2 === 0 ? { prompt: e.prompt, reference: e.rejected, candidate: e.chosen, answer: true } : { prompt: e.prompt, reference: e.chosen, candidate: e.rejected, answer: false })) : undefined;
    return evalQuestions(p, scorer.paradigm, scorer.context, ex);
  });
  const s = scorer.score(qs);
  let ok = 0;
  pairs.forEach((_, i) => {
    const a = s[2 * i]!.reward;
    const b = s[2 * i + 1]!.reward;
    if (scorer.paradigm === 'pairwise' ? (a + 1 - b) / 2 > 0.5 : a > b) ok++;
  });
  return pairs.length ? ok / pairs.length : 0;
}

interface Data {
  readonly train: TrainPair[];
  readonly id: TrainPair[];
  readonly ood: TrainPair[];
  readonly floor: number;
  readonly floorId: number;
  readonly floorOod: number;
}

function makeData(b: StudyBudget, seed: number): Data {
  const criteria = ['alignment'] as const;
  const train = worldPairs({ task: 't2i', criteria, split: 'train', n: b.trainPairs, seed });
  const id = worldPairs({ task: 't2i', criteria, split: 'id', n: b.evalPairs, seed: seed + ID_SEED });
  const ood = worldPairs({ task: 't2i', criteria, split: 'ood', n: b.evalPairs, seed: seed + OOD_SEED });
  return { train, id, ood, floor: floorOf([...id, ...ood]).accuracy, floorId: floorOf(id).accuracy, floorOod: floorOf(ood).accuracy };
}

/** What a study's finished units depend on; a resumed study must match it. */
interface StudyKey {
  readonly budget: StudyBudget;
  readonly seed: number;
  readonly generator: string;
  /**
   * sha256 (first 16 hex digits) of the generator's config.json and model.safetensors: the
   * folder name alone would let a retrained generator slip into a resumed study. Studies
   * started before it was recorded adopt the digest of the generator they are resumed with.
   */
  readonly generatorDigest?: string;
}

/** The digest of a generator folder's config and weights (StudyKey.generatorDigest). */
export function generatorDigest(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['config.json', 'model.safetensors']) {
    const file = join(dir, f);
    if (!existsSync(file)) throw new InputError(`generator folder '${dir}' has no ${f}; pass a folder written by 'rewarddance gen train'`);
    h.update(f).update(readFileSync(file));
  }
  return h.digest('hex').slice(0, 16);
}

/** Steps between a training unit's checkpoints (a stopped unit resumes from the last one). */
const UNIT_CHECKPOINT_EVERY = 100;

/** The file in `.work` that lists the study's finished units and their results. */
export const UNITS_FILE = 'units.json';

/** A study's units.json: its key and finished units (an InputError if it cannot be read). */
function readUnitsFile(file: string): { key: StudyKey | undefined; units: Record<string, unknown> } {
  let saved: { key?: StudyKey; units?: unknown };
  try {
    saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
  } catch (err) {
    throw new InputError(`cannot read '${file}' (${(err as Error).message}); delete its folder to start the study over`);
  }
  const units = saved.units && typeof saved.units === 'object' ? (saved.units as Record<string, unknown>) : {};
  return { key: saved.key, units };
}

/**
 * Finished units of a study, kept in `<work>/units.json` (rewritten atomically after each), so
 * that a stopped study resumes where it was. Results must be plain JSON.
 */
class StudyUnits {
  private readonly file: string;
  private readonly done: Record<string, unknown> = {};
  /** Units finished by earlier sittings (0 for a study started now). */
  readonly resumed: number = 0;

  constructor(
    work: string,
    private readonly key: StudyKey,
    resume: boolean,
  ) {
    this.file = join(work, UNITS_FILE);
    if (!existsSync(this.file)) {
      this.save();
      return;
    }
    if (!resume) throw new InputError(`'${work}' already holds a study (${UNITS_FILE}); pass --resume to continue it, or choose another --out`);
    const saved = readUnitsFile(this.file);
    const { generatorDigest: savedDigest, ...savedRest } = saved.key ?? ({} as Partial<StudyKey>);
    const { generatorDigest: digest, ...rest } = key;
    if (JSON.stringify(savedRest) !== JSON.stringify(rest)) {
      throw new InputError(`the study in '${work}' was started with another budget, seed or generator (${JSON.stringify(saved.key).slice(0, 300)}); resume it with the same options, or choose another --out`);
    }
    if (savedDigest !== undefined && digest !== undefined && savedDigest !== digest) {
      throw new InputError(`the generator in '${key.generator}' has changed since the study in '${work}' started (weights digest ${savedDigest}, now ${digest}): its ReFL and Best-of-N units would mix two generators; put the original back, or choose another --out`);
    }
    Object.assign(this.done, saved.units);
    this.resumed = Object.keys(this.done).length;
    this.save(); // a study from before the digest was recorded adopts this generator's
  }

  has(name: string): boolean {
    return name in this.done;
  }

  get<T>(name: string): T | undefined {
    return this.done[name] as T | undefined;
  }

  /** The unit's saved result, or runs it and saves its result; `cached` says which. */
  async once<T>(name: string, run: () => T | Promise<T>): Promise<{ value: T; cached: boolean }> {
    if (name in this.done) return { value: this.done[name] as T, cached: true };
    const value = await run();
    this.done[name] = value;
    this.save();
    return { value, cached: false };
  }

  private save(): void {
    writeJsonAtomic(this.file, { key: this.key, units: this.done });
  }
}

/** Oracle verdict (GenEval's binary correctness) of each image against its record. */
function oracleCorrect(images: readonly RgbImage[], metas: readonly GenevalMetadata[]): boolean[] {
  return images.map((img, i) => scoreMetadata(analyzeImage(img), metas[i]!).correct);
}

/**
 * Runs the study and writes `<out>/study.json` (and the report unless `report: false`).
 * @example await runScalingStudy({ out: 'docs/results/study-small', budget: studyBudget('small'), generator: 'models/rd-gen-t2i', command: 'rewarddance study scaling --budget small --out docs/results/study-small' });
 */
export async function runScalingStudy(opts: StudyOptions): Promise<StudyResult> {
  const t0 = performance.now();
  const b = opts.budget;
  const seed = opts.seed ?? 0;
  if (!existsSync(opts.generator)) throw new InputError(`generator folder '${opts.generator}' not found: the study runs ReFL and Best-of-N with it (train one with 'rewarddance gen train --out DIR' or pass --generator DIR)`);
  if (!b.presets.includes(b.ablationPreset)) throw new InputError(`budget '${b.name}': ablation preset '${b.ablationPreset}' is not among its presets (${b.presets.join(', ')})`);
  setNumThreads(opts.threads ?? DEFAULT_RM_TRAIN_CONFIG.threads);
  const work = join(opts.out, '.work');
  mkdirSync(work, { recursive: true });
  const units = new StudyUnits(work, { budget: b, seed, generator: opts.generator, generatorDigest: generatorDigest(opts.generator) }, opts.resume === true);
  // the units, plus pairs and floor and the report
  const total = unitNames(b).length + 2;
  let done = 0;
  const tick = (label: string, cached = false): void => opts.onProgress?.(++done, total, cached ? `${label} (done before)` : label);
  /** Runs one unit of work unless a resumed study finished it already. */
  const unit = async <T>(label: string, run: () => T | Promise<T>): Promise<T> => {
    const r = await units.once(label, run);
    tick(label, r.cached);
    return r.value;
  };

  const data = makeData(b, seed);
  tick('pairs and floor');
  const vocab = [...new Set([...SPECIAL_TOKENS, ...defaultVocabulary()])];
  const tok = new Tokenizer(vocab.slice(SPECIAL_TOKENS.length));
  const baseCfg = { ...DEFAULT_RM_TRAIN_CONFIG, batchSize: b.batchSize, lr: b.lr, evalEvery: 0, seed, threads: opts.threads ?? DEFAULT_RM_TRAIN_CONFIG.threads };
  // a training unit checkpoints as it goes, and a resumed study continues a unit it was stopped in
  // (rd-xl's pretraining alone takes hours on one thread)
  const unitCheckpoints = { checkpointEvery: UNIT_CHECKPOINT_EVERY, resume: opts.resume === true };

  const pretrainedDir = (preset: string): string => join(work, preset, 'pretrained');
  const gridDir = (preset: string, paradigm: Paradigm, init: Init): string => join(work, preset, `${paradigm}-${init}`);
  const pretrain = (preset: string): void => {
    const pre = { ...baseCfg, paradigm: 'pretrain' as const, lr: Math.min(b.pretrainLr, pretrainLrFor(vlmPreset(preset))), steps: b.pretrainSteps, warmupSteps: Math.max(1, Math.round(b.pretrainSteps * WARMUP_SHARE)) };
    const config = vlmConfig({ ...vlmPreset(preset), patch: b.patch, vocab, scalarHead: true });
    trainRewardModel({ out: pretrainedDir(preset), config: pre, model: { config }, items: pretrainItems(b.pretrainItems, seed, tok, config.imageSize, { groundPatch: config.patch }), ...unitCheckpoints }).model.dispose();
  };
  /**
   * A preset's pretrained checkpoint. units.json can outlive the checkpoints (only it is kept
   * in git; a fresh clone has no .work folders), so a finished pretraining whose files are gone
   * is run again: same seed and data, the same recipe.
   */
  const ensurePretrained = (preset: string): string => {
    const dir = pretrainedDir(preset);
    if (!finishedCheckpoint(dir, b.pretrainSteps)) {
      if (units.has(`${preset} pretrain`)) opts.onNote?.(`${preset}: its pretrained checkpoint is not in ${dir}; pretraining it again (${b.pretrainSteps} steps)`);
      pretrain(preset);
    }
    return dir;
  };

  const trainOne = (dir: string, preset: string, paradigm: Paradigm, init: Init, ctx: ContextOptions, label: string): AccuracyRow => {
    const model = init === 'pretrained' ? { init: ensurePretrained(preset) } : { config: vlmConfig({ ...vlmPreset(preset), patch: b.patch, vocab, scalarHead: true }) };
    const items = pairItems(data.train, paradigm, ctx, tok, seed);
    const cfg = { ...baseCfg, paradigm, context: ctx, steps: b.rmSteps, warmupSteps: Math.max(1, Math.round(b.rmSteps * WARMUP_SHARE)) };
    const r = trainRewardModel({ out: dir, config: cfg, model, items, ...unitCheckpoints });
    const scorer = new VlmScorer(r.model, paradigm, ctx);
    const row: AccuracyRow = {
      preset,
      params: r.model.parameterCount(),
      paradigm,
      init,
      context: label,
      idAccuracy: pairAccuracy(scorer, data.id, data.train),
      oodAccuracy: pairAccuracy(scorer, data.ood, data.train),
      floorAccuracy: data.floor,
      n: b.evalPairs,
      seed,
    };
    r.model.dispose();
    return row;
  };
  const gridUnit = (preset: string, paradigm: Paradigm, init: Init): Promise<AccuracyRow> =>
    unit(`${preset} ${paradigm} ${init}`, () => trainOne(gridDir(preset, paradigm, init), preset, paradigm, init, mainContext(paradigm), MAIN_CONTEXT));
  /** A preset's pretrained pairwise model (the judge of ReFL and Best-of-N), trained again if its files are gone. */
  const ensurePairwise = (preset: string): string => {
    const dir = gridDir(preset, 'pairwise', 'pretrained');
    if (!finishedCheckpoint(dir, b.rmSteps)) {
      opts.onNote?.(`${preset}: its pretrained pairwise model is not in ${dir}; training it again (${b.rmSteps} steps) for ReFL and Best-of-N`);
      const row = trainOne(dir, preset, 'pairwise', 'pretrained', mainContext('pairwise'), MAIN_CONTEXT);
      const saved = units.get<AccuracyRow>(`${preset} pairwise pretrained`);
      if (saved) opts.onNote?.(`${preset}: retrained pairwise model ID ${pct1(row.idAccuracy)} / OOD ${pct1(row.oodAccuracy)} (recorded ${pct1(saved.idAccuracy)} / ${pct1(saved.oodAccuracy)})`);
    }
    return dir;
  };
  const accuracy: AccuracyRow[] = [];
  const params = new Map<string, number>();
  const addRow = (row: AccuracyRow): void => {
    accuracy.push(row);
    params.set(row.preset, row.params);
  };

  // ReFL with each size's pretrained pairwise model; references: one base sample per prompt
  const held = heldOutPrompts(b.oracleSamples);
  const pool = samplePrompts({ n: b.rlPromptPool, seed: seed + RL_PROMPT_SEED, domain: 'id' });
  let references: RgbImage[] | undefined;
  const oracleBeforeUnit = (): Promise<number> =>
    unit('oracle before RL', () => {
      const base = loadGenerator(opts.generator);
      try {
        return evaluateGenerator(base, held, { steps: b.sampleSteps, seed }).score;
      } finally {
        base.dispose();
      }
    });
  const reflUnit = async (preset: string): Promise<RlRow> => {
    const oracleBefore = await oracleBeforeUnit();
    return unit(`${preset} ReFL`, () => {
      if (!references) {
        const base = loadGenerator(opts.generator);
        references = sampleImages(base, pool.map((m) => m.prompt), { steps: b.sampleSteps, seed: seed + RL_PROMPT_SEED });
        base.dispose();
      }
      const rm = LocalVlmRewardModel.load(ensurePairwise(preset));
      try {
        const { policy, rows } = runShortRefl({ generator: opts.generator, rm, prompts: pool.map((m) => m.prompt), references, steps: b.rlSteps, batch: b.rlBatch, sampleSteps: b.sampleSteps, lr: b.rlLr, seed: seed + 1 });
        const after = evaluateGenerator(policy, held, { steps: b.sampleSteps, seed });
        policy.dispose();
        const row: RlRow = { preset, params: params.get(preset)!, lateRewardStd: lateRewardStd(rows, b.lateFraction), oracleBefore, oracleAfter: after.score, oracleCi: [after.lo, after.hi], steps: b.rlSteps };
        return row;
      } finally {
        rm.close();
      }
    });
  };

  // Best-of-N: knockout among the first N base samples, by the smallest and largest pairwise models
  const bonPresets = bonPresetsOf(b);
  const bonMetas = samplePrompts({ n: b.bonPrompts, seed: seed + BON_PROMPT_SEED, domain: 'id' });
  const maxN = Math.max(...b.bonN);
  let bon: { candidates: RgbImage[][]; verdicts: boolean[][] } | undefined;
  const bonCandidates = (): { candidates: RgbImage[][]; verdicts: boolean[][] } => {
    if (!bon) {
      const base = loadGenerator(opts.generator);
      const candidates = bonMetas.map((m, i) => sampleImages(base, Array.from({ length: maxN }, () => m.prompt), { steps: b.sampleSteps, seed: seed + BON_PROMPT_SEED + i }));
      base.dispose();
      bon = { candidates, verdicts: candidates.map((c, i) => oracleCorrect(c, Array.from({ length: c.length }, () => bonMetas[i]!))) };
    }
    return bon;
  };
  const bonRow = (n: number, picks: readonly number[], rm: string): BestOfNRow => {
    const verdicts = bonCandidates().verdicts;
    const k = picks.filter((p, i) => verdicts[i]![p]).length;
    const w = wilson(k, picks.length);
    return { n, oracle: w.mean, ci: [w.lo, w.hi], rm };
  };
  const bonUnit = (preset: string): Promise<BestOfNRow[]> =>
    unit(`${preset} Best-of-N`, async () => {
      const { candidates } = bonCandidates();
      const rm = LocalVlmRewardModel.load(ensurePairwise(preset));
      try {
        const rows: BestOfNRow[] = [];
        for (const n of b.bonN) {
          const picks: number[] = [];
          for (const [i, c] of candidates.entries()) {
            picks.push(n === 1 ? 0 : (await knockout(rm, { task: 't2i', prompt: bonMetas[i]!.prompt, candidates: c.slice(0, n).map(imageMedia), criteria: 'alignment' })).winner);
          }
          rows.push(bonRow(n, picks, preset));
        }
        return rows;
      } finally {
        rm.close();
      }
    });
  const ceilingUnit = (): Promise<BestOfNRow[]> => unit(BON_CEILING_UNIT, () => b.bonN.map((n) => bonRow(n, bonCandidates().verdicts.map((v) => Math.max(0, v.slice(0, n).indexOf(true))), 'oracle (ceiling)')));
  const rlByPreset = new Map<string, RlRow>();
  const bonByPreset = new Map<string, BestOfNRow[]>();
  /** A preset's ReFL and Best-of-N units (the ones its pairwise model judges). */
  const judgeUnits = async (preset: string): Promise<void> => {
    rlByPreset.set(preset, await reflUnit(preset));
    if (bonPresets.includes(preset)) {
      bonByPreset.set(preset, await bonUnit(preset));
      await ceilingUnit(); // while this process holds the candidates
    }
  };

  // per preset: pretraining, the pretrained pairwise model and the units it judges (ReFL,
  // Best-of-N) while its checkpoint is on disk, then the rest of the grid. A preset whose
  // pairwise model is finished but whose files are gone (a fresh clone of a resumed study) has
  // its ReFL and Best-of-N deferred to the end, so that the work that needs no retraining runs first.
  const deferred: string[] = [];
  for (const preset of b.presets) {
    await unit(`${preset} pretrain`, () => {
      pretrain(preset);
      return true;
    });
    addRow(await gridUnit(preset, 'pairwise', 'pretrained'));
    if (judgeDeferred(b, work, preset, (u) => units.has(u))) deferred.push(preset);
    else await judgeUnits(preset);
    for (const [paradigm, init] of GRID_ORDER.slice(1)) addRow(await gridUnit(preset, paradigm, init));
  }
  for (const preset of deferred) await judgeUnits(preset);
  accuracy.sort((x, y) => gridIndex(b, x) - gridIndex(b, y));

  // context ablation at one size, pretrained; '+reference' is the main grid's pairwise model
  const mainPairwise = accuracy.find((r) => r.preset === b.ablationPreset && r.paradigm === 'pairwise' && r.init === 'pretrained')!;
  for (const step of ablationLadder(b.ablationExamples)) {
    if (step.label === '+reference') {
      accuracy.push({ ...mainPairwise, context: '+reference' });
      continue;
    }
    accuracy.push(await unit(`ablation ${step.label}`, () => trainOne(join(work, b.ablationPreset, `ablation-${step.label.replace('+', '')}`), b.ablationPreset, 'pairwise', 'pretrained', step.ctx, step.label)));
  }
  const rl = b.presets.map((p) => rlByPreset.get(p)!);
  const bestOfN = [...bonPresets.flatMap((p) => bonByPreset.get(p)!), ...(await ceilingUnit())];

  const seconds = (performance.now() - t0) / 1000;
  const study: StudyFile = {
    version: REPORT_FORMAT_VERSION,
    command: opts.command,
    date: new Date().toISOString(),
    budget: b.name,
    notes: studyNotes(b, data, seconds, units.resumed),
    accuracy,
    rl,
    bestOfN,
  };
  const file = join(opts.out, STUDY_FILE);
  writeJsonAtomic(file, study);
  const report = opts.report === false ? undefined : await writeReport(opts.out);
  tick('report');
  return { study, file, ...(report ? { report } : {}), seconds };
}

/** Where a study in a folder stands: its finished units and, assembled from them, a partial study file. */
export interface StudyProgress {
  readonly budget: StudyBudget;
  readonly seed: number;
  readonly generator: string;
  /** Finished units, in the order the study runs them. */
  readonly done: readonly string[];
  /** Units still to run (the report is written at the end). */
  readonly pending: readonly string[];
  /** The finished units as a study file. */
  readonly study: StudyFile;
}

/**
 * The units of a study in the order `runScalingStudy` runs them (and names them). `deferred`
 * presets (a resumed study whose pairwise model must be retrained) have their ReFL and
 * Best-of-N after every preset's grid.
 */
function unitNames(b: StudyBudget, deferred: ReadonlySet<string> = new Set()): string[] {
  const names: string[] = [];
  const bonPresets = new Set(bonPresetsOf(b));
  const judge = (preset: string): void => {
    if (!names.includes('oracle before RL')) names.push('oracle before RL');
    names.push(`${preset} ReFL`);
    if (bonPresets.has(preset)) names.push(`${preset} Best-of-N`);
    if (bonPresets.has(preset) && !names.includes(BON_CEILING_UNIT)) names.push(BON_CEILING_UNIT);
  };
  for (const preset of b.presets) {
    names.push(`${preset} pretrain`, `${preset} pairwise pretrained`);
    if (!deferred.has(preset)) judge(preset);
    for (const [paradigm, init] of GRID_ORDER.slice(1)) names.push(`${preset} ${paradigm} ${init}`);
  }
  for (const preset of b.presets) if (deferred.has(preset)) judge(preset);
  for (const step of ablationLadder(b.ablationExamples)) if (step.label !== '+reference') names.push(`ablation ${step.label}`);
  return names;
}

/**
 * Reads `<out>/.work/units.json` of a running or stopped study and assembles what is finished.
 * @example const p = readStudyProgress('docs/results/study-full'); p.done.length
 */
export function readStudyProgress(out: string, command = 'rewarddance study status'): StudyProgress {
  const file = join(out, '.work', UNITS_FILE);
  if (!existsSync(file)) throw new InputError(`'${out}' holds no study (${join('.work', UNITS_FILE)} not found); start one with 'rewarddance study scaling --out ${out}'`);
  const { key, units } = readUnitsFile(file);
  if (!key?.budget?.presets) throw new InputError(`'${file}' has no study key (budget, seed, generator); it was not written by 'study scaling'`);
  const b = key.budget;
  const deferred = new Set(b.presets.filter((p) => judgeDeferred(b, join(out, '.work'), p, (u) => u in units)));
  const all = unitNames(b, deferred);
  const done = all.filter((n) => n in units);
  const accuracy: AccuracyRow[] = [];
  for (const preset of b.presets) for (const paradigm of PARADIGMS) for (const init of INITS) {
    const row = units[`${preset} ${paradigm} ${init}`] as AccuracyRow | undefined;
    if (row) accuracy.push(row);
  }
  for (const step of ablationLadder(b.ablationExamples)) {
    const row = step.label === '+reference' ? (units[`${b.ablationPreset} pairwise pretrained`] as AccuracyRow | undefined) : (units[`ablation ${step.label}`] as AccuracyRow | undefined);
    if (row) accuracy.push({ ...row, context: step.label });
  }
  const rl = b.presets.map((p) => units[`${p} ReFL`] as RlRow | undefined).filter((r): r is RlRow => r !== undefined);
  const bonRows = (name: string): BestOfNRow[] => (Array.isArray(units[name]) ? (units[name] as BestOfNRow[]) : []);
  const bestOfN = [...bonPresetsOf(b).flatMap((p) => bonRows(`${p} Best-of-N`)), ...bonRows(BON_CEILING_UNIT)];
  const study: StudyFile = {
    version: REPORT_FORMAT_VERSION,
    command,
    date: new Date().toISOString(),
    budget: b.name,
    notes: `Partial: ${done.length} of ${all.length} units of the '${b.name}' study finished (${all.filter((n) => !(n in units)).slice(0, 3).join(', ') || 'Best-of-N'}${all.length - done.length > 3 ? ', ...' : ''} to come). ${studyNotes(b, undefined, undefined)}`,
    accuracy,
    rl,
    bestOfN,
  };
  return { budget: b, seed: key.seed, generator: key.generator, done, pending: all.filter((n) => !(n in units)), study };
}

function studyNotes(b: StudyBudget, d: Data | undefined, seconds: number | undefined, resumedUnits = 0): string {
  return [
    `Budget '${b.name}'${seconds === undefined ? '' : resumedUnits > 0 ? ` (${seconds.toFixed(0)} s in its last sitting, after ${resumedUnits} units done in earlier ones)` : ` (${seconds.toFixed(0)} s)`}: ${b.trainPairs} training pairs (t2i alignment), ${b.evalPairs} test pairs per split, patch ${b.patch};`,
    `visual pretraining ${b.pretrainSteps} steps on ${b.pretrainItems} captions/questions (grounded), at lr ${[...new Set(b.presets.map((p) => Math.min(b.pretrainLr, pretrainLrFor(vlmPreset(p)))))].join(' / ')}, reward fine-tuning ${b.rmSteps} steps of ${b.batchSize} items at lr ${b.lr}, one seed.`,
    d ? `Prompt-blind floor: ID ${pct1(d.floorId)}, OOD ${pct1(d.floorOod)} (the floor column is both splits together).` : 'The floor column is the prompt-blind floor of both test splits together.',
    `Context '${MAIN_CONTEXT}': instruction on, pairwise models also see the reference. Ablation at ${b.ablationPreset} (pretrained), cumulative, all in the generative next-token trainer with both-orders evaluation;`,
    `'none' and '+instruction' show no reference image (so they judge the candidate alone), '+reference' is the main pairwise model, '+examples' adds ${b.ablationExamples} solved example(s), '+cot' adds decision-first rationales.`,
    `ReFL: ${b.rlSteps} steps of ${b.rlBatch} prompts per preset with its pretrained pairwise model against one base-generator sample per prompt as reference; late reward std = mean batch std over the last ${Math.round(b.lateFraction * 100)}% of steps;`,
    `oracle on ${b.oracleSamples} held-out prompts, ${b.sampleSteps} sampler steps. Best-of-N: knockout among the first N of ${Math.max(...b.bonN)} base samples for ${b.bonPrompts} prompts; 'oracle (ceiling)' picks with the oracle itself.`,
    b.name === 'full' ? '' : 'Small budgets show the pipeline end to end; their accuracies sit near chance for most presets and say little about scaling.',
  ]
    .filter(Boolean)
    .join(' ');
}
