/**
 * Vega-Lite chart specs for reports and their headless rendering: SVG through vega's
 * renderer-less View (no DOM, no canvas), PNG through resvg. Nothing is fetched: data is
 * inline and the vega loader refuses every URL. Legends are padded (DESIGN.md: vega's text
 * width estimate in Node runs short, so unpadded legends clip).
 */
import { Resvg } from '@resvg/resvg-js';
import { View, parse, type Loader, type ViewOptions } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { InputError } from '../../errors.js';
import { PAPER_RM_ACCURACY_VS_SIZE } from '../paper.js';
import type { AccuracyRow, BestOfNRow, MetricRow, Paradigm, RlRow } from './schema.js';

/** A chart ready to render: a stable name (file stem), a title and its spec. */
export interface Chart {
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
  /** One sentence on how to read it. */
  readonly caption: string;
}

/** Font stack; DejaVu Sans is what Debian ships and what resvg falls back to. */
export const CHART_FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
/** Default chart body size in px (vega-lite adds axes and legends around it). */
export const CHART_WIDTH = 420;
export const CHART_HEIGHT = 240;
/** Extra right padding so legend labels never clip (estimate of text width is short in Node). */
export const LEGEND_PAD_PX = 24;
/** Legends sit under the chart, one entry a line and several legends side by side, so charts keep their width. */
export const LEGEND_COLUMNS = 1;
/** PNG zoom factor: 2 gives crisp charts on high-DPI screens and in PR previews. */
export const PNG_SCALE = 2;
/** Colour of hacking-alarm markers. */
export const ALARM_COLOR = '#d62728';

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const CONFIG = {
  font: CHART_FONT,
  background: 'white',
  view: { stroke: '#dddddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eeeeee' },
  legend: { orient: 'bottom' as const, direction: 'horizontal' as const, columns: LEGEND_COLUMNS, columnPadding: 24, labelFontSize: 11, titleFontSize: 12, padding: 6, offset: 14, labelLimit: 0, titleLimit: 0, symbolSize: 80 },
  title: { fontSize: 14, anchor: 'start' as const, offset: 10 },
} as const;

function base(title: string) {
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    config: CONFIG,
    padding: { left: 8, top: 8, bottom: 8, right: 8 + LEGEND_PAD_PX },
  };
}

/** Human label of a paradigm. */
export function paradigmLabel(p: Paradigm): string {
  return p === 'pairwise' ? 'generative pairwise' : p === 'pointwise' ? 'generative pointwise' : 'Bradley-Terry head';
}

/**
 * The context most configurations were run with: the label covering the most distinct
 * (preset, paradigm, init) combinations; ties go to the first seen. Size and paradigm charts
 * use it so that they compare like with like.
 * @example mainContext(rows); // '+instruction'
 */
export function mainContext(rows: readonly AccuracyRow[]): string | undefined {
  const combos = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = combos.get(r.context) ?? new Set<string>();
    set.add(`${r.preset}|${r.paradigm}|${r.init}`);
    combos.set(r.context, set);
  }
  let best: string | undefined;
  for (const [ctx, set] of combos) if (best === undefined || set.size > combos.get(best)!.size) best = ctx;
  return best;
}

const ACCURACY_AXIS = { title: 'accuracy', format: '.0%' } as const;
/** A log-scale parameter axis ticked at the sizes present, labelled '120k', '26B'. */
function paramsX(values: readonly number[]) {
  return {
    field: 'params',
    type: 'quantitative',
    scale: { type: 'log', nice: false, padding: 16 },
    axis: { title: 'parameters (log scale)', values: [...new Set(values)].sort((a, b) => a - b), format: '~s', labelExpr: "replace(datum.label, 'G', 'B')" },
  } as const;
}

/**
 * Accuracy vs parameter count (log x): one colour per paradigm and init, solid ID and dashed
 * OOD, the prompt-blind floor in grey. Seeds are averaged. Uses the main context only.
 * @example const chart = accuracyVsParamsChart(study.accuracy);
 */
