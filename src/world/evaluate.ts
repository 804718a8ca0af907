/**
 * GenEval-style scoring of media on disk with the oracle: a pair manifest (chosen and
 * rejected sides) or a samples.jsonl from `world sample`. Overall = mean of per-tag accuracy.
 */
import { readFileSync } from 'node:fs';
import { decodePng, mediaFrames, stripToFrames, videoMedia, imageMedia, type Media } from '../data/image.js';
import { readManifest, resolveMedia } from '../data/manifest.js';
import { InputError } from '../errors.js';
import { readJsonl } from '../util/fs.js';
import { validateMetadata } from './geneval.js';
import { scoreMetadata } from './oracle.js';
import type { GenevalMetadata } from './types.js';

/** Per-tag accuracy and their mean. */
export interface TagScores {
  readonly overall: number;
  readonly byTag: Readonly<Record<string, number>>;
  readonly n: number;
}

/** Reads a PNG (or PNG strip of `frames` frames) as media. */
export function readMedia(path: string, frames?: number): Media {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new InputError(`${path}: cannot read media file (expected a PNG written by 'world pairs' or 'world sample')`);
  }
  const img = decodePng(bytes, path);
  return frames && frames > 1 ? videoMedia(stripToFrames(img, frames, path)) : imageMedia(img);
}

/** GenEval-style scores from (tag, correct) results. */
export function tagScores(results: readonly { tag: string; correct: boolean }[]): TagScores {
  const by: Record<string, [number, number]> = {};
  for (const r of results) {
    const t = (by[r.tag] ??= [0, 0]);
    t[0] += r.correct ? 1 : 0;
    t[1]++;
  }
  const byTag = Object.fromEntries(Object.entries(by).sort().map(([k, [c, n]]) => [k, c / n]));
  const vals = Object.values(byTag);
  return { overall: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0, byTag, n: results.length };
}

/** Whether media satisfies metadata: an image directly, a video on its last frame. */
function correct(m: Media, meta: GenevalMetadata): boolean {
  const frames = mediaFrames(m);
  return scoreMetadata(frames[frames.length - 1]!, meta).correct;
}

/**
 * Scores a pair manifest or a samples.jsonl with the oracle.
 * @example oracleReport('data/id/manifest.jsonl').overall
 */
export function oracleReport(path: string): TagScores & { rejected?: TagScores; labelAgreement?: number } {
  if (path.endsWith('samples.jsonl')) {
    const dir = path.slice(0, -'samples.jsonl'.length);
    const rows = readJsonl(path).map((r, i) => {
      const v = r as { file?: string; frames?: number; metadata?: unknown };
      if (typeof v.file !== 'string') throw new InputError(`${path}:${i + 1}: 'file' must be a media path`);
      return { file: v.file, frames: v.frames, meta: validateMetadata(v.metadata, `${path}:${i + 1}: metadata`) };
    });
    return tagScores(rows.map((r) => ({ tag: r.meta.tag, correct: correct(readMedia(resolveMedia(dir, r.file), r.frames), r.meta) })));
  }
  const { dir, pairs } = readManifest(path);
  const good: { tag: string; correct: boolean }[] = [];
  const bad: { tag: string; correct: boolean }[] = [];
  let agree = 0;
  pairs.forEach((p, i) => {
    if (!p.metadata) throw new InputError(`${path}:${i + 1}: pair has no 'metadata'; the oracle needs GenEval metadata to score`);
    const meta = validateMetadata(p.metadata, `${path}:${i + 1}: metadata`);
    const c = correct(readMedia(resolveMedia(dir, p.chosen), p.frames), meta);
    const r = correct(readMedia(resolveMedia(dir, p.rejected), p.frames), meta);
    good.push({ tag: meta.tag, correct: c });
    bad.push({ tag: meta.tag, correct: r });
    if (c && !r) agree++;
  });
  return { ...tagScores(good), rejected: tagScores(bad), labelAgreement: pairs.length ? agree / pairs.length : 0 };
}
