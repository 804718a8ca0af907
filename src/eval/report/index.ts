/**
 * `writeReport(dir)`: reads a study, RL run or demo dir and writes a self-contained HTML page
 * plus a Markdown summary beside it (and PNG copies of the charts for the Markdown), all
 * written atomically. The formats producers write are in ./schema.ts.
 */
import { basename, dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../../util/fs.js';
import { renderPng, renderSvg, type Chart } from './charts.js';
import { buildDocument, documentCharts, documentImageCount } from './document.js';
import { renderHtml, scopeSvgIds } from './html.js';
import { loadReportContent } from './load.js';
import { renderMarkdown } from './markdown.js';

export * from './schema.js';
export { loadReportContent, sniffImageType, type ReportContent, type RunContent, type LoadedGrid, type LoadedImage } from './load.js';
export { renderSvg, renderPng, type Chart } from './charts.js';
export { buildDocument, type ReportDocument } from './document.js';

/** Default file name of the page inside the report dir. */
export const DEFAULT_REPORT_NAME = 'report.html';

export interface ReportOptions {
  /** Path of the HTML page (default DIR/report.html); the Markdown goes beside it as .md. */
  readonly out?: string;
  /** Page title (default by content: study, RL run or demo). */
  readonly title?: string;
  /** Also write PNG copies of the charts for the Markdown (default true). */
  readonly png?: boolean;
  /** Clock for the "generated" line (tests pin it). */
  readonly now?: Date;
}

export interface ReportResult {
  /** Path of the HTML page. */
  readonly html: string;
  /** Path of the Markdown summary. */
  readonly markdown: string;
  /** Charts rendered. */
  readonly charts: number;
  /** Sample images inlined. */
  readonly images: number;
  /** PNG chart files written (empty with png: false). */
  readonly pngs: readonly string[];
}

/** File-safe names for the charts, unique within one report ('rl-reward', 'rl-reward-2'). */
function uniqueNames(charts: readonly Chart[]): Map<Chart, string> {
  const seen = new Map<string, number>();
  const out = new Map<Chart, string>();
  for (const c of charts) {
    const k = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, k);
    out.set(c, k === 1 ? c.name : `${c.name}-${k}`);
  }
  return out;
}

/**
 * Builds and writes the report for `dir`; returns the paths and counts.
 * @example const { html, markdown } = await writeReport('out/study'); // out/study/report.html, .md
 */
export async function writeReport(dir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const content = loadReportContent(dir);
  const doc = buildDocument(content, { ...(opts.title ? { title: opts.title } : {}), ...(opts.now ? { now: opts.now } : {}) });
  const htmlPath = resolve(opts.out ?? join(dir, DEFAULT_REPORT_NAME));
  const stem = basename(htmlPath).replace(/\.html?$/i, '');
  const mdPath = join(dirname(htmlPath), `${stem}.md`);
  const assetsDir = join(dirname(htmlPath), `${stem}-assets`);

  const charts = documentCharts(doc);
  const names = uniqueNames(charts);
  const svgs = new Map<Chart, string>();
  const pngs = new Map<Chart, string>();
  const pngFiles: string[] = [];
  for (const [i, chart] of charts.entries()) {
    const svg = await renderSvg(chart.spec);
    svgs.set(chart, scopeSvgIds(svg, `c${i}`));
    if (opts.png ?? true) {
      const file = join(assetsDir, `${names.get(chart)!}.png`);
      writeFileAtomic(file, renderPng(svg));
      pngs.set(chart, relative(dirname(mdPath), file));
      pngFiles.push(file);
    }
  }
  const source = relative(dirname(htmlPath), resolve(dir)) || '.';
  writeFileAtomic(htmlPath, renderHtml(doc, svgs, { source }));
  writeFileAtomic(mdPath, renderMarkdown(doc, pngs, { source, htmlName: basename(htmlPath) }));
  return { html: htmlPath, markdown: mdPath, charts: charts.length, images: documentImageCount(doc), pngs: pngFiles };
}