export function accuracyVsParamsChart(rows: readonly AccuracyRow[]): Chart | undefined {
  const ctx = mainContext(rows);
  const sel = rows.filter((r) => r.context === ctx);
  if (sel.length === 0) return undefined;
  const values = sel.flatMap((r) => {
    const series = `${paradigmLabel(r.paradigm)}, ${r.init}`;
    return [
      { params: r.params, series, split: 'ID', accuracy: r.idAccuracy },
      { params: r.params, series, split: 'OOD', accuracy: r.oodAccuracy },
    ];
  });
  const floor = sel.map((r) => ({ params: r.params, accuracy: r.floorAccuracy }));
  const px = paramsX(sel.map((r) => r.params));
  return {
    name: 'accuracy-vs-params',
    title: 'Reward-model accuracy vs size (ours)',
    caption: `Held-out preference accuracy by parameter count (context '${ctx}'); solid ID, dashed OOD, grey the prompt-blind floor; seeds averaged.`,
    spec: {
      ...base(`RM accuracy vs size (ours, context ${ctx})`),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      layer: [
        {
          data: { values: floor },
          mark: { type: 'line', color: '#999999', strokeDash: [2, 3], point: { color: '#999999' } },
          encoding: { x: px, y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative', axis: ACCURACY_AXIS, scale: { zero: false } } },
        },
        {
          data: { values },
          mark: { type: 'line', point: true },
          encoding: {
            x: px,
            y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative', axis: ACCURACY_AXIS, scale: { zero: false } },
            color: { field: 'series', type: 'nominal', title: 'paradigm, init' },
            strokeDash: { field: 'split', type: 'nominal', title: 'split', sort: ['ID', 'OOD'], legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolStrokeColor: '#333333' } },
          },
        },
      ],
    },
  };
}

/** A published percentage as a fraction, rounded so that 69.4 gives 0.694 exactly. */
function pctToFraction(p: number): number {
  return Number((p / 100).toFixed(6));
}

/**
 * The paper's published accuracy vs size (ID solid, OOD dashed), drawn like ours so the two
 * can be compared by shape (the sizes differ by four orders of magnitude).
 * @example const chart = paperAccuracyChart();
 */
export function paperAccuracyChart(): Chart {
  const values = PAPER_RM_ACCURACY_VS_SIZE.rows.flatMap((r) => [
    { params: r.params, size: r.size, split: 'ID', accuracy: pctToFraction(r.idAccuracyPct) },
    { params: r.params, size: r.size, split: 'OOD', accuracy: pctToFraction(r.oodAccuracyPct) },
  ]);
  const px = paramsX(PAPER_RM_ACCURACY_VS_SIZE.rows.map((r) => r.params));
  return {
    name: 'paper-accuracy-vs-params',
    title: 'Reward-model accuracy vs size (paper)',
    caption: `Published figures: ${PAPER_RM_ACCURACY_VS_SIZE.source.paper}; ${PAPER_RM_ACCURACY_VS_SIZE.source.where}.`,
    spec: {
      ...base('RM accuracy vs size (paper, published)'),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      data: { values },
      mark: { type: 'line', point: true, color: '#555555' },
      encoding: {
        x: px,
        y: { field: 'accuracy', type: 'quantitative', axis: ACCURACY_AXIS, scale: { zero: false } },
        strokeDash: { field: 'split', type: 'nominal', title: 'split', sort: ['ID', 'OOD'], legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolStrokeColor: '#333333' } },
      },
    },
  };
}

function largestWith(rows: readonly AccuracyRow[], key: (r: AccuracyRow) => string): { preset: string; rows: AccuracyRow[] } | undefined {
  const byPreset = new Map<string, AccuracyRow[]>();
  for (const r of rows) byPreset.set(r.preset, [...(byPreset.get(r.preset) ?? []), r]);
  const candidates = [...byPreset.entries()].filter(([, rs]) => new Set(rs.map(key)).size > 1);
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => b[1][0]!.params - a[1][0]!.params);
  const [preset, rs] = candidates[0]!;
  return { preset, rows: rs };
}

