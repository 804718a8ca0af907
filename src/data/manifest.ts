/**
 * rewarddance's pair manifest: `manifest.jsonl` in a dataset folder, one preference pair a
 * line, media paths relative to that folder. Written by `world pairs` and `data import`, read
 * by training, evaluation, `data export` and `data stats`.
 */
import { join, dirname, isAbsolute } from 'node:path';
import { InputError } from '../errors.js';
import { readJsonl, toJsonl, writeFileAtomic } from '../util/fs.js';
import type { GenevalMetadata, GenevalTag } from '../world/types.js';

/** Generation tasks. */
export const TASKS = ['t2i', 't2v', 'i2v'] as const;
export type Task = (typeof TASKS)[number];

/** The criteria the world's pairs are labelled by; remote models may take free text. */
export const CRITERIA = ['alignment', 'quality', 'motion', 'consistency'] as const;
export type Criterion = (typeof CRITERIA)[number];

/** Dataset splits: train, in-domain test, out-of-domain test. */
export const SPLITS = ['train', 'id', 'ood'] as const;
export type Split = (typeof SPLITS)[number];

/** One preference pair. Media paths are relative to the manifest's folder. */
export interface PairRecord {
  readonly id: string;
  readonly task: Task;
  readonly prompt: string;
  /** A criterion name or free-text criteria. */
  readonly criteria: string;
  /** Preferred media: a PNG/JPEG/WebP path; for video a PNG strip of `frames` frames or a GIF/MP4. */
  readonly chosen: string;
  readonly rejected: string;
  /** Frames per video (strips are `frames` equal frames side by side). */
  readonly frames?: number;
  /** First-frame condition image for i2v. */
  readonly condition?: string;
  /** Why chosen beats rejected (CoT training target). */
  readonly rationale?: string;
  readonly tag?: GenevalTag;
  readonly metadata?: GenevalMetadata;
  readonly split?: Split;
  /** Where the pair came from (world, an imported dataset, a generator). */
  readonly source?: string;
  /** True when the pair is a tie (imported data may keep ties). */
  readonly tie?: boolean;
}

const REQUIRED = ['id', 'task', 'prompt', 'criteria', 'chosen', 'rejected'] as const;

/** Checks one parsed line; throws InputError naming the line and the field. */
export function validatePair(value: unknown, where: string): PairRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a JSON object`);
  const v = value as Record<string, unknown>;
  for (const k of REQUIRED) {
    if (typeof v[k] !== 'string' || v[k] === '') throw new InputError(`${where}: field '${k}' must be a non-empty string`);
  }
  if (!(TASKS as readonly string[]).includes(v.task as string)) throw new InputError(`${where}: task must be one of ${TASKS.join(', ')}, got ${JSON.stringify(v.task)}`);
  if (v.frames !== undefined && (typeof v.frames !== 'number' || !Number.isInteger(v.frames) || v.frames < 1)) {
    throw new InputError(`${where}: frames must be a positive integer`);
  }
  if (v.split !== undefined && !(SPLITS as readonly string[]).includes(v.split as string)) {
    throw new InputError(`${where}: split must be one of ${SPLITS.join(', ')}, got ${JSON.stringify(v.split)}`);
  }
  return v as unknown as PairRecord;
}

/** Reads and validates `manifest.jsonl` (pass the file or its folder). */
export function readManifest(pathOrDir: string): { dir: string; pairs: PairRecord[] } {
  const file = pathOrDir.endsWith('.jsonl') ? pathOrDir : join(pathOrDir, 'manifest.jsonl');
  const rows = readJsonl(file);
  return { dir: dirname(file), pairs: rows.map((r, i) => validatePair(r, `${file}:${i + 1}`)) };
}

/** Writes `manifest.jsonl` atomically into `dir`. */
export function writeManifest(dir: string, pairs: readonly PairRecord[]): string {
  const file = join(dir, 'manifest.jsonl');
  writeFileAtomic(file, toJsonl(pairs));
  return file;
}

/** Resolves a media path from a manifest against its folder. */
export function resolveMedia(dir: string, p: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}
