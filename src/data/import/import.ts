/**
 * `importDataset`: preference data (JSONL, Parquet, image folder + CSV) into rewarddance's
 * pair manifest. Every record is validated; bad ones are skipped with their reason (or stop
 * the import under `strict`), duplicates are dropped and reported, ties kept or dropped. The
 * manifest and `import-report.json` are written atomically at the end, after all media.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError, InputError, errorMessage } from '../../errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { GENEVAL_TAGS } from '../../world/types.js';
import { SPLITS, TASKS, validatePair, writeManifest, type PairRecord, type Split, type Task } from '../manifest.js';
import type { DecodeLimits } from '../image.js';
import { parseColumnSpec, resolveColumns, type ColumnMap, type Field, type Layout } from './columns.js';
import { MediaStore, absolutizeCell, type StoredMedia } from './media-store.js';
import { RankingGroups, cellString, rowPairs, type CandidatePair } from './pairs.js';
import { folderSource, jsonlSource, parquetSource, type ImportFormat, type RowSource } from './sources.js';

/** Criteria given to imported pairs that name none: human preference data judges overall. */
export const DEFAULT_IMPORT_CRITERIA = 'alignment,quality';

/** Skipped and duplicate records listed in the report (counts stay exact beyond it). */
export const MAX_LISTED = 1000;

/** What to do with ties (equal ranks, label 0.5, a tie column). */
export type TiePolicy = 'keep' | 'drop';

export interface ImportOptions {
  readonly format: ImportFormat;
  /** A file (jsonl, parquet), a folder of Parquet shards, or an image folder (folder). */
  readonly source: string;
  readonly out: string;
  /** `field=column,...` or an already parsed mapping. */
  readonly columns?: string | ColumnMap;
  readonly layout?: Layout;
  /** Default drop. Kept ties get `tie: true` in the manifest. */
  readonly ties?: TiePolicy;
  /** Criteria for records without a criteria column (default DEFAULT_IMPORT_CRITERIA). */
  readonly criteria?: string;
  /** Task for records without a task column; otherwise t2v when media are videos, else t2i. */
  readonly task?: Task;
  /** Split for records without a split column. */
  readonly split?: Split;
  /** The folder format's CSV (relative to the folder). */
  readonly csv?: string;
  /** Stop at the first bad record instead of skipping it. */
  readonly strict?: boolean;
  /** Read at most this many source rows (try a huge dataset on a slice first). */
  readonly limit?: number;
  /** Replace a manifest already in `out`. */
  readonly force?: boolean;
  readonly limits?: DecodeLimits;
  /** Called after each source row. */
  readonly onRow?: (done: number, total: number) => void;
}

/** A record that did not become a pair, and why. */
export interface SkippedRecord {
  readonly where: string;
  readonly reason: string;
}

export interface ImportReport {
  readonly source: string;
  readonly format: ImportFormat;
  readonly layout: Layout;
  readonly columns: ColumnMap;
  readonly manifest: string;
  readonly rows: number;
  readonly pairs: number;
  readonly ties: { readonly kept: number; readonly dropped: number };
  readonly skipped: { readonly count: number; readonly records: SkippedRecord[] };
  readonly duplicates: { readonly count: number; readonly records: { readonly where: string; readonly duplicateOf: string }[] };
  readonly media: { readonly files: number; readonly images: number; readonly videos: number };
}

async function openSource(opts: ImportOptions): Promise<RowSource> {
  if (opts.format === 'jsonl') return jsonlSource(opts.source);
  if (opts.format === 'parquet') return parquetSource(opts.source);
  if (opts.format === 'folder') return folderSource(opts.source, opts.csv);
  throw new ConfigError(`unknown import format '${String(opts.format)}'; expected jsonl, parquet or folder`);
}

/** Fields that hold media (paths in them resolve against the row's file). */
const MEDIA_FIELDS: readonly Field[] = ['chosen', 'rejected', 'image0', 'image1', 'images', 'image', 'condition'];

/** A copy of the row with relative media paths made absolute. */
function absolutizeRow(row: Record<string, unknown>, map: ColumnMap, baseDir: string): Record<string, unknown> {
  const out = { ...row };
  for (const f of MEDIA_FIELDS) {
    const col = map[f];
    if (col !== undefined && col in out) out[col] = absolutizeCell(out[col], baseDir);
  }
  return out;
}

