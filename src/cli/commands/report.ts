/**
 * `rewarddance report DIR`: writes a self-contained HTML report (charts, sample grids, tables
 * beside the paper's published figures) and a Markdown summary for a study, RL run or demo
 * output dir. A thin shell over writeReport.
 */
import type { Command } from 'commander';
import { writeReport } from '../../eval/report/index.js';
import { action, printJson } from '../run.js';

interface ReportFlags {
  out?: string;
  title?: string;
  png?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('write an HTML report and a Markdown summary for a study, RL run or demo dir')
    .argument('<dir>', 'output dir of `rewarddance study`, `rewarddance demo` or an RL run')
    .option('--out <file>', 'HTML file to write (default DIR/report.html; the .md goes beside it)')
    .option('--title <text>', 'page title')
    .option('--no-png', 'skip the PNG copies of the charts used by the Markdown summary')
    .option('--json', 'print {html, markdown, charts, images} as JSON')
    .action(
      action(async (dir: string, opts: ReportFlags) => {
        const r = await writeReport(dir, {
          ...(opts.out ? { out: opts.out } : {}),
          ...(opts.title ? { title: opts.title } : {}),
          png: opts.png !== false,
        });
        if (opts.json) return printJson({ html: r.html, markdown: r.markdown, charts: r.charts, images: r.images });
        process.stdout.write(`${r.html}\n${r.markdown}\n`);
      }),
    );
}
