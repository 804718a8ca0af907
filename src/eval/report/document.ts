/**
 * The report as a format-free document: sections of blocks (text, charts, tables, image
 * grids, and pairs shown side by side). html.ts and markdown.ts render the same document,
 * so the page and the summary never disagree. Numbers are formatted here, from the input
 * files only; paper figures come from ../paper.ts and are always labelled as such.
 */
import { PAPER_CITATION, PAPER_FINDINGS, PAPER_RM_ACCURACY_VS_SIZE } from '../paper.js';
import {
  accuracyVsParamsChart,
  bestOfNChart,
  contextChart,
  diagnosticsChart,
  mainContext,
  oracleCurveChart,
  paperAccuracyChart,
  paradigmChart,
  paradigmLabel,
  rewardCurveChart,
  rewardStdChart,
  rlGainChart,
  lateStdChart,
  type Chart,
} from './charts.js';
import type { LoadedGrid, ReportContent, RunContent } from './load.js';
import { GRID_KINDS, type AccuracyRow, type StudyFile } from './schema.js';

/** A table of preformatted cells. */
export interface Table {
  readonly caption: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** One piece of a section. */
export type Block =
  | { readonly kind: 'text'; readonly text: string; readonly code?: boolean; readonly label?: string }
  | { readonly kind: 'chart'; readonly chart: Chart }
  | { readonly kind: 'table'; readonly table: Table }
  | { readonly kind: 'grid'; readonly grid: LoadedGrid }
  | { readonly kind: 'pair'; readonly left: Block; readonly right: Block };

export interface Section {
  readonly id: string;
  readonly title: string;
  readonly level: 2 | 3;
  readonly blocks: readonly Block[];
}

export interface ReportDocument {
  readonly title: string;
  /** When the report was generated (ISO string). */
  readonly generated: string;
  readonly sections: readonly Section[];
}

/** Formats a fraction as a percentage with one decimal ('74.2%'). */
export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Formats a number with up to `digits` significant decimals, trimming zeros. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1e5) return x.toExponential(2);
  return String(Number(x.toFixed(digits)));
}

/** A parameter count in SI form ('120k', '1.2M', '26B'). */
export function paramsLabel(p: number): string {
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) if (p >= v) return `${Number((p / v).toPrecision(3))}${u}`;
  return String(p);
}

function text(t: string): Block {
  return { kind: 'text', text: t };
}
/** A labelled command line ('Command:' then the command as code). */
function command(cmd: string): Block {
  return { kind: 'text', text: cmd, code: true, label: 'Command:' };
}
function chartBlock(c: Chart | undefined): Block[] {
  return c ? [{ kind: 'chart', chart: c }] : [];
}

interface Aggregated {
  readonly preset: string;
  readonly params: number;
  readonly paradigm: AccuracyRow['paradigm'];
  readonly init: AccuracyRow['init'];
  readonly context: string;
  readonly id: number;
  readonly ood: number;
  readonly floor: number;
  readonly n: number;
  readonly seeds: number;
}

/**
 * Averages rows that differ only by seed, in first-seen order.
 * @example aggregateSeeds(study.accuracy).map((a) => a.seeds); // [2, 2, 1]
 */