/**
 * Generative pairwise vs pointwise vs Bradley-Terry, bars per init, ID and OOD side by side,
 * for the largest preset run with more than one paradigm (main context).
 * @example const chart = paradigmChart(study.accuracy);
 */
export function paradigmChart(rows: readonly AccuracyRow[]): Chart | undefined {
  const ctx = mainContext(rows);
  const pick = largestWith(rows.filter((r) => r.context === ctx), (r) => r.paradigm);
  if (!pick) return undefined;
  const values = pick.rows.flatMap((r) => [
    { paradigm: paradigmLabel(r.paradigm), init: r.init, split: 'ID', accuracy: r.idAccuracy },
    { paradigm: paradigmLabel(r.paradigm), init: r.init, split: 'OOD', accuracy: r.oodAccuracy },
  ]);
  return {
    name: 'paradigms',
    title: `Paradigms (${pick.preset})`,
    caption: `Accuracy by reward paradigm and initialisation for preset ${pick.preset} (context '${ctx}'); seeds averaged.`,
    spec: {
      ...base(`Paradigm comparison (${pick.preset}, context ${ctx})`),
      data: { values },
      mark: { type: 'bar' },
      width: { step: 28 },
      height: CHART_HEIGHT,
      encoding: {
        column: { field: 'split', type: 'nominal', title: null, sort: ['ID', 'OOD'] },
        x: { field: 'paradigm', type: 'nominal', title: null, axis: { labelAngle: -20 } },
        xOffset: { field: 'init', type: 'nominal' },
        y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative', axis: ACCURACY_AXIS },
        color: { field: 'init', type: 'nominal', title: 'init' },
      },
    },
  };
}

/**
 * Context ablation: accuracy per context label (in the order first seen), ID and OOD bars,
 * for the largest preset with several contexts (most common paradigm among those rows).
 * @example const chart = contextChart(study.accuracy);
 */
export function contextChart(rows: readonly AccuracyRow[]): Chart | undefined {
  const pick = largestWith(rows, (r) => r.context);
  if (!pick) return undefined;
  const counts = new Map<Paradigm, number>();
  for (const r of pick.rows) counts.set(r.paradigm, (counts.get(r.paradigm) ?? 0) + 1);
  const paradigm = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const sel = pick.rows.filter((r) => r.paradigm === paradigm);
  const order = [...new Set(sel.map((r) => r.context))];
  const values = sel.flatMap((r) => [
    { context: r.context, init: r.init, split: 'ID', accuracy: r.idAccuracy },
    { context: r.context, init: r.init, split: 'OOD', accuracy: r.oodAccuracy },
  ]);
  return {
    name: 'context-ablation',
    title: `Context ablation (${pick.preset})`,
    caption: `Accuracy by context for preset ${pick.preset}, ${paradigmLabel(paradigm)}; inits and seeds averaged.`,
    spec: {
      ...base(`Context ablation (${pick.preset}, ${paradigmLabel(paradigm)})`),
      data: { values },
      mark: { type: 'bar' },
      width: { step: 22 },
      height: CHART_HEIGHT,
      encoding: {
        x: { field: 'context', type: 'nominal', sort: order, title: 'context', axis: { labelAngle: -20 } },
        xOffset: { field: 'split', type: 'nominal', sort: ['ID', 'OOD'] },
        y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative', axis: ACCURACY_AXIS },
        color: { field: 'split', type: 'nominal', title: 'split', sort: ['ID', 'OOD'] },
      },
    },
  };
}

/**
 * Late-RL reward standard deviation vs reward-model size (log x), labelled by preset.
 * @example const chart = lateStdChart(study.rl);
 */
