/**
 * The JSON formats that producers (the scaling study, RL runs, the demo) write and
 * `rewarddance report` reads. Every reader validates and names the file and field on failure.
 *
 * A **study dir** holds `study.json` (StudyFile). An **RL run dir** holds `metrics.jsonl`
 * (one MetricRow per line), optionally `samples.json` (SamplesFile, image files beside it) and
 * `run.json` (RunInfo). A **demo dir** may hold both, with runs in the dir itself or in
 * subfolders (e.g. `demo/rl/metrics.jsonl`). Accuracies and oracle scores are fractions in
 * [0, 1]; confidence intervals are 95% intervals `[lo, hi]` on the same scale.
 */
import { arr, child, fail, fraction, int, interval, isoDate, num, obj, oneOf, opt, str, type At } from './validate.js';

/** Version number of the formats below; bump when a field changes meaning. */
export const REPORT_FORMAT_VERSION = 1;

/** File names the report looks for. */
export const STUDY_FILE = 'study.json';
export const METRICS_FILE = 'metrics.jsonl';
export const SAMPLES_FILE = 'samples.json';
export const RUN_INFO_FILE = 'run.json';

/** Reward-model paradigms: generative pairwise / pointwise (P(yes)) and a Bradley-Terry head. */
export const PARADIGMS = ['pairwise', 'pointwise', 'bt'] as const;
export type Paradigm = (typeof PARADIGMS)[number];

/** How the reward model's VLM was initialised. */
export const INITS = ['scratch', 'pretrained'] as const;
export type Init = (typeof INITS)[number];

/** A 95% confidence interval [lo, hi]. */
export type Interval = readonly [number, number];

/**
 * One reward model evaluated on held-out preference pairs.
 * @example { preset: 'rm-s', params: 120000, paradigm: 'pairwise', init: 'pretrained', context: '+instruction',
 *   idAccuracy: 0.74, oodAccuracy: 0.73, floorAccuracy: 0.52, n: 512, seed: 1 }
 */
export interface AccuracyRow {
  /** Preset name of the reward model. */
  readonly preset: string;
  /** Parameter count (> 0). */
  readonly params: number;
  readonly paradigm: Paradigm;
  readonly init: Init;
  /** Context label: 'none', '+instruction', '+reference', '+examples', '+cot', or another label. */
  readonly context: string;
  /** Accuracy on in-distribution test pairs, [0, 1]. */
  readonly idAccuracy: number;
  /** Accuracy on out-of-distribution test pairs, [0, 1]. */
  readonly oodAccuracy: number;
  /** Accuracy of the prompt-blind floor rule on the same pairs, [0, 1]. */
  readonly floorAccuracy: number;
  /** Test pairs per split (integer >= 1). */
  readonly n: number;
  /** Seed, when several seeds of one configuration are reported (charts average them). */
  readonly seed?: number;
}

/**
 * Short RL (ReFL/GRPO) with one reward-model preset, judged by the world's oracle.
 * @example { preset: 'rm-s', params: 120000, lateRewardStd: 0.08, oracleBefore: 0.61, oracleAfter: 0.66, oracleCi: [0.62, 0.70] }
 */
export interface RlRow {
  readonly preset: string;
  readonly params: number;
  /** Standard deviation of rewards within a batch, averaged over the last part of training (>= 0). */
  readonly lateRewardStd: number;
  /** Oracle score of the generator before RL, [0, 1]. */
  readonly oracleBefore: number;
  /** Oracle score after RL, [0, 1]. */
  readonly oracleAfter: number;
  /** 95% interval of oracleAfter. */
  readonly oracleCi: Interval;
  /** RL steps run (optional). */
  readonly steps?: number;
}

/**
 * Best-of-N selection: oracle score of the picked sample for one N.
 * @example { n: 8, oracle: 0.71, ci: [0.67, 0.75], rm: 'rm-s' }
 */
export interface BestOfNRow {
  /** Candidates per prompt (integer >= 1). */
  readonly n: number;
  /** Oracle score of the selected candidates, [0, 1]. */
  readonly oracle: number;
  /** 95% interval of `oracle`. */
  readonly ci: Interval;
  /** Which reward model selected (optional; one series per value). */
  readonly rm?: string;
}

