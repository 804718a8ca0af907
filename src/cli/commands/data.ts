/**
 * `rewarddance data import|export|stats`: thin shells over importDataset, exportSft and
 * datasetStats (src/data). Human-readable summaries by default, one JSON object with --json.
 */
import { Command, Option } from 'commander';
import { ConfigError } from '../../errors.js';
import { COT_MODES, type CotMode } from '../../rewards/types.js';
import { SPLITS, TASKS, type Split, type Task } from '../../data/manifest.js';
import { LAYOUTS, type Layout } from '../../data/import/columns.js';
import { IMPORT_FORMATS, type ImportFormat } from '../../data/import/sources.js';
import { importDataset, type TiePolicy } from '../../data/import/import.js';
import { EXPORT_FORMATS, exportSft, type ExportFormat, type MediaPolicy, type OrderPolicy, type ShareGptStyle } from '../../data/export/sft.js';
import { datasetStats, formatStats } from '../../data/stats.js';
import { action, intOption, printJson, progress } from '../run.js';

interface ImportFlags {
  format: ImportFormat;
  out: string;
  columns?: string;
  layout?: Layout;
  ties: TiePolicy;
  criteria?: string;
  task?: Task;
  split?: Split;
  csv?: string;
  strict?: boolean;
  force?: boolean;
  limit?: string;
  json?: boolean;
}

interface ExportFlags {
  format: ExportFormat;
  data: string;
  out: string;
  name?: string;
  orders: OrderPolicy;
  cot: CotMode;
  style: ShareGptStyle;
  media: MediaPolicy;
  split?: Split;
  json?: boolean;
}

/** Records listed in the human summary (the report file and --json have them all, up to its cap). */
const SUMMARY_LISTED = 10;

export function register(program: Command): void {
  const data = program.command('data').description('import preference datasets, export SFT sets for LLaMA-Factory / ms-swift, dataset statistics');

  data
    .command('import')
    .description('import preference data (JSONL, Parquet in the Hugging Face layout, or an image folder with a CSV) into a pair manifest')
    .argument('<source>', 'a .jsonl file, a .parquet file or folder of shards, or an image folder (relative media paths resolve against the source file\'s folder)')
    .addOption(new Option('--format <format>', 'source format').choices(IMPORT_FORMATS).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output dataset folder (manifest.jsonl, media/, import-report.json)')
    .option('--columns <spec>', 'map fields to columns: field=column,... (fields: prompt, chosen, rejected, image0, image1, label, images, ranks, image, group, id, criteria, task, rationale, split, tag, tie, condition)')
    .addOption(new Option('--layout <layout>', 'how rows make pairs (default: from the columns)').choices(LAYOUTS))
    .addOption(new Option('--ties <policy>', 'keep ties (tie: true) or drop them').choices(['keep', 'drop']).default('drop'))
    .option('--criteria <text>', 'criteria for records without a criteria column (default alignment,quality)')
    .addOption(new Option('--task <task>', 'task for records without a task column (default: t2v for videos, else t2i)').choices(TASKS))
    .addOption(new Option('--split <split>', 'split for records without a split column').choices(SPLITS))
    .option('--csv <file>', 'folder format: the preferences CSV (default: the one .csv in the folder)')
    .option('--strict', 'stop at the first bad record instead of skipping it')
    .option('--force', 'replace a manifest already in --out')
    .option('--limit <rows>', 'read at most this many source rows (try a large dataset on a slice)')
    .option('--json', 'print the import report as one JSON object')
    .action(
      action(async (source: string, f: ImportFlags) => {
        let bar: ReturnType<typeof progress> | null = null;
        const report = await importDataset({
          format: f.format,
          source,
          out: f.out,
          ties: f.ties,
          ...(f.columns !== undefined ? { columns: f.columns } : {}),
          ...(f.layout ? { layout: f.layout } : {}),
          ...(f.criteria !== undefined ? { criteria: f.criteria } : {}),
          ...(f.task ? { task: f.task } : {}),
          ...(f.split ? { split: f.split } : {}),
          ...(f.csv !== undefined ? { csv: f.csv } : {}),
          strict: f.strict === true,
          force: f.force === true,
          ...(f.limit !== undefined ? { limit: intOption('limit', f.limit, 0, 1) } : {}),
          onRow: (_done, total) => {
            bar ??= progress('import', total, { quiet: f.json === true });
            bar.tick();
          },
        });
        (bar as ReturnType<typeof progress> | null)?.stop();
        if (f.json) return printJson(report);
        const lines = [
          `imported ${report.pairs} pairs from ${report.rows} records (${report.layout} layout) -> ${report.manifest}`,
          `columns: ${Object.entries(report.columns).map(([k, v]) => `${k}=${v}`).join(', ')}`,
          `ties: ${report.ties.kept} kept, ${report.ties.dropped} dropped; duplicates: ${report.duplicates.count}; media files: ${report.media.files}`,
          `skipped: ${report.skipped.count}`,
          ...report.skipped.records.slice(0, SUMMARY_LISTED).map((s) => `  ${s.where}: ${s.reason}`),
          ...(report.skipped.count > SUMMARY_LISTED ? [`  ... (all listed in import-report.json)`] : []),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );

  data
    .command('export')
    .description('export pairs as pairwise yes/no SFT samples (RewardDance prompt) for LLaMA-Factory or ms-swift')
    .addOption(new Option('--format <format>', 'target framework').choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption('--data <dir>', 'dataset folder holding manifest.jsonl')
    .requiredOption('--out <dir>', 'output folder')
    .option('--name <name>', 'dataset name (file name and dataset_info key)', 'rewarddance_pairwise')
    .addOption(new Option('--orders <orders>', 'both orders of each pair (position balance) or one, alternating yes/no').choices(['both', 'one']).default('both'))
    .addOption(new Option('--cot <mode>', 'answer layout; rationales are used unless off').choices(COT_MODES).default('off'))
    .addOption(new Option('--style <style>', 'LLaMA-Factory ShareGPT spelling').choices(['messages', 'conversations']).default('messages'))
    .addOption(new Option('--media <policy>', 'copy media into OUT/media (relative paths) or point at the originals by absolute path').choices(['copy', 'absolute']).default('copy'))
    .addOption(new Option('--split <split>', 'export only this split').choices(SPLITS))
    .option('--json', 'print the export report as one JSON object')
    .action(
      action(async (f: ExportFlags) => {
        if (f.format === 'swift' && f.style === 'conversations') throw new ConfigError('--style conversations is for --format llamafactory; ms-swift reads messages');
        const report = await exportSft({ format: f.format, data: f.data, out: f.out, orders: f.orders, cot: f.cot, style: f.style, media: f.media, ...(f.name ? { name: f.name } : {}), ...(f.split ? { split: f.split } : {}) });
        if (f.json) return printJson(report);
        process.stdout.write(
          `exported ${report.samples} samples (${report.yes} yes, ${report.no} no) from ${report.pairs} pairs, ${report.skippedTies} ties skipped, ${report.media} media\n` + report.files.map((p) => `  ${p}\n`).join(''),
        );
      }),
    );

  data
    .command('stats')
    .description('counts per task, criterion, tag, split and source, label balance, image sizes')
    .argument('<manifest>', 'dataset folder or its manifest.jsonl')
    .option('--no-media', 'do not read media headers (faster on large sets)')
    .option('--json', 'print one JSON object')
    .action(
      action(async (manifest: string, f: { media: boolean; json?: boolean }) => {
        const s = await datasetStats(manifest, { media: f.media });
        if (f.json) return printJson(s);
        process.stdout.write(formatStats(s));
      }),
    );
}
