/**
 * Renders a ReportDocument as one self-contained HTML page: inline CSS, charts as inline SVG
 * (ids prefixed per chart so clip paths never collide), sample images as data URLs, no
 * scripts, and a Content-Security-Policy that forbids loading anything from outside the page.
 */
import type { Block, ReportDocument, Section, Table } from './document.js';
import type { Chart } from './charts.js';
import type { LoadedGrid } from './load.js';
import { PAPER_CITATION } from '../paper.js';

/** Display width of a sample image in CSS px (small renders are scaled up, pixelated). */
export const SAMPLE_DISPLAY_PX = 128;

/** Nothing but inline styles and data: images may load. */
const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa; --alarm: #d62728; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1120px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; border-bottom: 1px solid var(--line); }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 26px 0 8px; }
h4 { font-size: 15px; margin: 16px 0 6px; }
.meta, figcaption, .caption { color: var(--muted); font-size: 13px; }
nav ul { list-style: none; padding: 0; margin: 8px 0 16px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a { color: #0969da; text-decoration: none; }
code { font: 13px/1.4 "DejaVu Sans Mono", monospace; background: var(--soft); padding: 2px 6px; border-radius: 4px; word-break: break-all; }
.pair { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.pair > * { flex: 1 1 420px; min-width: 0; }
figure { margin: 12px 0; }
figure.chart .svg { overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: var(--soft); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
.grid .cells { display: flex; flex-wrap: wrap; gap: 10px; }
.sample { margin: 0; width: ${SAMPLE_DISPLAY_PX + 8}px; }
.sample img { width: ${SAMPLE_DISPLAY_PX}px; height: auto; image-rendering: pixelated; border: 1px solid var(--line); display: block; }
.grid.hacked .sample img { border: 2px solid var(--alarm); }
.sample figcaption { font-size: 12px; line-height: 1.3; margin-top: 4px; overflow-wrap: anywhere; }
footer { margin-top: 40px; padding-bottom: 32px; border-top: 1px solid var(--line); }
`;

/**
 * Escapes text for HTML element content and double-quoted attributes.
 * @example escapeHtml('<b> & "x"'); // '&lt;b&gt; &amp; &quot;x&quot;'
 */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Makes every id in an SVG unique to this chart (vega reuses ids such as `clip1` in each
 * chart, and inline SVGs share one id space) and drops the XML prolog if any.
 * @example scopeSvgIds('<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>', 'c3');
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function isNumeric(cell: string): boolean {
  return /^[-+]?\d/.test(cell) && !/[a-zA-Z]{2}/.test(cell);
}

function tableHtml(t: Table): string {
  const head = `<tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td${isNumeric(c) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><div class="caption">${escapeHtml(t.caption)}</div><table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

function imageCaption(img: LoadedGrid['images'][number]): string {
  const parts: string[] = [];
  if (img.prompt) parts.push(escapeHtml(img.prompt));
  if (img.caption) parts.push(escapeHtml(img.caption));
  const scores = [img.reward !== undefined ? `reward ${img.reward.toFixed(3)}` : '', img.oracle !== undefined ? `oracle ${img.oracle.toFixed(3)}` : ''].filter(Boolean).join(' · ');
  if (scores) parts.push(scores);
  return parts.join('<br>');
}

function gridHtml(g: LoadedGrid): string {
  const cells = g.images
    .map((img) => {
      const src = `data:${img.mime};base64,${Buffer.from(img.bytes).toString('base64')}`;
      const alt = img.prompt ?? img.caption ?? img.file;
      return `<figure class="sample"><img src="${src}" alt="${escapeHtml(alt)}" title="${escapeHtml(img.file)}"><figcaption>${imageCaption(img)}</figcaption></figure>`;
    })
    .join('\n');
  const step = g.step === undefined ? '' : ` <span class="meta">(step ${g.step})</span>`;
  return `<section class="grid ${g.kind}" data-grid-kind="${g.kind}"><h4>${escapeHtml(g.title)}${step}</h4><div class="cells">\n${cells}\n</div></section>`;
}

function blockHtml(b: Block, svgs: ReadonlyMap<Chart, string>): string {
  switch (b.kind) {
    case 'text':
      return `<p>${b.label ? `${escapeHtml(b.label)} ` : ''}${b.code ? `<code>${escapeHtml(b.text)}</code>` : escapeHtml(b.text)}</p>`;
    case 'table':
      return tableHtml(b.table);
    case 'grid':
      return gridHtml(b.grid);
    case 'pair':
      return `<div class="pair"><div>${blockHtml(b.left, svgs)}</div><div>${blockHtml(b.right, svgs)}</div></div>`;
    case 'chart': {
      const svg = svgs.get(b.chart) ?? '';
      return `<figure class="chart" data-chart="${escapeHtml(b.chart.name)}"><div class="svg" role="img" aria-label="${escapeHtml(b.chart.title)}">${svg}</div><figcaption>${escapeHtml(b.chart.caption)}</figcaption></figure>`;
    }
  }
}

function sectionHtml(s: Section, svgs: ReadonlyMap<Chart, string>): string {
  const tag = s.level === 2 ? 'h2' : 'h3';
  return `<section id="${escapeHtml(s.id)}"><${tag}>${escapeHtml(s.title)}</${tag}>\n${s.blocks.map((b) => blockHtml(b, svgs)).join('\n')}\n</section>`;
}

/**
 * The complete page. `svgs` maps each chart to its rendered SVG (already id-scoped).
 * @example const page = renderHtml(doc, svgs, { source: 'out/study' });
 */
export function renderHtml(doc: ReportDocument, svgs: ReadonlyMap<Chart, string>, opts: { source: string }): string {
  const toc = doc.sections.map((s) => `<li${s.level === 3 ? ' class="sub"' : ''}><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(doc.title)}</h1>
<p class="meta">Generated ${escapeHtml(doc.generated)} by <code>rewarddance report</code> from <code>${escapeHtml(opts.source)}</code>. Our numbers are read from the files there; published figures are labelled "paper".</p>
<nav><ul>${toc}</ul></nav>
</header>
<main>
${doc.sections.map((s) => sectionHtml(s, svgs)).join('\n')}
</main>
<footer><p class="meta">Paper figures: ${escapeHtml(PAPER_CITATION)}. Charts: Vega-Lite rendered to SVG in Node.</p></footer>
</body>
</html>
`;
}