/**
 * `study.json`: what `rewarddance study` writes.
 * @example { version: 1, command: 'rewarddance study scaling --out docs/results/study --budget small',
 *   date: '2025-09-20T10:00:00Z', accuracy: [...], rl: [...], bestOfN: [...] }
 */
export interface StudyFile {
  readonly version: typeof REPORT_FORMAT_VERSION;
  /** The exact command line that produced the file. */
  readonly command: string;
  /** ISO 8601 date (or date-time) the study finished. */
  readonly date: string;
  /** Budget label ('small', 'full'), optional. */
  readonly budget?: string;
  /** Free text shown under the study heading, optional. */
  readonly notes?: string;
  readonly accuracy: readonly AccuracyRow[];
  readonly rl: readonly RlRow[];
  readonly bestOfN: readonly BestOfNRow[];
}

/**
 * One line of `metrics.jsonl`, one per logged RL step (steps strictly increasing).
 * @example {"step": 10, "rewardMean": 0.62, "rewardStd": 0.11, "oracle": 0.58, "oracleCi": [0.52, 0.64]}
 */
export interface MetricRow {
  /** Step number (integer >= 0). */
  readonly step: number;
  /** Mean reward of the step's samples. */
  readonly rewardMean: number;
  /** Standard deviation of the step's rewards (>= 0). */
  readonly rewardStd: number;
  /** Mean within-group reward std (GRPO groups), >= 0. */
  readonly groupRewardStd?: number;
  /** Oracle score on an evaluation batch at this step, [0, 1]. */
  readonly oracle?: number;
  /** 95% interval of `oracle`. */
  readonly oracleCi?: Interval;
  /** Reward of held-out (not optimised) prompts. */
  readonly heldoutReward?: number;
  /** Sample diversity (e.g. mean pairwise pixel distance), >= 0. */
  readonly diversity?: number;
  /** Drift from the starting model (e.g. KL or weight distance), >= 0. */
  readonly drift?: number;
  /**
   * The reward-hacking alarm, when it fired at this step: a reason string, or `true` without
   * one. Absent, `false` or `null` mean no alarm. Read back as a string (`'alarm'` for true).
   */
  readonly alarm?: string;
}

/** Kinds of sample grids; the report orders and titles them by kind. */
export const GRID_KINDS = ['before', 'after', 'tournament', 'hacked', 'other'] as const;
export type GridKind = (typeof GRID_KINDS)[number];

/** One image of a grid; `file` is relative to the run dir (PNG, JPEG, GIF or WebP). */
export interface SampleImage {
  readonly file: string;
  readonly prompt?: string;
  readonly caption?: string;
  readonly reward?: number;
  readonly oracle?: number;
}

/** A titled grid of images. */
export interface SampleGrid {
  readonly kind: GridKind;
  readonly title: string;
  /** RL step the samples come from, optional. */
  readonly step?: number;
  readonly images: readonly SampleImage[];
}

/**
 * `samples.json`: the image grids of a run.
 * @example { version: 1, grids: [{ kind: 'before', title: 'Before RL', images: [{ file: 'samples/before-0.png', prompt: 'two red circles' }] }] }
 */
export interface SamplesFile {
  readonly version: typeof REPORT_FORMAT_VERSION;
  readonly grids: readonly SampleGrid[];
}

/**
 * `run.json` (optional): what the run was.
 * @example { version: 1, title: 'ReFL with rm-s', command: 'rewarddance rl refl ...', date: '2025-09-20', rm: 'rm-s' }
 */
export interface RunInfo {
  readonly version: typeof REPORT_FORMAT_VERSION;
  readonly title?: string;
  readonly command?: string;
  readonly date?: string;
  /** Reward model used. */
  readonly rm?: string;
  /** Algorithm ('refl', 'grpo', ...). */
  readonly algorithm?: string;
  readonly notes?: string;
}

function version(v: unknown, at: At): typeof REPORT_FORMAT_VERSION {
  if (v !== REPORT_FORMAT_VERSION) fail(at, `version ${REPORT_FORMAT_VERSION} (this reader's format)`, v);
  return REPORT_FORMAT_VERSION;
}

function params(v: unknown, at: At): number {
  return num(v, at, Number.MIN_VALUE);
}