/** Columns a layout reads (others are never decoded, which matters for wide Parquet files). */
function wantedColumns(map: ColumnMap): string[] {
  return [...new Set(Object.values(map))];
}

function optionalField<T extends string>(row: Record<string, unknown>, map: ColumnMap, f: Field, allowed: readonly T[] | null, where: string): T | undefined {
  const col = map[f];
  if (col === undefined) return undefined;
  const v = cellString(row[col]);
  if (v === null) return undefined;
  if (allowed && !(allowed as readonly string[]).includes(v)) throw new InputError(`${where}: ${f} (column '${col}') is ${JSON.stringify(v)}; expected one of ${allowed.join(', ')}`);
  return v as T;
}

/**
 * Imports preference data into `opts.out/manifest.jsonl` with media under `opts.out/media/`.
 * @example const report = await importDataset({ format: 'parquet', source: 'pickapic.parquet', out: 'data/pickapic' });
 */
export async function importDataset(opts: ImportOptions): Promise<ImportReport> {
  const out = resolve(opts.out);
  if (existsSync(join(out, 'manifest.jsonl')) && !opts.force) throw new ConfigError(`${out} already holds a manifest.jsonl; choose another --out or pass --force to replace it`);
  const source = await openSource(opts);
  const spec = typeof opts.columns === 'string' || opts.columns === undefined ? parseColumnSpec(opts.columns) : opts.columns;
  const { map, layout } = resolveColumns(source.columns, spec, opts.layout, opts.source);
  const ties = opts.ties ?? 'drop';
  const store = new MediaStore(out, opts.limits);
  const pairs: PairRecord[] = [];
  const skipped: SkippedRecord[] = [];
  let skippedCount = 0;
  const duplicates: { where: string; duplicateOf: string }[] = [];
  let duplicateCount = 0;
  const seenContent = new Map<string, string>();
  const seenIds = new Set<string>();
  const tieCount = { kept: 0, dropped: 0 };
  const stored: StoredMedia[] = [];

  /** Records a skipped record; reasons that already start with `where` are not prefixed twice. */
  const skip = (where: string, reason: string): void => {
    const bare = reason.startsWith(`${where}: `) ? reason.slice(where.length + 2) : reason;
    if (opts.strict) throw new InputError(`${where}: ${bare} (--strict stops at the first bad record; leave it out to skip bad records)`);
    skippedCount++;
    if (skipped.length < MAX_LISTED) skipped.push({ where, reason: bare });
  };

  const addPair = async (c: CandidatePair): Promise<void> => {
    if (c.tie && ties === 'drop') {
      tieCount.dropped++;
      return;
    }
    const row = c.row;
    const taskCell = optionalField<Task>(row, map, 'task', TASKS, c.where) ?? opts.task;
    const videoTask = taskCell !== undefined ? taskCell !== 't2i' : false;
    const chosen = await store.put(c.chosen, `${c.where}: chosen${c.positions ? ` (media ${c.positions[0]})` : ''}`, videoTask);
    const rejected = await store.put(c.rejected, `${c.where}: rejected${c.positions ? ` (media ${c.positions[1]})` : ''}`, videoTask);
    const condCol = map.condition;
    const condition = condCol !== undefined && row[condCol] !== null && row[condCol] !== undefined && row[condCol] !== '' ? await store.put(row[condCol], `${c.where}: condition`, false) : undefined;
    if (chosen.kind !== rejected.kind) throw new InputError(`${c.where}: chosen is ${chosen.kind === 'image' ? 'an image' : 'a video'} but rejected is ${rejected.kind === 'image' ? 'an image' : 'a video'}; both sides of a pair must be the same kind`);
    if (chosen.path === rejected.path) throw new InputError(`${c.where}: chosen and rejected are the same media (${chosen.path}); a pair needs two different media`);
    const task: Task = taskCell ?? (chosen.kind === 'video' ? (condition ? 'i2v' : 't2v') : 't2i');
    if ((task === 't2i') !== (chosen.kind === 'image')) throw new InputError(`${c.where}: task ${task} does not fit ${chosen.kind} media; set the task column or --task`);
    const criteria = (map.criteria !== undefined ? cellString(row[map.criteria]) : null) ?? opts.criteria ?? DEFAULT_IMPORT_CRITERIA;
    const contentKey = [c.prompt, criteria, ...(c.tie ? [chosen.path, rejected.path].sort() : [chosen.path, rejected.path])].join('\u0000');
    const earlier = seenContent.get(contentKey);
    if (earlier !== undefined) {
      duplicateCount++;
      if (duplicates.length < MAX_LISTED) duplicates.push({ where: c.where, duplicateOf: earlier });
      return;
    }
    if (seenIds.has(c.key)) throw new InputError(`${c.where}: id '${c.key}' is already used by an earlier record; ids must be unique`);
    const rationale = map.rationale !== undefined ? cellString(row[map.rationale]) : null;
    const tag = optionalField(row, map, 'tag', GENEVAL_TAGS, c.where);
    const split = optionalField(row, map, 'split', SPLITS, c.where) ?? opts.split;
    const record: PairRecord = {
      id: c.key,
      task,
      prompt: c.prompt,
      criteria,
      chosen: chosen.path,
      rejected: rejected.path,
      ...(condition ? { condition: condition.path } : {}),
      ...(rationale !== null ? { rationale } : {}),
      ...(tag ? { tag } : {}),
      ...(split ? { split } : {}),
      source: `import:${opts.format}:${basename(opts.source)}`,
      ...(c.tie ? { tie: true } : {}),
    };
    pairs.push(validatePair(record, c.where));
    seenContent.set(contentKey, c.where);
    seenIds.add(c.key);
    stored.push(chosen, rejected, ...(condition ? [condition] : []));
    if (c.tie) tieCount.kept++;
  };

  const addAll = async (cands: readonly CandidatePair[]): Promise<void> => {
    for (const c of cands) {
      try {
        await addPair(c);
      } catch (err) {
        if (!(err instanceof InputError) || opts.strict) throw err;
        skip(c.where, errorMessage(err));
      }
    }
  };

  const groups = layout === 'ranking' && map.images === undefined ? new RankingGroups(map) : null;
  let rows = 0;
  try {
    for await (const r of source.rows(wantedColumns(map))) {
      if (opts.limit !== undefined && rows >= opts.limit) break;
      rows++;
      opts.onRow?.(rows, Math.min(source.total, opts.limit ?? Infinity));
      if ('error' in r) {
        skip(r.where, r.error);
        continue;
      }
      try {
        const row = absolutizeRow(r.row, map, r.baseDir);
        if (groups) groups.add(row, r.where);
        else await addAll(rowPairs(row, r.where, map, layout));
      } catch (err) {
        if (!(err instanceof InputError) || opts.strict) throw err;
        skip(r.where, errorMessage(err));
      }
    }
    if (groups) {
      for (const g of groups.pairs()) {
        if ('error' in g) skip(g.where, g.error);
        else await addAll(g);
      }
    }
    if (pairs.length === 0) {
      const first = skipped.slice(0, 3).map((s) => `${s.where}: ${s.reason}`).join('; ');
      throw new InputError(`${opts.source}: no pairs imported from ${rows} records (${skippedCount} skipped, ${tieCount.dropped} ties dropped, ${duplicateCount} duplicates)${first ? `; first problems: ${first}` : ''}`);
    }
  } catch (err) {
    store.prune(new Set()); // leave no media behind from a failed import
    throw err;
  }
  const keep = new Set(pairs.flatMap((p) => [p.chosen, p.rejected, ...(p.condition ? [p.condition] : [])]));
  store.prune(keep);
  const manifest = writeManifest(out, pairs);
  const kinds = new Map(stored.map((s) => [s.path, s.kind]));
  const report: ImportReport = {
    source: opts.source,
    format: opts.format,
    layout,
    columns: map,
    manifest,
    rows,
    pairs: pairs.length,
    ties: tieCount,
    skipped: { count: skippedCount, records: skipped },
    duplicates: { count: duplicateCount, records: duplicates },
    media: { files: keep.size, images: [...kinds.values()].filter((k) => k === 'image').length, videos: [...kinds.values()].filter((k) => k === 'video').length },
  };
  writeJsonAtomic(join(out, 'import-report.json'), report);
  return report;
}
