/**
 * Row sources for preference imports: JSONL files, Parquet files or folders of Parquet shards
 * (Hugging Face datasets layout, read with hyparquet), and image folders with a CSV. Each
 * yields plain row objects with a `where` label ("file.parquet row 12") for messages.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ConfigError, InputError } from '../../errors.js';
import { parseCsv } from './csv.js';

/** Import formats. */
export const IMPORT_FORMATS = ['jsonl', 'parquet', 'folder'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One source row, or the reason it could not be read (a malformed JSONL line). */
export type SourceRow = { readonly where: string; readonly row: Record<string, unknown>; readonly baseDir: string } | { readonly where: string; readonly error: string };

/** Rows with the column names they may hold and the folder relative media paths resolve against. */
export interface RowSource {
  readonly columns: string[];
  /** Total rows when known up front (progress). */
  readonly total: number;
  rows(wanted: readonly string[]): AsyncIterable<SourceRow> | Iterable<SourceRow>;
}

/** Rows read from Parquet at once: bounds memory when rows hold image bytes. */
export const PARQUET_ROW_CHUNK = 256;

/** Reads a JSONL file; a malformed line becomes a SourceRow with an error, not a failure. */
export function jsonlSource(path: string): RowSource {
  if (!existsSync(path) || !statSync(path).isFile()) throw new InputError(`${path}: no such JSONL file`);
  const name = basename(path);
  const dir = dirname(resolve(path));
  const parsed: SourceRow[] = [];
  const columns = new Set<string>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '') return;
      const where = `${name}:${i + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        parsed.push({ where, error: `malformed JSON (${(err as Error).message})` });
        return;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        parsed.push({ where, error: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}` });
        return;
      }
      for (const k of Object.keys(value)) columns.add(k);
      parsed.push({ where, row: value as Record<string, unknown>, baseDir: dir });
    });
  return {
    columns: [...columns],
    total: parsed.length,
    rows: () => parsed,
  };
}

/** The Parquet files of a source: the file itself, or every `*.parquet` under a folder, sorted. */
function parquetFiles(path: string): string[] {
  if (!existsSync(path)) throw new InputError(`${path}: no such Parquet file or folder`);
  if (statSync(path).isFile()) return [path];
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.parquet')) files.push(join(d, e.name));
    }
  };
  walk(path);
  if (files.length === 0) throw new InputError(`${path}: the folder holds no .parquet files`);
  return files;
}

interface OpenParquet {
  readonly path: string;
  readonly name: string;
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
}

async function openParquet(path: string): Promise<OpenParquet> {
  const file = await asyncBufferFromFile(path);
  try {
    const metadata = await parquetMetadataAsync(file);
    return { path, name: basename(path), file, metadata };
  } catch (err) {
    throw new InputError(`${path}: not a readable Parquet file (corrupt or truncated?): ${(err as Error).message}; re-download or re-export it`);
  }
}

/** Top-level column names from the flat schema list (root first, then depth-first children). */
function topLevelColumns(meta: FileMetaData): string[] {
  const names: string[] = [];
  const [root, ...rest] = meta.schema;
  let i = 0;
  const skip = (): void => {
    const el = rest[i++]!;
    for (let c = 0; c < (el.num_children ?? 0); c++) skip();
  };
  for (let c = 0; c < (root?.num_children ?? 0); c++) {
    names.push(rest[i]!.name);
    skip();
  }
  return names;
}

/**
 * Reads Parquet (one file or a folder of shards) with hyparquet: `utf8: false` keeps binary
 * image columns as bytes (strings annotated UTF8 still decode), all codecs from
 * hyparquet-compressors. A corrupt file is an InputError naming the file and rows.
 */
export async function parquetSource(path: string): Promise<RowSource> {
  const opened: OpenParquet[] = [];
  for (const f of parquetFiles(path)) opened.push(await openParquet(f));
  const columns = topLevelColumns(opened[0]!.metadata);
  for (const o of opened.slice(1)) {
    const cols = topLevelColumns(o.metadata);
    if (cols.join('\u0000') !== columns.join('\u0000')) throw new InputError(`${o.path}: columns (${cols.join(', ')}) differ from ${opened[0]!.name}'s (${columns.join(', ')}); import the shards separately`);
  }
  return {
    columns,
    total: opened.reduce((s, o) => s + Number(o.metadata.num_rows), 0),
    rows: async function* (wanted) {
      for (const o of opened) {
        const baseDir = dirname(resolve(o.path));
        const n = Number(o.metadata.num_rows);
        for (let start = 0; start < n; start += PARQUET_ROW_CHUNK) {
          const end = Math.min(n, start + PARQUET_ROW_CHUNK);
          let rows: Record<string, unknown>[];
          try {
            rows = await parquetReadObjects({ file: o.file, metadata: o.metadata, compressors, utf8: false, rowStart: start, rowEnd: end, columns: [...wanted] });
          } catch (err) {
            throw new InputError(`${o.path}: rows ${start}-${end - 1} could not be read (corrupt Parquet page?): ${(err as Error).message}; re-download or re-export the file`);
          }
          for (let k = 0; k < rows.length; k++) yield { where: `${o.name} row ${start + k}`, row: rows[k]!, baseDir };
        }
      }
    },
  };
}

/**
 * Reads an image folder with a preference CSV: `csv` names it (relative to the folder), else
 * the folder must hold exactly one `*.csv`. Media paths in the CSV are relative to the folder.
 */
export function folderSource(dir: string, csv?: string): RowSource {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir}: no such folder; --format folder takes a folder of images with a preferences CSV`);
  let csvPath: string;
  if (csv !== undefined) csvPath = resolve(dir, csv);
  else {
    const found = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.csv'));
    if (found.length !== 1) throw new ConfigError(`${dir}: expected exactly one .csv of preferences in the folder, found ${found.length === 0 ? 'none' : found.join(', ')}; name it with --csv FILE`);
    csvPath = join(dir, found[0]!);
  }
  if (!existsSync(csvPath)) throw new InputError(`${csvPath}: no such CSV file`);
  const name = basename(csvPath);
  const { header, rows } = parseCsv(readFileSync(csvPath, 'utf8'), csvPath);
  const base = resolve(dir);
  return {
    columns: header,
    total: rows.length,
    rows: () => rows.map((r) => ({ where: `${name}:${r.line}`, row: r.values, baseDir: base })),
  };
}