function parseAccuracyRow(v: unknown, at: At): AccuracyRow {
  const o = obj(v, at, ['preset', 'params', 'paradigm', 'init', 'context', 'idAccuracy', 'oodAccuracy', 'floorAccuracy', 'n', 'seed']);
  const seed = opt(o.seed, (x) => int(x, child(at, 'seed')));
  return {
    preset: str(o.preset, child(at, 'preset')),
    params: params(o.params, child(at, 'params')),
    paradigm: oneOf(o.paradigm, child(at, 'paradigm'), PARADIGMS),
    init: oneOf(o.init, child(at, 'init'), INITS),
    context: str(o.context, child(at, 'context')),
    idAccuracy: fraction(o.idAccuracy, child(at, 'idAccuracy')),
    oodAccuracy: fraction(o.oodAccuracy, child(at, 'oodAccuracy')),
    floorAccuracy: fraction(o.floorAccuracy, child(at, 'floorAccuracy')),
    n: int(o.n, child(at, 'n'), 1),
    ...(seed === undefined ? {} : { seed }),
  };
}

function parseRlRow(v: unknown, at: At): RlRow {
  const o = obj(v, at, ['preset', 'params', 'lateRewardStd', 'oracleBefore', 'oracleAfter', 'oracleCi', 'steps']);
  const steps = opt(o.steps, (x) => int(x, child(at, 'steps'), 1));
  return {
    preset: str(o.preset, child(at, 'preset')),
    params: params(o.params, child(at, 'params')),
    lateRewardStd: num(o.lateRewardStd, child(at, 'lateRewardStd'), 0),
    oracleBefore: fraction(o.oracleBefore, child(at, 'oracleBefore')),
    oracleAfter: fraction(o.oracleAfter, child(at, 'oracleAfter')),
    oracleCi: interval(o.oracleCi, child(at, 'oracleCi'), 0, 1),
    ...(steps === undefined ? {} : { steps }),
  };
}

function parseBestOfNRow(v: unknown, at: At): BestOfNRow {
  const o = obj(v, at, ['n', 'oracle', 'ci', 'rm']);
  const rm = opt(o.rm, (x) => str(x, child(at, 'rm')));
  return {
    n: int(o.n, child(at, 'n'), 1),
    oracle: fraction(o.oracle, child(at, 'oracle')),
    ci: interval(o.ci, child(at, 'ci'), 0, 1),
    ...(rm === undefined ? {} : { rm }),
  };
}

function rows<T>(v: unknown, at: At, parse: (v: unknown, at: At) => T): T[] {
  return arr(v, at).map((r, i) => parse(r, child(at, i)));
}

/**
 * Validates a parsed `study.json`; `file` names it in errors.
 * @example const study = parseStudy(readJson('out/study.json'), 'out/study.json');
 */
export function parseStudy(value: unknown, file: string): StudyFile {
  const at: At = { file, path: '' };
  const o = obj(value, at, ['version', 'command', 'date', 'budget', 'notes', 'accuracy', 'rl', 'bestOfN']);
  const budget = opt(o.budget, (x) => str(x, child(at, 'budget')));
  const notes = opt(o.notes, (x) => str(x, child(at, 'notes')));
  return {
    version: version(o.version, child(at, 'version')),
    command: str(o.command, child(at, 'command')),
    date: isoDate(o.date, child(at, 'date')),
    ...(budget === undefined ? {} : { budget }),
    ...(notes === undefined ? {} : { notes }),
    accuracy: rows(o.accuracy ?? [], child(at, 'accuracy'), parseAccuracyRow),
    rl: rows(o.rl ?? [], child(at, 'rl'), parseRlRow),
    bestOfN: rows(o.bestOfN ?? [], child(at, 'bestOfN'), parseBestOfNRow),
  };
}

function parseAlarm(v: unknown, at: At): string | undefined {
  if (v === undefined || v === null || v === false) return undefined;
  if (v === true) return 'alarm';
  return str(v, at);
}

/**
 * Validates the parsed lines of `metrics.jsonl` (steps must strictly increase).
 * @example const metrics = parseMetrics(readJsonl('run/metrics.jsonl'), 'run/metrics.jsonl');
 */
