/**
 * SFT export for generative reward models trained elsewhere: each pair becomes pairwise
 * yes/no samples in the RewardDance prompt (template.ts), in LLaMA-Factory's multimodal
 * ShareGPT layout (`messages` or `conversations`, `<image>`/`<video>` placeholders, `images`
 * and `videos` lists, plus its dataset_info.json entry) or ms-swift's `messages` + `images`
 * JSONL. Both orders of each pair by default, for position balance:
 * (reference = rejected, candidate = chosen) -> "yes", (reference = chosen, candidate = rejected) -> "no".
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigError, InputError } from '../../errors.js';
import { toJsonl, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import type { CotMode } from '../../rewards/types.js';
import { readManifest, resolveMedia, type PairRecord, type Split } from '../manifest.js';
import { readImage, stripToFrames } from '../image.js';
import { detectFileType, isVideoType } from '../media-type.js';
import { writeVideo } from '../video.js';
import { TEMPLATE_VERSION, pairwiseAnswer, pairwiseInstruction } from './template.js';

export const EXPORT_FORMATS = ['llamafactory', 'swift'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `both`: two samples per pair (yes and no); `one`: one per pair, alternating yes/no by pair order. */
export type OrderPolicy = 'both' | 'one';
/** LLaMA-Factory's two ShareGPT spellings. */
export type ShareGptStyle = 'messages' | 'conversations';
/** `copy`: media hard-linked (or copied) into OUT/media, paths relative to OUT; `absolute`: paths to the originals. */
export type MediaPolicy = 'copy' | 'absolute';

/** Dataset name used for file names and the dataset_info key when none is given. */
export const DEFAULT_DATASET_NAME = 'rewarddance_pairwise';

/** Frames per second for strips converted to MP4 (the world's clips are a few frames). */
export const STRIP_FPS = 4;

export interface ExportOptions {
  readonly format: ExportFormat;
  /** Dataset folder (or its manifest.jsonl). */
  readonly data: string;
  readonly out: string;
  readonly name?: string;
  readonly orders?: OrderPolicy;
  /** Answer layout; rationales are used only when not `off` (default off). */
  readonly cot?: CotMode;
  readonly style?: ShareGptStyle;
  readonly media?: MediaPolicy;
  /** Export only pairs of this split. */
  readonly split?: Split;
}

/** One chat turn in either spelling. */
export type Turn = { readonly role: 'user' | 'assistant'; readonly content: string } | { readonly from: 'human' | 'gpt'; readonly value: string };

/** One exported sample. */
export interface SftSample {
  readonly messages?: Turn[];
  readonly conversations?: Turn[];
  readonly images?: string[];
  readonly videos?: string[];
}

export interface ExportReport {
  readonly format: ExportFormat;
  readonly templateVersion: number;
  readonly files: string[];
  readonly pairs: number;
  readonly samples: number;
  readonly yes: number;
  readonly no: number;
  readonly skippedTies: number;
  readonly withRationale: number;
  readonly media: number;
}

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

/** Places media in the export: hard link (or copy) under OUT/media, converting strips to MP4. */
class ExportMedia {
  private readonly placed = new Map<string, string>();

  constructor(
    private readonly dataDir: string,
    private readonly out: string,
    private readonly policy: MediaPolicy,
  ) {}

  get count(): number {
    return this.placed.size;
  }