export function lateStdChart(rows: readonly RlRow[]): Chart | undefined {
  if (rows.length === 0) return undefined;
  const values = rows.map((r) => ({ params: r.params, preset: r.preset, std: r.lateRewardStd }));
  const px = paramsX(rows.map((r) => r.params));
  return {
    name: 'late-reward-std',
    title: 'Late-RL reward std vs size',
    caption: 'Standard deviation of rewards late in RL, by reward-model size; a collapse towards 0 is the signature of hacking or mode collapse.',
    spec: {
      ...base('Late-RL reward std vs RM size'),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      data: { values },
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: px, y: { field: 'std', type: 'quantitative', title: 'reward std (late RL)' } } },
        { mark: { type: 'text', dy: -10, fontSize: 10 }, encoding: { x: px, y: { field: 'std', type: 'quantitative' }, text: { field: 'preset' } } },
      ],
    },
  };
}

/**
 * Oracle gain from RL (after - before) vs reward-model size, with the 95% interval of the
 * after-score shifted by the before-score as error bars, and a zero line.
 * @example const chart = rlGainChart(study.rl);
 */
export function rlGainChart(rows: readonly RlRow[]): Chart | undefined {
  if (rows.length === 0) return undefined;
  const values = rows.map((r) => ({
    params: r.params,
    preset: r.preset,
    gain: r.oracleAfter - r.oracleBefore,
    lo: r.oracleCi[0] - r.oracleBefore,
    hi: r.oracleCi[1] - r.oracleBefore,
  }));
  const px = paramsX(rows.map((r) => r.params));
  return {
    name: 'rl-gain',
    title: 'RL oracle gain vs size',
    caption: 'Oracle score after RL minus before, by reward-model size; bars are the 95% interval of the after-score.',
    spec: {
      ...base('RL oracle gain vs RM size'),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      layer: [
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#999999', strokeDash: [4, 4] }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
        { data: { values }, mark: { type: 'rule' }, encoding: { x: px, y: { field: 'lo', type: 'quantitative', title: 'oracle gain' }, y2: { field: 'hi' } } },
        { data: { values }, mark: { type: 'point', filled: true, size: 60 }, encoding: { x: px, y: { field: 'gain', type: 'quantitative' } } },
      ],
    },
  };
}

/**
 * Best-of-N: oracle score of the selected sample vs N (log2 x) with a 95% band, one colour
 * per selecting reward model.
 * @example const chart = bestOfNChart(study.bestOfN);
 */
export function bestOfNChart(rows: readonly BestOfNRow[]): Chart | undefined {
  if (rows.length === 0) return undefined;
  const values = rows.map((r) => ({ n: r.n, oracle: r.oracle, lo: r.ci[0], hi: r.ci[1], rm: r.rm ?? 'reward model' }));
  const x = { field: 'n', type: 'quantitative', scale: { type: 'log', base: 2 }, axis: { title: 'N (candidates per prompt)' } } as const;
  return {
    name: 'best-of-n',
    title: 'Best-of-N',
    caption: 'Oracle score of the candidate the reward model picks out of N, with 95% band.',
    spec: {
      ...base('Best-of-N: oracle score of the pick'),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      data: { values },
      layer: [
        { mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'rm', type: 'nominal', title: 'selected by' } } },
        {
          mark: { type: 'line', point: true },
          encoding: { x, y: { field: 'oracle', type: 'quantitative', title: 'oracle score', scale: { zero: false } }, color: { field: 'rm', type: 'nominal', title: 'selected by' } },
        },
      ],
    },
  };
}

const STEP_X = { field: 'step', type: 'quantitative', title: 'RL step' } as const;

function alarmLayer(metrics: readonly MetricRow[]) {
  const alarms = metrics.filter((m) => m.alarm !== undefined).map((m) => ({ step: m.step, reason: m.alarm }));
  return alarms.length === 0 ? [] : [{ data: { values: alarms }, mark: { type: 'rule' as const, color: ALARM_COLOR, strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x: STEP_X } }];
}

