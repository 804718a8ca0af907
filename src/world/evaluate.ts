/**
 * GenEval-style scoring of media on disk with the oracle: a pair manifest (chosen and
 * rejected sides) or a samples.jsonl from `world sample`. Overall = mean of per-tag accuracy.
 * Videos with motion clauses are scored by the video oracle (every frame and every motion
 * clause must hold).
 */
import { readFileSync } from 'node:fs';
import { decodePng, mediaFrames, stripToFrames, videoMedia, imageMedia, type Media } from '../data/image.js';
import { readManifest, resolveMedia } from '../data/manifest.js';
import { InputError } from '../errors.js';
import { readJsonl } from '../util/fs.js';
import { validateMetadata } from './geneval.js';
import { analyzeImage, scoreMetadata } from './oracle.js';
import { scoreVideo, type VideoScore } from './video-oracle.js';
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

/** Whether media satisfies metadata: an image directly, a video record by the video oracle, other videos on their last frame. */
function correct(m: Media, meta: GenevalMetadata): boolean {
  if (m.kind === 'video' && meta.motion) return scoreVideo(m, meta).correct;
  const frames = mediaFrames(m);
  return scoreMetadata(frames[frames.length - 1]!, meta).correct;
}

/** The image oracle's quality score (of the last frame of other media). */
function imageQuality(m: Media): number {
  const frames = mediaFrames(m);
  return analyzeImage(frames[frames.length - 1]!).quality.score;
}

/** Whether the oracle prefers the chosen video under a criterion (alignment: share of frames right). */
function videoPrefers(c: VideoScore, r: VideoScore, criterion: string): boolean {
  if (criterion === 'motion') return c.motion > r.motion;
  if (criterion === 'consistency') return c.consistency.score > r.consistency.score;
  if (criterion === 'quality') return c.quality > r.quality;
  return c.alignment > r.alignment || (c.alignment === r.alignment && c.motion > r.motion);
}

/** Frame count of a video pair's strips; an InputError when a video record has none. */
function framesOf(p: { task: string; frames?: number }, where: string): number | undefined {
  if (p.task === 't2i') return p.frames;
  if (!p.frames || p.frames < 2) throw new InputError(`${where}: a ${p.task} record needs 'frames' (at least 2) to split its PNG strip into frames, got ${JSON.stringify(p.frames)}`);
  return p.frames;
}

/**
 * Scores a pair manifest or a samples.jsonl with the oracle.
 * @example oracleReport('data/id/manifest.jsonl').overall
 */
export function oracleReport(path: string): TagScores & { rejected?: TagScores; labelAgreement?: number; labelAgreementByCriterion?: Record<string, number> } {
  if (path.endsWith('samples.jsonl')) {
    const dir = path.slice(0, -'samples.jsonl'.length);
    const rows = readJsonl(path).map((r, i) => {
      const v = r as { file?: string; frames?: number; metadata?: unknown };
      if (typeof v.file !== 'string') throw new InputError(`${path}:${i + 1}: 'file' must be a media path`);
      const meta = validateMetadata(v.metadata, `${path}:${i + 1}: metadata`);
      return { file: v.file, frames: framesOf({ task: meta.motion ? 't2v' : 't2i', frames: v.frames }, `${path}:${i + 1}`), meta };
    });
    return tagScores(rows.map((r) => ({ tag: r.meta.tag, correct: correct(readMedia(resolveMedia(dir, r.file), r.frames), r.meta) })));
  }
  const { dir, pairs } = readManifest(path);
  const good: { tag: string; correct: boolean }[] = [];
  const bad: { tag: string; correct: boolean }[] = [];
  let agree = 0;
  const byCrit: Record<string, [number, number]> = {};
  pairs.forEach((p, i) => {
    const where = `${path}:${i + 1}`;
    if (!p.metadata) throw new InputError(`${where}: pair has no 'metadata'; the oracle needs GenEval metadata to score`);
    const meta = validateMetadata(p.metadata, `${where}: metadata`);
    const frames = framesOf(p, where);
    const cm = readMedia(resolveMedia(dir, p.chosen), frames);
    const rm = readMedia(resolveMedia(dir, p.rejected), frames);
    let c: boolean;
    let r: boolean;
    let ok: boolean;
    if (cm.kind === 'video' && rm.kind === 'video' && meta.motion) {
      // videos: the verdict per criterion (motion, consistency, quality, alignment) from the video oracle
      const sc = scoreVideo(cm, meta);
      const sr = scoreVideo(rm, meta);
      c = sc.correct;
      r = sr.correct;
      ok = videoPrefers(sc, sr, p.criteria);
    } else {
      c = correct(cm, meta);
      r = correct(rm, meta);
      // quality pairs show the same scene on both sides (both may be correct): the oracle's quality score decides
      ok = p.criteria === 'quality' ? imageQuality(cm) > imageQuality(rm) : c && !r;
    }
    good.push({ tag: meta.tag, correct: c });
    bad.push({ tag: meta.tag, correct: r });
    if (ok) agree++;
    const k = (byCrit[p.criteria] ??= [0, 0]);
    k[0] += ok ? 1 : 0;
    k[1]++;
  });
  const labelAgreementByCriterion = Object.fromEntries(Object.entries(byCrit).sort().map(([k, [a, n]]) => [k, a / n]));
  return { ...tagScores(good), rejected: tagScores(bad), labelAgreement: pairs.length ? agree / pairs.length : 0, labelAgreementByCriterion };
}