  /** Where a manifest media path lives in the export (checked to exist). */
  async place(p: string, where: string, frames?: number): Promise<string> {
    const key = `${p}\u0000${frames ?? 1}`;
    const known = this.placed.get(key);
    if (known) return known;
    const src = resolveMedia(this.dataDir, p);
    if (!existsSync(src) || !statSync(src).isFile()) throw new InputError(`${where}: media file ${src} not found; re-import the dataset or fix the path in manifest.jsonl`);
    const strip = frames !== undefined && frames > 1 && !isVideoType(detectFileType(src) ?? 'png');
    let target: string;
    if (strip) {
      // A strip of frames side by side: large VLMs read video, so it becomes an MP4 of those frames.
      const rel = `media/${this.localName(p).replace(/\.[A-Za-z0-9]+$/, '')}.mp4`;
      const abs = join(this.out, rel);
      await writeVideo(abs, stripToFrames(await readImage(src), frames, src), { fps: STRIP_FPS });
      target = this.policy === 'absolute' ? abs : rel;
    } else if (this.policy === 'absolute') target = resolve(src);
    else {
      const rel = `media/${this.localName(p)}`;
      const abs = join(this.out, rel);
      if (resolve(abs) !== resolve(src)) {
        // (exporting into the dataset folder itself leaves media where they are)
        mkdirSync(dirname(abs), { recursive: true });
        rmSync(abs, { force: true });
        try {
          linkSync(src, abs);
        } catch {
          copyFileSync(src, abs); // another filesystem, or links not allowed
        }
      }
      target = rel;
    }
    this.placed.set(key, target);
    return target;
  }