/**
 * RL reward curves: mean reward with a mean +- std band, held-out reward when logged, and
 * red dashed rules at steps where the hacking alarm fired.
 * @example const chart = rewardCurveChart(run.metrics, 'rl');
 */
export function rewardCurveChart(metrics: readonly MetricRow[], runName: string): Chart | undefined {
  if (metrics.length === 0) return undefined;
  const band = metrics.map((m) => ({ step: m.step, lo: m.rewardMean - m.rewardStd, hi: m.rewardMean + m.rewardStd }));
  const lines = metrics.flatMap((m) => [
    { step: m.step, series: 'reward mean', value: m.rewardMean },
    ...(m.heldoutReward === undefined ? [] : [{ step: m.step, series: 'held-out reward', value: m.heldoutReward }]),
  ]);
  return {
    name: `${slug(runName)}-reward`,
    title: 'Reward over RL steps',
    caption: 'Mean reward with a mean +- std band; red dashed lines mark steps where the hacking alarm fired.',
    spec: {
      ...base('Reward over RL steps'),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      layer: [
        { data: { values: band }, mark: { type: 'area', opacity: 0.18, color: '#4c78a8' }, encoding: { x: STEP_X, y: { field: 'lo', type: 'quantitative', title: 'reward' }, y2: { field: 'hi' } } },
        { data: { values: lines }, mark: { type: 'line' }, encoding: { x: STEP_X, y: { field: 'value', type: 'quantitative' }, color: { field: 'series', type: 'nominal', title: null } } },
        ...alarmLayer(metrics),
      ],
    },
  };
}

/**
 * Reward standard deviation over steps (batch and within-group), with alarm markers.
 * @example const chart = rewardStdChart(run.metrics, 'rl');
 */
export function rewardStdChart(metrics: readonly MetricRow[], runName: string): Chart | undefined {
  if (metrics.length === 0) return undefined;
  const values = metrics.flatMap((m) => [
    { step: m.step, series: 'batch reward std', value: m.rewardStd },
    ...(m.groupRewardStd === undefined ? [] : [{ step: m.step, series: 'within-group std', value: m.groupRewardStd }]),
  ]);
  return {
    name: `${slug(runName)}-reward-std`,
    title: 'Reward std over RL steps',
    caption: 'Spread of rewards per step; falling towards 0 means the reward no longer tells samples apart.',
    spec: {
      ...base('Reward std over RL steps'),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      layer: [
        { data: { values }, mark: { type: 'line' }, encoding: { x: STEP_X, y: { field: 'value', type: 'quantitative', title: 'std' }, color: { field: 'series', type: 'nominal', title: null } } },
        ...alarmLayer(metrics),
      ],
    },
  };
}

/**
 * Oracle score over steps with its 95% band (only steps that logged an oracle score).
 * @example const chart = oracleCurveChart(run.metrics, 'rl');
 */
export function oracleCurveChart(metrics: readonly MetricRow[], runName: string): Chart | undefined {
  const pts = metrics.filter((m) => m.oracle !== undefined);
  if (pts.length === 0) return undefined;
  const values = pts.map((m) => ({ step: m.step, oracle: m.oracle, lo: m.oracleCi?.[0] ?? m.oracle, hi: m.oracleCi?.[1] ?? m.oracle }));
  return {
    name: `${slug(runName)}-oracle`,
    title: 'Oracle score over RL steps',
    caption: 'Oracle (true) score of evaluation samples with 95% band; reward rising while this falls is hacking.',
    spec: {
      ...base('Oracle score over RL steps'),
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      layer: [
        { data: { values }, mark: { type: 'area', opacity: 0.2, color: '#54a24b' }, encoding: { x: STEP_X, y: { field: 'lo', type: 'quantitative', title: 'oracle score', scale: { zero: false } }, y2: { field: 'hi' } } },
        { data: { values }, mark: { type: 'line', point: true, color: '#54a24b' }, encoding: { x: STEP_X, y: { field: 'oracle', type: 'quantitative' } } },
        ...alarmLayer(metrics),
      ],
    },
  };
}