export function parseMetrics(lines: readonly unknown[], file: string): MetricRow[] {
  const out: MetricRow[] = [];
  lines.forEach((v, i) => {
    const at: At = { file: `${file}:${i + 1}`, path: '' };
    const o = obj(v, at, ['step', 'rewardMean', 'rewardStd', 'groupRewardStd', 'oracle', 'oracleCi', 'heldoutReward', 'diversity', 'drift', 'alarm']);
    const row: Record<string, unknown> = {
      step: int(o.step, child(at, 'step')),
      rewardMean: num(o.rewardMean, child(at, 'rewardMean')),
      rewardStd: num(o.rewardStd, child(at, 'rewardStd'), 0),
    };
    const optional: [string, (x: unknown) => unknown][] = [
      ['groupRewardStd', (x) => num(x, child(at, 'groupRewardStd'), 0)],
      ['oracle', (x) => fraction(x, child(at, 'oracle'))],
      ['oracleCi', (x) => interval(x, child(at, 'oracleCi'), 0, 1)],
      ['heldoutReward', (x) => num(x, child(at, 'heldoutReward'))],
      ['diversity', (x) => num(x, child(at, 'diversity'), 0)],
      ['drift', (x) => num(x, child(at, 'drift'), 0)],
    ];
    for (const [key, check] of optional) {
      const val = opt(o[key], check);
      if (val !== undefined) row[key] = val;
    }
    const alarm = parseAlarm(o.alarm, child(at, 'alarm'));
    if (alarm !== undefined) row.alarm = alarm;
    const prev = out[out.length - 1];
    if (prev && (row.step as number) <= prev.step) fail(child(at, 'step'), `a step greater than the previous line's ${prev.step}`, row.step);
    out.push(row as unknown as MetricRow);
  });
  return out;
}

function parseImage(v: unknown, at: At): SampleImage {
  const o = obj(v, at, ['file', 'prompt', 'caption', 'reward', 'oracle']);
  const file = str(o.file, child(at, 'file'));
  if (file.startsWith('/') || /^[a-zA-Z]:/.test(file) || file.split(/[\\/]/).includes('..')) fail(child(at, 'file'), 'a path relative to the run dir, without ..', file);
  const prompt = opt(o.prompt, (x) => str(x, child(at, 'prompt')));
  const caption = opt(o.caption, (x) => str(x, child(at, 'caption')));
  const reward = opt(o.reward, (x) => num(x, child(at, 'reward')));
  const oracle = opt(o.oracle, (x) => fraction(x, child(at, 'oracle')));
  return {
    file,
    ...(prompt === undefined ? {} : { prompt }),
    ...(caption === undefined ? {} : { caption }),
    ...(reward === undefined ? {} : { reward }),
    ...(oracle === undefined ? {} : { oracle }),
  };
}

function parseGrid(v: unknown, at: At): SampleGrid {
  const o = obj(v, at, ['kind', 'title', 'step', 'images']);
  const step = opt(o.step, (x) => int(x, child(at, 'step')));
  return {
    kind: oneOf(o.kind, child(at, 'kind'), GRID_KINDS),
    title: str(o.title, child(at, 'title')),
    ...(step === undefined ? {} : { step }),
    images: rows(o.images, child(at, 'images'), parseImage),
  };
}

/**
 * Validates a parsed `samples.json` (the image files themselves are checked when loaded).
 * @example const samples = parseSamples(readJson('run/samples.json'), 'run/samples.json');
 */
export function parseSamples(value: unknown, file: string): SamplesFile {
  const at: At = { file, path: '' };
  const o = obj(value, at, ['version', 'grids']);
  return { version: version(o.version, child(at, 'version')), grids: rows(o.grids, child(at, 'grids'), parseGrid) };
}

/**
 * Validates a parsed `run.json`.
 * @example const info = parseRunInfo(readJson('run/run.json'), 'run/run.json');
 */
export function parseRunInfo(value: unknown, file: string): RunInfo {
  const at: At = { file, path: '' };
  const o = obj(value, at, ['version', 'title', 'command', 'date', 'rm', 'algorithm', 'notes']);
  const out: Record<string, unknown> = { version: version(o.version, child(at, 'version')) };
  for (const key of ['title', 'command', 'rm', 'algorithm', 'notes'] as const) {
    const val = opt(o[key], (x) => str(x, child(at, key)));
    if (val !== undefined) out[key] = val;
  }
  const date = opt(o.date, (x) => isoDate(x, child(at, 'date')));
  if (date !== undefined) out.date = date;
  return out as unknown as RunInfo;
}
