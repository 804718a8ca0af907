/**
 * File helpers: atomic writes (temp file in the same folder, fsync, rename) so that a killed
 * process never leaves a half-written checkpoint, dataset or report in place.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, readFileSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { InputError } from '../errors.js';

let counter = 0;

/** A temp path beside `path` (same folder, so rename is atomic). */
export function tempPathFor(path: string): string {
  counter++;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`);
}

/**
 * Writes `data` to `path` atomically: the file is either the old one or the complete new one.
 * @example writeFileAtomic('out/manifest.jsonl', lines.join('\n'));
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Writes a JSON value (pretty, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Reads and parses a JSON file, with an InputError that names the file on failure. */
export function readJson(path: string): unknown {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Parses JSONL text; a malformed line is an InputError with its 1-based line number.
 * Blank lines are skipped.
 */
export function parseJsonl(text: string, source: string): unknown[] {
  const out: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      throw new InputError(`${source}:${i + 1}: malformed JSON line (${(err as Error).message})`);
    }
  }
  return out;
}

/** Reads a JSONL file (see parseJsonl). */
export function readJsonl(path: string): unknown[] {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  return parseJsonl(readFileSync(path, 'utf8'), path);
}

/** JSONL text from values (one per line, trailing newline). */
export function toJsonl(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join('\n') + (values.length ? '\n' : '');
}