export function aggregateSeeds(rows: readonly AccuracyRow[]): Aggregated[] {
  const groups = new Map<string, AccuracyRow[]>();
  for (const r of rows) {
    const key = `${r.preset}|${r.paradigm}|${r.init}|${r.context}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const mean = (f: (r: AccuracyRow) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    const r0 = rs[0]!;
    return {
      preset: r0.preset, params: r0.params, paradigm: r0.paradigm, init: r0.init, context: r0.context,
      id: mean((r) => r.idAccuracy), ood: mean((r) => r.oodAccuracy), floor: mean((r) => r.floorAccuracy), n: r0.n, seeds: rs.length,
    };
  });
}

function accuracyTable(caption: string, rows: readonly Aggregated[], withContext: boolean): Table {
  return {
    caption,
    header: ['preset', 'params', 'paradigm', 'init', ...(withContext ? ['context'] : []), 'ID', 'OOD', 'floor', 'pairs', 'seeds'],
    rows: rows.map((a) => [
      a.preset, paramsLabel(a.params), paradigmLabel(a.paradigm), a.init, ...(withContext ? [a.context] : []),
      pct(a.id), pct(a.ood), pct(a.floor), String(a.n), String(a.seeds),
    ]),
  };
}

/**
 * A pivot table of 'ID / OOD' cells: one row per `rowLabel` (first-seen order), one column per
 * `colLabel`, columns ordered by parameter count then first seen.
 */
function pivot(caption: string, rowHeader: string, rows: readonly Aggregated[], rowLabel: (a: Aggregated) => string, colLabel: (a: Aggregated) => string): Table {
  const colParams = new Map<string, number>();
  for (const a of rows) if (!colParams.has(colLabel(a))) colParams.set(colLabel(a), a.params);
  const cols = [...colParams.keys()].sort((x, y) => colParams.get(x)! - colParams.get(y)!);
  const cells = new Map<string, Map<string, string>>();
  for (const a of rows) {
    const row = cells.get(rowLabel(a)) ?? new Map<string, string>();
    row.set(colLabel(a), `${pct(a.id)} / ${pct(a.ood)}`);
    cells.set(rowLabel(a), row);
  }
  return { caption, header: [rowHeader, ...cols], rows: [...cells.entries()].map(([label, row]) => [label, ...cols.map((c) => row.get(c) ?? '')]) };
}

function modelLabel(a: Aggregated): string {
  return `${paradigmLabel(a.paradigm)}, ${a.init}`;
}

/**
 * Our accuracy vs size, compact enough to sit beside the paper's table: the generative
 * pairwise rows (the paper's main paradigm) when there are any, else every paradigm.
 */
function besideTable(rows: readonly Aggregated[], ctx: string | undefined): Table {
  const pairwise = rows.filter((a) => a.paradigm === 'pairwise');
  const sel = pairwise.length > 0 ? pairwise : rows;
  return {
    caption: `Ours: ${pairwise.length > 0 ? 'generative pairwise' : 'all paradigms'}, context '${ctx ?? 'none recorded'}' (every row: "All reward-model results")`,
    header: ['preset', 'params', ...(pairwise.length > 0 ? [] : ['paradigm']), 'init', 'ID', 'OOD', 'floor'],
    rows: sel.map((a) => [a.preset, paramsLabel(a.params), ...(pairwise.length > 0 ? [] : [paradigmLabel(a.paradigm)]), a.init, pct(a.id), pct(a.ood), pct(a.floor)]),
  };
}

function paperAccuracyTable(): Table {
  return {
    caption: `Paper (published): ${PAPER_RM_ACCURACY_VS_SIZE.source.where}`,
    header: ['size', 'ID', 'OOD'],
    rows: PAPER_RM_ACCURACY_VS_SIZE.rows.map((r) => [r.size, `${r.idAccuracyPct.toFixed(1)}%`, `${r.oodAccuracyPct.toFixed(1)}%`]),
  };
}

function paperClaim(key: keyof typeof PAPER_FINDINGS): Block {
  const f = PAPER_FINDINGS[key];
  return text(`Paper (${f.source.where}, no published numbers transcribed here): ${f.claim}`);
}

function studySections(study: StudyFile): Section[] {
  const out: Section[] = [];
  const intro: Block[] = [command(study.command), text(`Date: ${study.date}${study.budget ? `, budget ${study.budget}` : ''}`)];
  if (study.notes) intro.push(text(study.notes));
  out.push({ id: 'study', title: 'Scaling study', level: 2, blocks: intro });

  const agg = aggregateSeeds(study.accuracy);
  const ctx = mainContext(study.accuracy);
  const mainRows = agg.filter((a) => a.context === ctx).sort((a, b) => a.params - b.params);
  const ours = accuracyVsParamsChart(study.accuracy);
  out.push({
    id: 'accuracy-vs-size',
    title: 'Reward-model accuracy vs size',
    level: 3,
    blocks: [
      ...(ours ? [{ kind: 'pair', left: { kind: 'chart', chart: ours }, right: { kind: 'chart', chart: paperAccuracyChart() } } as const] : chartBlock(paperAccuracyChart())),
      {
        kind: 'pair',
        left: { kind: 'table', table: besideTable(mainRows, ctx) },
        right: { kind: 'table', table: paperAccuracyTable() },
      },
      text(`Our models are tiny (parameter counts above) and trained on a synthetic world; compare the shape of the curves, not the levels. Paper: ${PAPER_CITATION}.`),
    ],
  });

  const para = paradigmChart(study.accuracy);
  if (para) {
    const rows = agg.filter((a) => a.context === ctx);
    const table = pivot(`Ours: ID / OOD accuracy by paradigm and size (context '${ctx}')`, 'paradigm, init', rows, modelLabel, (a) => `${a.preset} (${paramsLabel(a.params)})`);
    out.push({ id: 'paradigms', title: 'Generative pairwise vs pointwise vs Bradley-Terry', level: 3, blocks: [...chartBlock(para), { kind: 'table', table }, paperClaim('paradigm')] });
  }
  const ctxChart = contextChart(study.accuracy);
  if (ctxChart) {
    const config = (a: Aggregated) => `${a.preset} (${paramsLabel(a.params)}), ${modelLabel(a)}`;
    const contextsOf = new Map<string, Set<string>>();
    for (const a of agg) contextsOf.set(config(a), (contextsOf.get(config(a)) ?? new Set<string>()).add(a.context));
    const rows = agg.filter((a) => contextsOf.get(config(a))!.size > 1);
    const table = pivot('Ours: ID / OOD accuracy by context (configurations run with several contexts)', 'model', rows, config, (a) => a.context);
    out.push({ id: 'context', title: 'Context ablation', level: 3, blocks: [...chartBlock(ctxChart), { kind: 'table', table }, paperClaim('context')] });
  }
  if (study.rl.length > 0) {
    const rl = [...study.rl].sort((a, b) => a.params - b.params);
    out.push({
      id: 'rl-vs-size',
      title: 'RL with each reward-model size',
      level: 3,
      blocks: [
        { kind: 'pair', left: chartBlock(lateStdChart(rl))[0]!, right: chartBlock(rlGainChart(rl))[0]! },
        {
          kind: 'table',
          table: {
            caption: 'Ours: late-RL reward std and oracle before/after RL (95% interval of the after-score)',
            header: ['preset', 'params', 'late reward std', 'oracle before', 'oracle after', 'gain', '95% CI (after)', 'steps'],
            rows: rl.map((r) => [r.preset, paramsLabel(r.params), fmt(r.lateRewardStd), fmt(r.oracleBefore), fmt(r.oracleAfter), `${r.oracleAfter >= r.oracleBefore ? '+' : ''}${fmt(r.oracleAfter - r.oracleBefore)}`, `[${fmt(r.oracleCi[0])}, ${fmt(r.oracleCi[1])}]`, r.steps === undefined ? '' : String(r.steps)]),
          },
        },
        paperClaim('lateRewardStd'),
      ],
    });
  }
  if (study.bestOfN.length > 0) {
    const rows = [...study.bestOfN].sort((a, b) => (a.rm ?? '').localeCompare(b.rm ?? '') || a.n - b.n);
    out.push({
      id: 'best-of-n',
      title: 'Best-of-N',
      level: 3,
      blocks: [...chartBlock(bestOfNChart(rows)), { kind: 'table', table: { caption: 'Ours: oracle score of the pick', header: ['selected by', 'N', 'oracle', '95% CI'], rows: rows.map((r) => [r.rm ?? '', String(r.n), fmt(r.oracle), `[${fmt(r.ci[0])}, ${fmt(r.ci[1])}]`]) } }],
    });
  }
  if (agg.length > 0) out.push({ id: 'all-accuracy', title: 'All reward-model results', level: 3, blocks: [{ kind: 'table', table: accuracyTable('Every configuration (seeds averaged)', agg, true) }] });
  return out;
}

function span(values: readonly number[]): string {
  return values.length === 0 ? '' : `${fmt(values[0]!)} -> ${fmt(values[values.length - 1]!)}`;
}

function runSummary(run: RunContent): Table {
  const m = run.metrics;
  const rows: string[][] = [];
  if (m.length > 0) {
    rows.push(['steps logged', `${m.length} (step ${m[0]!.step} to ${m[m.length - 1]!.step})`]);
    rows.push(['reward mean', span(m.map((x) => x.rewardMean))]);
    rows.push(['reward std', span(m.map((x) => x.rewardStd))]);
    const g = m.filter((x) => x.groupRewardStd !== undefined).map((x) => x.groupRewardStd!);
    if (g.length) rows.push(['within-group reward std', span(g)]);
    const o = m.filter((x) => x.oracle !== undefined);
    if (o.length) {
      const last = o[o.length - 1]!;
      rows.push(['oracle score', `${span(o.map((x) => x.oracle!))}${last.oracleCi ? ` (last 95% CI [${fmt(last.oracleCi[0])}, ${fmt(last.oracleCi[1])}])` : ''}`]);
    }
    const h = m.filter((x) => x.heldoutReward !== undefined).map((x) => x.heldoutReward!);
    if (h.length) rows.push(['held-out reward', span(h)]);
    const alarms = m.filter((x) => x.alarm !== undefined);
    rows.push(['hacking alarm', alarms.length === 0 ? 'did not fire' : `fired at ${alarms.length} step(s), first at step ${alarms[0]!.step}: ${alarms[0]!.alarm!}`]);
  }
  const images = run.grids.reduce((s, g) => s + g.images.length, 0);
  if (run.grids.length) rows.push(['sample grids', `${run.grids.length} (${images} images)`]);
  return { caption: 'Run summary', header: ['what', 'value'], rows };
}

function runSection(run: RunContent): Section {
  const info = run.info;
  const blocks: Block[] = [];
  if (info?.command) blocks.push(command(info.command));
  const facts = [info?.date && `date ${info.date}`, info?.algorithm && `algorithm ${info.algorithm}`, info?.rm && `reward model ${info.rm}`].filter(Boolean);
  if (facts.length) blocks.push(text(facts.join(', ')));
  if (info?.notes) blocks.push(text(info.notes));
  blocks.push({ kind: 'table', table: runSummary(run) });
  const curves = [rewardCurveChart(run.metrics, run.name), oracleCurveChart(run.metrics, run.name), rewardStdChart(run.metrics, run.name), diagnosticsChart(run.metrics, run.name)].filter((c): c is Chart => c !== undefined);
  for (let i = 0; i < curves.length; i += 2) {
    const a = curves[i]!;
    const b = curves[i + 1];
    blocks.push(b ? { kind: 'pair', left: { kind: 'chart', chart: a }, right: { kind: 'chart', chart: b } } : { kind: 'chart', chart: a });
  }
  const grids = [...run.grids].sort((a, b) => GRID_KINDS.indexOf(a.kind) - GRID_KINDS.indexOf(b.kind));
  for (const g of grids) blocks.push({ kind: 'grid', grid: g });
  const title = info?.title ?? (run.name === '.' ? 'RL run' : `RL run: ${run.name}`);
  return { id: `run-${run.name === '.' ? 'root' : run.name.replace(/[^a-zA-Z0-9]+/g, '-')}`, title, level: 2, blocks };
}

/**
 * Builds the report document from loaded content.
 * @example const doc = buildDocument(loadReportContent('out/study'), { title: 'Scaling study' });
 */
export function buildDocument(content: ReportContent, opts: { title?: string; now?: Date } = {}): ReportDocument {
  const sections = [...(content.study ? studySections(content.study) : []), ...content.runs.map(runSection)];
  const title = opts.title ?? (content.study && content.runs.length ? 'RewardDance demo report' : content.study ? 'RewardDance scaling study' : 'RewardDance RL run');
  return { title, generated: (opts.now ?? new Date()).toISOString(), sections };
}

/** Every chart in a document, in order. */
export function documentCharts(doc: ReportDocument): Chart[] {
  const out: Chart[] = [];
  const visit = (b: Block): void => {
    if (b.kind === 'chart') out.push(b.chart);
    else if (b.kind === 'pair') {
      visit(b.left);
      visit(b.right);
    }
  };
  for (const s of doc.sections) s.blocks.forEach(visit);
  return out;
}

/** Number of images in a document's grids. */
export function documentImageCount(doc: ReportDocument): number {
  let n = 0;
  for (const s of doc.sections) for (const b of s.blocks) if (b.kind === 'grid') n += b.grid.images.length;
  return n;
}
