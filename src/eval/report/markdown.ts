/**
 * Renders a ReportDocument as a Markdown summary for terminals and pull requests: the same
 * sections and tables as the HTML page, charts as links to PNG files beside it (when
 * rendered), and image grids as one line each pointing at the HTML page.
 */
import type { Block, ReportDocument, Table } from './document.js';
import { PAPER_CITATION } from '../paper.js';
import type { Chart } from './charts.js';

/**
 * Escapes a table cell (pipes, newlines) for GitHub-flavoured Markdown.
 * @example mdCell('a|b'); // 'a\\|b'
 */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function tableMd(t: Table): string {
  const head = `| ${t.header.map(mdCell).join(' | ')} |`;
  const rule = `|${t.header.map(() => '---').join('|')}|`;
  const rows = t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`);
  return [`*${t.caption}*`, '', head, rule, ...rows].join('\n');
}

function blockMd(b: Block, pngs: ReadonlyMap<Chart, string>, htmlName: string): string {
  switch (b.kind) {
    case 'text':
      return `${b.label ? `${b.label} ` : ''}${b.code ? `\`${b.text.replace(/`/g, "'")}\`` : b.text}`;
    case 'table':
      return tableMd(b.table);
    case 'pair':
      return `${blockMd(b.left, pngs, htmlName)}\n\n${blockMd(b.right, pngs, htmlName)}`;
    case 'chart': {
      const png = pngs.get(b.chart);
      return png ? `![${b.chart.title}](${encodeURI(png)})\n\n${b.chart.caption}` : `*Chart "${b.chart.title}" is in [${htmlName}](${encodeURI(htmlName)}).*`;
    }
    case 'grid': {
      const g = b.grid;
      return `**${g.title}**${g.step === undefined ? '' : ` (step ${g.step})`}: ${g.images.length} image(s), shown in [${htmlName}](${encodeURI(htmlName)}).`;
    }
  }
}

/**
 * The Markdown summary. `pngs` maps each chart to its PNG path relative to the Markdown file.
 * @example const md = renderMarkdown(doc, pngs, { source: 'out/study', htmlName: 'report.html' });
 */
export function renderMarkdown(doc: ReportDocument, pngs: ReadonlyMap<Chart, string>, opts: { source: string; htmlName: string }): string {
  const parts: string[] = [
    `# ${doc.title}`,
    `Generated ${doc.generated} by \`rewarddance report\` from \`${opts.source}\`; full page with charts and images: [${opts.htmlName}](${encodeURI(opts.htmlName)}). Published figures are labelled "paper".`,
  ];
  for (const s of doc.sections) {
    parts.push(`${'#'.repeat(s.level)} ${s.title}`);
    for (const b of s.blocks) parts.push(blockMd(b, pngs, opts.htmlName));
  }
  parts.push(`---\nPaper figures: ${PAPER_CITATION}.`);
  return parts.join('\n\n') + '\n';
}
