/**
 * Dataset statistics for `rewarddance data stats`: pair counts per task, criterion, tag, split
 * and source, label balance (decided pairs vs ties, rationales), and media facts read from
 * file headers (formats, image sizes, video frame counts, missing files).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readManifest, resolveMedia } from './manifest.js';
import { probeImage } from './image.js';
import { detectFileType, isVideoType } from './media-type.js';
import { probeVideo } from './video.js';

/** Most distinct image sizes listed (the rest are summed under `other`). */
export const MAX_SIZES_LISTED = 10;
/** Missing media files listed by name. */
export const MAX_MISSING_LISTED = 10;

/** Min, max and mean of a set of numbers. */
export interface Range {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export interface MediaStats {
  /** Distinct media files the pairs point to. */
  readonly files: number;
  readonly missing: { readonly count: number; readonly files: string[] };
  readonly unreadable: number;
  readonly formats: Record<string, number>;
  /** `WxH` -> files, the most common first. */
  readonly sizes: Record<string, number>;
  readonly width: Range | null;
  readonly height: Range | null;
  /** Frames per video file (strips count their `frames`). */
  readonly videoFrames: Range | null;
}

export interface DatasetStats {
  readonly manifest: string;
  readonly pairs: number;
  readonly tasks: Record<string, number>;
  readonly criteria: Record<string, number>;
  readonly tags: Record<string, number>;
  readonly splits: Record<string, number>;
  readonly sources: Record<string, number>;
  readonly labels: { readonly decided: number; readonly ties: number; readonly tieShare: number; readonly withRationale: number };
  readonly media: MediaStats | null;
}

function count(values: readonly string[]): Record<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function range(xs: readonly number[]): Range | null {
  if (xs.length === 0) return null;
  return { min: Math.min(...xs), max: Math.max(...xs), mean: xs.reduce((s, x) => s + x, 0) / xs.length };
}

async function mediaStats(dir: string, refs: readonly { path: string; frames?: number }[]): Promise<MediaStats> {
  const distinct = new Map<string, number | undefined>();
  for (const r of refs) if (!distinct.has(r.path)) distinct.set(r.path, r.frames);
  const missing: string[] = [];
  let unreadable = 0;
  const formats: string[] = [];
  const sizes: string[] = [];
  const widths: number[] = [];
  const heights: number[] = [];
  const frames: number[] = [];
  for (const [p, stripFrames] of distinct) {
    const abs = resolveMedia(dir, p);
    if (!existsSync(abs) || !statSync(abs).isFile()) {
      missing.push(p);
      continue;
    }
    try {
      const type = detectFileType(abs);
      let w: number;
      let h: number;
      if (type !== null && isVideoType(type) && type !== 'gif') {
        const v = await probeVideo(abs);
        [w, h] = [v.width, v.height];
        frames.push(v.frames);
      } else {
        const img = await probeImage(readFileSync(abs), abs);
        [w, h] = [img.width, img.height];
        if (stripFrames !== undefined && stripFrames > 1) {
          w = Math.floor(w / stripFrames); // a strip: report the frame size
          frames.push(stripFrames);
        }
      }
      formats.push(type ?? 'unknown');
      sizes.push(`${w}x${h}`);
      widths.push(w);
      heights.push(h);
    } catch {
      unreadable++;
    }
  }
  const sizeCounts = Object.entries(count(sizes));
  const listed = Object.fromEntries(sizeCounts.slice(0, MAX_SIZES_LISTED));
  const other = sizeCounts.slice(MAX_SIZES_LISTED).reduce((s, [, n]) => s + n, 0);
  return {
    files: distinct.size,
    missing: { count: missing.length, files: missing.slice(0, MAX_MISSING_LISTED) },
    unreadable,
    formats: count(formats),
    sizes: other > 0 ? { ...listed, other } : listed,
    width: range(widths),
    height: range(heights),
    videoFrames: range(frames),
  };
}

/**
 * Statistics of a dataset folder (or its manifest.jsonl). `media: false` skips reading media
 * headers (fast on huge sets).
 * @example const s = await datasetStats('data/pickapic'); s.labels.ties
 */
export async function datasetStats(pathOrDir: string, opts: { readonly media?: boolean } = {}): Promise<DatasetStats> {
  const { dir, pairs } = readManifest(pathOrDir);
  const ties = pairs.filter((p) => p.tie).length;
  const refs = pairs.flatMap((p) => [
    { path: p.chosen, ...(p.frames !== undefined ? { frames: p.frames } : {}) },
    { path: p.rejected, ...(p.frames !== undefined ? { frames: p.frames } : {}) },
    ...(p.condition ? [{ path: p.condition }] : []),
  ]);
  return {
    manifest: pathOrDir,
    pairs: pairs.length,
    tasks: count(pairs.map((p) => p.task)),
    criteria: count(pairs.map((p) => p.criteria)),
    tags: count(pairs.map((p) => p.tag ?? 'none')),
    splits: count(pairs.map((p) => p.split ?? 'none')),
    sources: count(pairs.map((p) => p.source ?? 'unknown')),
    labels: { decided: pairs.length - ties, ties, tieShare: pairs.length ? ties / pairs.length : 0, withRationale: pairs.filter((p) => p.rationale).length },
    media: opts.media === false ? null : await mediaStats(dir, refs),
  };
}

function table(title: string, m: Record<string, number>, total: number): string {
  const rows = Object.entries(m).map(([k, n]) => `  ${k.padEnd(28)} ${String(n).padStart(8)}  ${total ? ((100 * n) / total).toFixed(1).padStart(5) : '  0.0'}%`);
  return `${title}\n${rows.join('\n')}\n`;
}

/** The stats as plain text for the terminal. */
export function formatStats(s: DatasetStats): string {
  let text = `${s.manifest}: ${s.pairs} pairs\n`;
  text += table('tasks', s.tasks, s.pairs) + table('criteria', s.criteria, s.pairs) + table('tags', s.tags, s.pairs) + table('splits', s.splits, s.pairs) + table('sources', s.sources, s.pairs);
  text += `labels\n  decided ${s.labels.decided}, ties ${s.labels.ties} (${(100 * s.labels.tieShare).toFixed(1)}%), with rationale ${s.labels.withRationale}\n`;
  if (s.media) {
    const m = s.media;
    const r = (x: Range | null): string => (x ? `${x.min}..${x.max} (mean ${x.mean.toFixed(1)})` : '-');
    text += `media\n  ${m.files} files, ${m.missing.count} missing${m.missing.count ? ` (${m.missing.files.join(', ')})` : ''}, ${m.unreadable} unreadable\n`;
    text += `  formats: ${Object.entries(m.formats).map(([k, n]) => `${k} ${n}`).join(', ') || '-'}\n`;
    text += `  width ${r(m.width)}, height ${r(m.height)}, video frames ${r(m.videoFrames)}\n`;
    text += table('image sizes', m.sizes, m.files - m.missing.count - m.unreadable);
  }
  return text;
}