  /** A path under media/ that keeps the manifest's own relative layout (imports already use media/), or a hash for paths outside it. */
  private localName(p: string): string {
    const n = normalize(p);
    if (!isAbsolute(n) && !n.startsWith('..')) return n.split(sep).join('/').replace(/^media\//, '');
    const ext = /\.[A-Za-z0-9]+$/.exec(n)?.[0] ?? '';
    return `external/${createHash('sha256').update(resolve(this.dataDir, n)).digest('hex').slice(0, 32)}${ext}`;
  }
}

function turns(style: ShareGptStyle, user: string, assistant: string): Turn[] {
  return style === 'messages'
    ? [
        { role: 'user', content: user },
        { role: 'assistant', content: assistant },
      ]
    : [
        { from: 'human', value: user },
        { from: 'gpt', value: assistant },
      ];
}

/** True when a pair's reference and candidate are videos (video files or multi-frame strips). */
function isVideoPair(p: PairRecord, dataDir: string): boolean {
  if (p.task === 't2i') return false;
  if (p.frames !== undefined && p.frames > 1) return true;
  const src = resolveMedia(dataDir, p.chosen);
  return existsSync(src) && isVideoType(detectFileType(src) ?? 'png');
}

/**
 * Builds the samples for one pair (one or two orders). Exported for tests and for callers that
 * stream samples elsewhere.
 * @example const [yes, no] = await pairSamples(pair, place, { style: 'messages', orders: 'both' }, 0, false);
 */
export async function pairSamples(
  pair: PairRecord,
  place: (p: string, frames?: number) => Promise<string>,
  opts: { readonly style: ShareGptStyle; readonly orders: OrderPolicy; readonly cot: CotMode },
  index: number,
  video: boolean,
): Promise<{ sample: SftSample; yes: boolean }[]> {
  const chosen = await place(pair.chosen, pair.frames);
  const rejected = await place(pair.rejected, pair.frames);
  const condition = pair.task === 'i2v' && pair.condition ? await place(pair.condition) : undefined;
  const task = video ? (condition ? 'i2v' : 't2v') : 't2i';
  const user = pairwiseInstruction(pair.criteria, pair.prompt, { task, cot: opts.cot });
  const orders = opts.orders === 'both' ? [true, false] : [index % 2 === 0];
  return orders.map((yes) => {
    const [reference, candidate] = yes ? [rejected, chosen] : [chosen, rejected];
    const answer = pairwiseAnswer(yes, { cot: opts.cot, ...(pair.rationale !== undefined ? { rationale: pair.rationale } : {}) });
    const images = [...(condition ? [condition] : []), ...(video ? [] : [reference, candidate])];
    const sample: SftSample = {
      [opts.style]: turns(opts.style, user, answer),
      ...(images.length ? { images } : {}),
      ...(video ? { videos: [reference, candidate] } : {}),
    };
    return { sample, yes };
  });
}

/** LLaMA-Factory's dataset_info.json entry for the exported file. */
export function llamaFactoryDatasetInfo(fileName: string, style: ShareGptStyle, hasVideos: boolean): Record<string, unknown> {
  const columns: Record<string, string> = { messages: style, images: 'images', ...(hasVideos ? { videos: 'videos' } : {}) };
  const tags = style === 'messages' ? { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' } : { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' };
  return { file_name: fileName, formatting: 'sharegpt', columns, tags };
}

/**
 * Exports a dataset's pairs as SFT samples for LLaMA-Factory or ms-swift into `opts.out`.
 * Ties are skipped (a tie has no yes/no answer). Writes `export-report.json` too.
 * @example await exportSft({ format: 'llamafactory', data: 'data/pickapic', out: 'sft/pickapic' });
 */
export async function exportSft(opts: ExportOptions): Promise<ExportReport> {
  const name = opts.name ?? DEFAULT_DATASET_NAME;
  if (!NAME_RE.test(name)) throw new ConfigError(`--name must be letters, digits, '_', '-' or '.', got '${name}'`);
  const style: ShareGptStyle = opts.format === 'swift' ? 'messages' : (opts.style ?? 'messages');
  if (opts.format === 'swift' && opts.style === 'conversations') throw new ConfigError(`ms-swift export writes 'messages'; --style conversations is for llamafactory`);
  const cot = opts.cot ?? 'off';
  const orders = opts.orders ?? 'both';
  const { dir, pairs: all } = readManifest(opts.data);
  const pairs = opts.split ? all.filter((p) => p.split === opts.split) : all;
  if (pairs.length === 0) throw new InputError(`${opts.data}: no pairs to export${opts.split ? ` in split '${opts.split}' (splits there: ${[...new Set(all.map((p) => p.split ?? 'none'))].join(', ')})` : ''}`);
  const out = resolve(opts.out);
  const media = new ExportMedia(dir, out, opts.media ?? 'copy');
  const samples: SftSample[] = [];
  let yes = 0;
  let skippedTies = 0;
  let withRationale = 0;
  let hasVideos = false;
  let index = 0;
  for (const [k, pair] of all.entries()) {
    if (opts.split && pair.split !== opts.split) continue;
    if (pair.tie) {
      skippedTies++;
      continue;
    }
    const where = `${join(dir, 'manifest.jsonl')}:${k + 1} (pair '${pair.id}')`;
    const video = isVideoPair(pair, dir);
    hasVideos ||= video;
    const made = await pairSamples(pair, (p, frames) => media.place(p, where, frames), { style, orders, cot }, index++, video);
    for (const m of made) {
      samples.push(m.sample);
      if (m.yes) yes++;
    }
    if (cot !== 'off' && pair.rationale) withRationale++;
  }
  if (samples.length === 0) throw new InputError(`${opts.data}: every selected pair is a tie (${skippedTies}); ties have no yes/no answer, so nothing was exported`);
  const files: string[] = [];
  if (opts.format === 'llamafactory') {
    const file = `${name}.json`;
    writeFileAtomic(join(out, file), JSON.stringify(samples, null, 1) + '\n');
    writeJsonAtomic(join(out, 'dataset_info.json'), { [name]: llamaFactoryDatasetInfo(file, style, hasVideos) });
    files.push(join(out, file), join(out, 'dataset_info.json'));
  } else {
    const file = `${name}.jsonl`;
    writeFileAtomic(join(out, file), toJsonl(samples));
    files.push(join(out, file));
  }
  const report: ExportReport = { format: opts.format, templateVersion: TEMPLATE_VERSION, files, pairs: pairs.length, samples: samples.length, yes, no: samples.length - yes, skippedTies, withRationale, media: media.count };
  writeJsonAtomic(join(out, 'export-report.json'), report);
  return report;
}