/**
 * Diversity and drift over steps, one row each with its own y scale (only those logged).
 * @example const chart = diagnosticsChart(run.metrics, 'rl');
 */
export function diagnosticsChart(metrics: readonly MetricRow[], runName: string): Chart | undefined {
  const values = metrics.flatMap((m) => [
    ...(m.diversity === undefined ? [] : [{ step: m.step, metric: 'diversity', value: m.diversity }]),
    ...(m.drift === undefined ? [] : [{ step: m.step, metric: 'drift', value: m.drift }]),
  ]);
  if (values.length === 0) return undefined;
  return {
    name: `${slug(runName)}-diagnostics`,
    title: 'Diversity and drift',
    caption: 'Sample diversity and drift from the starting model; diversity can rise during collapse too (DESIGN.md 7), so read it with the oracle.',
    spec: {
      ...base('Diversity and drift over RL steps'),
      data: { values },
      facet: { row: { field: 'metric', type: 'nominal', title: null } },
      spec: { width: CHART_WIDTH, height: CHART_HEIGHT / 2, mark: { type: 'line', point: true }, encoding: { x: STEP_X, y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } } } },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/** A file-name-safe stem from a run name ('.' becomes 'run'). */
export function slug(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase();
  return s === '' ? 'run' : s;
}

const REFUSE = (uri: string): Promise<never> => Promise.reject(new InputError(`chart tried to load '${uri}'; report charts must use inline data only`));

/** A vega loader that refuses every load: charts are rendered offline from inline data. */
const OFFLINE_LOADER: Loader = { load: REFUSE, sanitize: REFUSE, http: REFUSE, file: REFUSE };

type VegaLogger = NonNullable<ViewOptions['logger']>;

/** Collects vega's errors (a failed load is logged, not thrown) so that rendering can fail loudly. */
class CollectingLogger implements VegaLogger {
  readonly errors: string[] = [];
  private lvl = 0;
  level(l?: number): number | this {
    if (l === undefined) return this.lvl;
    this.lvl = l;
    return this;
  }
  error(...args: unknown[]): this {
    this.errors.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
    return this;
  }
  warn(): this {
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
}

/** Throws when a spec asks for external data (a `url` key anywhere): charts are inline-only. */
function assertInline(value: unknown, path: string): void {
  if (Array.isArray(value)) value.forEach((v, i) => assertInline(v, `${path}[${i}]`));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'url' && path.endsWith('data')) throw new InputError(`chart spec ${path}.url asks to load '${String(v)}'; report charts must use inline data only`);
      assertInline(v, path ? `${path}.${k}` : k);
    }
  }
}

/**
 * Renders a Vega-Lite spec to an SVG string, headless (no DOM, canvas or network). Errors
 * vega logs while rendering (it logs failed loads instead of throwing) become exceptions.
 * @example const svg = await renderSvg(accuracyVsParamsChart(rows)!.spec);
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  assertInline(spec, '');
  const vg = compile(spec).spec;
  const logger = new CollectingLogger();
  const view = new View(parse(vg), { renderer: 'none', loader: OFFLINE_LOADER, logger });
  try {
    const svg = await view.toSVG();
    if (logger.errors.length > 0) throw new InputError(`chart '${typeof spec.title === 'string' ? spec.title : 'untitled'}' failed to render: ${logger.errors.join('; ')}`);
    return svg;
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises an SVG to PNG bytes with resvg (system fonts, DejaVu Sans by default).
 * @example writeFileAtomic('chart.png', renderPng(svg));
 */
export function renderPng(svg: string, scale = PNG_SCALE): Uint8Array {
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return r.render().asPng();
}
