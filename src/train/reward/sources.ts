/**
 * Where reward-model training and evaluation pairs come from: the world (generated in memory,
 * seeded) or a pair manifest on disk (`manifest.jsonl` from `world pairs` or `data import`).
 */
import { imageMedia, readImage, stripToFrames, videoMedia, type Media } from '../../data/image.js';
import { readManifest, resolveMedia, type Criterion, type Split } from '../../data/manifest.js';
import { ConfigError, InputError } from '../../errors.js';
import type { ContextOptions } from '../../models/vlm/prompting.js';
import { makePairs } from '../../world/pairs.js';
import type { TrainPair } from './data.js';

/** World pairs for a split (t2i, or t2v/i2v videos of the world's default 8 frames). */
export function worldPairs(opts: { task: string; criteria: readonly Criterion[]; split: Split; n: number; seed: number }): TrainPair[] {
  if (opts.task !== 't2i' && opts.task !== 't2v' && opts.task !== 'i2v') throw new InputError(`unknown task '${opts.task}' for world pairs; known: t2i, t2v, i2v`);
  return makePairs({ task: opts.task, criteria: opts.criteria, split: opts.split, n: opts.n, seed: opts.seed });
}

async function loadMedia(dir: string, path: string, frames: number | undefined): Promise<Media> {
  const img = await readImage(resolveMedia(dir, path));
  if (frames && frames > 1) return videoMedia(stripToFrames(img, frames, path));
  return imageMedia(img);
}

/**
 * Pairs from one manifest folder, or from several given as a comma-separated list (their
 * pairs concatenated in order), optionally only one split. Fails when none is left.
 * @example await manifestPairs('runs/pairs-a,runs/pairs-b', 'train')
 */
export async function manifestPairs(dirs: string, split?: Split): Promise<TrainPair[]> {
  const out = await manifestPairsOrNone(dirs, split);
  if (out.length === 0) throw new InputError(`${dirs}: no usable pairs${split ? ` in split '${split}'` : ''}`);
  return out;
}

/** As manifestPairs, but an empty result is returned, not an error (a split a dataset lacks). */
export async function manifestPairsOrNone(dirs: string, split?: Split): Promise<TrainPair[]> {
  const list = dirs.split(',').map((d) => d.trim());
  if (list.some((d) => d === '')) throw new ConfigError(`--data '${dirs}': expected a folder or a comma-separated list of folders, with no empty entry`);
  const out: TrainPair[] = [];
  for (const dir of list) out.push(...(await folderPairs(dir, split)));
  return out;
}

async function folderPairs(dir: string, split: Split | undefined): Promise<TrainPair[]> {
  const { dir: base, pairs } = readManifest(dir);
  const out: TrainPair[] = [];
  for (const p of pairs) {
    if (split && p.split && p.split !== split) continue;
    if (p.tie) continue;
    const condition = p.condition ? (await readImage(resolveMedia(base, p.condition))) : undefined;
    out.push({
      task: p.task,
      prompt: p.prompt,
      criteria: p.criteria,
      chosen: await loadMedia(base, p.chosen, p.frames),
      rejected: await loadMedia(base, p.rejected, p.frames),
      condition,
      rationale: p.rationale,
      tag: p.tag,
    });
  }
  return out;
}

/**
 * Parses `--context` ("none", or a comma list of instruction, reference, examples:K,
 * cot:decision-first|reason-first). The reference follows the paradigm (pairwise only).
 * @example parseContext('instruction,examples:2', 'pairwise') // { instruction: true, reference: true, examples: 2, cot: 'off' }
 */
export function parseContext(spec: string | undefined, paradigm: string): ContextOptions {
  const ctx = { instruction: false, reference: paradigm === 'pairwise', examples: 0, cot: 'off' as ContextOptions['cot'] };
  const s = spec ?? 'instruction';
  if (s === 'none') return ctx;
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [key, value] = part.split(':');
    if (key === 'instruction') ctx.instruction = true;
    else if (key === 'reference') {
      if (paradigm !== 'pairwise') throw new ConfigError(`--context reference needs --paradigm pairwise (got ${paradigm})`);
    } else if (key === 'examples') {
      const k = Number(value);
      if (!Number.isInteger(k) || k < 0 || k > 4) throw new ConfigError(`--context examples:K needs K in 0..4, got '${value}'`);
      ctx.examples = k;
    } else if (key === 'cot') {
      if (value !== 'decision-first' && value !== 'reason-first' && value !== 'off') throw new ConfigError(`--context cot must be cot:decision-first, cot:reason-first or cot:off, got '${part}'`);
      if (value !== 'off' && paradigm !== 'pairwise') throw new ConfigError('chain-of-thought rationales need --paradigm pairwise');
      ctx.cot = value;
    } else throw new ConfigError(`unknown --context element '${part}' (known: none, instruction, reference, examples:K, cot:decision-first, cot:reason-first)`);
  }
  return ctx;
}
