/**
 * Preference pairs in memory: (prompt, criterion, chosen, rejected, rationale) for t2i
 * (alignment, quality), with t2v/i2v delegated to video-pairs.ts. Pairs are minimal edits of
 * one scene so that prompt-blind statistics stay balanced (the floor command measures this),
 * and a share of pairs puts alignment and quality in conflict so the criterion matters.
 */
import { imageMedia, type Media, type RgbImage } from '../data/image.js';
import type { Criterion, Split, Task } from '../data/manifest.js';
import { CRITERIA } from '../data/manifest.js';
import { InputError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { alignmentRationale, qualityRationale } from './captions.js';
import { breakScene, degradeImage, type Degradation, type DegradationSpec } from './degrade.js';
import { ALIGNMENT_ERRORS, applyError, errorsFor, type AlignmentError } from './errors-t2i.js';
import { analyzeImage, scoreMetadata } from './oracle.js';
import { drawPrompt } from './prompts.js';
import { render } from './render.js';
import { ID_LAYOUT, OOD_LAYOUT, addDistractors, fits, sceneFor, scoreScene, type LayoutStyle } from './scene.js';
import type { Scene, SceneObject } from './scene-types.js';
import { makeVideoPairs } from './video-pairs.js';
import { ID_COUNTS, OOD_COUNTS } from './vocab.js';
import { GENEVAL_TAGS, type GenevalMetadata, type GenevalTag } from './types.js';

/** One pair in memory. */
export interface WorldPair {
  readonly id: string;
  readonly task: Task;
  readonly split: Split;
  readonly criteria: Criterion;
  readonly tag: GenevalTag;
  readonly metadata: GenevalMetadata;
  readonly prompt: string;
  readonly chosen: Media;
  readonly rejected: Media;
  /** First frame given to i2v models. */
  readonly condition?: RgbImage;
  readonly rationale: string;
  /** What makes the rejected side worse (an alignment error, a degradation or a motion error). */
  readonly error: string;
  /** True when alignment and quality point opposite ways in this pair. */
  readonly conflict: boolean;
  /** True when label noise swapped chosen and rejected. */
  readonly flipped: boolean;
  readonly source: string;
}

/** Supplies candidate images for a prompt (e.g. a generator's samples); see makePairs. */
export type CandidateSource = (meta: GenevalMetadata, rng: Rng) => readonly RgbImage[];

export interface PairOptions {
  readonly task?: Task;
  /** One criterion or several (pairs cycle through them). */
  readonly criteria?: Criterion | readonly Criterion[];
  readonly split?: Split;
  readonly n: number;
  readonly seed: number;
  readonly tags?: readonly GenevalTag[];
  /** Share of pairs whose label is swapped (human-like disagreement); default 0. */
  readonly labelNoise?: number;
  /** Image side in pixels. */
  readonly size?: number;
  /**
   * External candidates (e.g. generator samples) instead of clean renders: the oracle picks a
   * correct and an incorrect candidate (alignment) or the best and worst quality (quality).
   */
  readonly source?: CandidateSource;
  /** Rationale from the oracle's reading of the images (default) or from the scenes (faster). */
  readonly rationaleFrom?: 'oracle' | 'scene';
  /** Frames per video (t2v, i2v; default 8, the tiny VLM's maximum). */
  readonly frames?: number;
}

/** Share of alignment pairs in which one side is degraded (half the time the chosen side): the conflicts. */
export const ALIGNMENT_DEGRADE_SHARE = 0.5;
/** Degradations used on alignment pairs: they change how an image looks, not what the oracle reads. */
const ALIGNMENT_DEGRADATIONS: readonly Degradation[] = ['blur', 'noise', 'cast'];
/** Severity range of those degradations (mild enough that counts, colours and classes survive). */
const ALIGNMENT_SEVERITY: readonly [number, number] = [0.1, 0.3];
/** Degradations and severities for quality pairs. */
const QUALITY_DEGRADATIONS: readonly Degradation[] = ['blur', 'noise', 'blocky', 'cast', 'fragments', 'broken'];
const QUALITY_SEVERITY: readonly [number, number] = [0.35, 1];
/** Share of quality pairs whose cleaner side is misaligned (alignment and quality disagree). */
export const QUALITY_CONFLICT_SHARE = 0.5;
/** Share of pairs given one extra distractor on one side (either side, equally often). */
const ONE_SIDED_DISTRACTOR_SHARE = 0.3;
/** Attempts to build a valid pair for a prompt before drawing a new prompt. */
const PAIR_TRIES = 30;
/** Stream salts so splits never share random streams. */
const SPLIT_SALT: Readonly<Record<Split, number>> = { train: 101, id: 202, ood: 303 };

/** The layout style of a split. */
export function styleFor(split: Split): LayoutStyle {
  return split === 'ood' ? OOD_LAYOUT : ID_LAYOUT;
}

/** The OOD split's different source: a mild blur or noise on every image (both sides alike). */
function sourceShift(img: RgbImage, split: Split, rng: Rng): RgbImage {
  if (split !== 'ood') return img;
  return degradeImage(img, { kind: rng.chance(0.5) ? 'blur' : 'noise', severity: 0.1 }, rng);
}

/** Renders a scene with an optional degradation. */
export function renderDegraded(scene: Scene, spec: DegradationSpec | undefined, rng: Rng, size: number): RgbImage {
  if (!spec) return render(scene, { size });
  if (spec.kind === 'broken') return render(breakScene(scene, spec, rng), { size });
  return degradeImage(render(scene, { size }), spec, rng);
}

/** Adds the same distractors to both scenes (where they fit in both), then maybe one to one side. */
function withDistractors(meta: GenevalMetadata, a: SceneObject[], b: SceneObject[], rng: Rng, style: LayoutStyle): [Scene, Scene] {
  const n = rng.int(style.distractors[0], style.distractors[1] + 1);
  const extra: SceneObject[] = [];
  addDistractors(extra, meta, n + 4, rng, style);
  let added = 0;
  for (const d of extra) {
    if (added >= n) break;
    if (fits(d, a, style.gap) && fits(d, b, style.gap)) {
      a.push(d);
      b.push(d);
      added++;
    }
  }
  if (rng.chance(ONE_SIDED_DISTRACTOR_SHARE)) addDistractors(rng.chance(0.5) ? a : b, meta, 1, rng, style);
  return [{ objects: a }, { objects: b }];
}

/** A correct scene and a minimally edited incorrect one, both with shared distractors. */
export function alignmentScenes(meta: GenevalMetadata, rng: Rng, style: LayoutStyle, ood: boolean): { good: Scene; bad: Scene; error: AlignmentError } | undefined {
  // the error and its parameters are drawn once: retrying with new draws would favour the edits that fit easily
  const error = rng.pick(errorsFor(meta));
  const choice = rng.next();
  for (let t = 0; t < PAIR_TRIES; t++) {
    if (error === 'wrong_count') {
      // lay out the larger count and take a subset for the smaller, so that 'more' and 'fewer'
      // errors succeed equally often (adding objects to a crowded scene fails more)
      const c = meta.include[0]!;
      const counts = (ood ? OOD_COUNTS : ID_COUNTS).filter((n) => n !== c.count);
      const target = counts[Math.floor(choice * counts.length)]!;
      const big = sceneFor({ ...meta, include: [{ ...c, count: Math.max(c.count, target) }], exclude: [] }, rng, { style, distractors: 0 }).objects;
      const small = rng.shuffle(big).slice(0, Math.min(c.count, target));
      const [g, b] = c.count > target ? [big.slice(), small] : [small, big.slice()];
      const [good, bad] = withDistractors(meta, g, b, rng, style);
      if (scoreScene(good, meta).correct && !scoreScene(bad, meta).correct) return { good, bad, error };
      continue;
    }
    const base = sceneFor(meta, rng, { style, distractors: 0 });
    const edited = applyError(error, base.objects, meta, rng, style, ood, choice);
    if (!edited || !edited.every((o, i) => fits(o, edited.filter((_, j) => j !== i), style.gap))) continue;
    const [good, bad] = withDistractors(meta, base.objects.slice(), edited, rng, style);
    if (scoreScene(good, meta).correct && !scoreScene(bad, meta).correct) return { good, bad, error };
  }
  return undefined;
}

function criteriaList(c: PairOptions['criteria'], task: Task): readonly Criterion[] {
  const list = c === undefined ? ['alignment' as const] : typeof c === 'string' ? [c] : c;
  for (const k of list) {
    if (!(CRITERIA as readonly string[]).includes(k)) throw new InputError(`unknown criterion '${String(k)}'; known: ${CRITERIA.join(', ')}`);
    if (task === 't2i' && (k === 'motion' || k === 'consistency')) throw new InputError(`criterion '${k}' needs a video task (t2v or i2v), not t2i`);
  }
  if (list.length === 0) throw new InputError('at least one criterion is needed');
  return list;
}

/** One t2i pair from clean renders. */
function t2iPair(meta: GenevalMetadata, criterion: Criterion, split: Split, rng: Rng, size: number, rationaleFrom: 'oracle' | 'scene'): Omit<WorldPair, 'id' | 'flipped'> | undefined {
  const style = styleFor(split);
  const sc = alignmentScenes(meta, rng, style, split === 'ood');
  if (!sc) return undefined;
  let chosen: RgbImage;
  let rejected: RgbImage;
  let error: string;
  let conflict = false;
  let rationale: string;
  if (criterion === 'alignment') {
    let dc: DegradationSpec | undefined;
    let dr: DegradationSpec | undefined;
    if (rng.chance(ALIGNMENT_DEGRADE_SHARE)) {
      const spec = { kind: rng.pick(ALIGNMENT_DEGRADATIONS), severity: rng.uniform(ALIGNMENT_SEVERITY[0], ALIGNMENT_SEVERITY[1]) };
      conflict = rng.chance(0.5);
      if (conflict) dc = spec;
      else dr = spec;
    }
    chosen = sourceShift(renderDegraded(sc.good, dc, rng, size), split, rng);
    rejected = sourceShift(renderDegraded(sc.bad, dr, rng, size), split, rng);
    error = sc.error;
    rationale =
      rationaleFrom === 'oracle'
        ? alignmentRationale(meta, analyzeImage(chosen).objects, analyzeImage(rejected).objects)
        : alignmentRationale(meta, sceneDets(sc.good, size), sceneDets(sc.bad, size));
  } else {
    const spec = { kind: rng.pick(QUALITY_DEGRADATIONS), severity: rng.uniform(QUALITY_SEVERITY[0], QUALITY_SEVERITY[1]) };
    conflict = rng.chance(QUALITY_CONFLICT_SHARE);
    // conflict: the clean image is misaligned and the aligned one degraded; else the same scene, clean vs degraded
    chosen = sourceShift(render(conflict ? sc.bad : sc.good, { size }), split, rng);
    rejected = sourceShift(renderDegraded(sc.good, spec, rng, size), split, rng);
    error = spec.kind;
    rationale = qualityRationale(analyzeImage(chosen).quality, analyzeImage(rejected).quality);
  }
  return { task: 't2i', split, criteria: criterion, tag: meta.tag, metadata: meta, prompt: meta.prompt, chosen: imageMedia(chosen), rejected: imageMedia(rejected), rationale, error, conflict, source: 'world-render' };
}

function sceneDets(scene: Scene, size: number) {
  return scene.objects.map((o) => ({ shape: o.shape, color: o.color, x0: (o.x - o.w / 2) * size, y0: (o.y - o.h / 2) * size, x1: (o.x + o.w / 2) * size, y1: (o.y + o.h / 2) * size }));
}

/** One t2i pair from external candidates, labelled by the oracle; undefined when they do not differ. */
function candidatePair(meta: GenevalMetadata, criterion: Criterion, split: Split, rng: Rng, source: CandidateSource): Omit<WorldPair, 'id' | 'flipped'> | undefined {
  const cands = source(meta, rng).map((img) => ({ img, a: analyzeImage(img) }));
  if (cands.length < 2) return undefined;
  let chosen;
  let rejected;
  if (criterion === 'alignment') {
    const good = cands.filter((c) => scoreMetadata(c.a, meta).correct);
    const bad = cands.filter((c) => !scoreMetadata(c.a, meta).correct);
    if (!good.length || !bad.length) return undefined;
    chosen = rng.pick(good);
    rejected = rng.pick(bad);
  } else {
    const sorted = cands.slice().sort((x, y) => y.a.quality.score - x.a.quality.score);
    chosen = sorted[0]!;
    rejected = sorted[sorted.length - 1]!;
    if (chosen.a.quality.score - rejected.a.quality.score < 0.1) return undefined;
  }
  const rationale = criterion === 'alignment' ? alignmentRationale(meta, chosen.a.objects, rejected.a.objects) : qualityRationale(chosen.a.quality, rejected.a.quality);
  return { task: 't2i', split, criteria: criterion, tag: meta.tag, metadata: meta, prompt: meta.prompt, chosen: imageMedia(chosen.img), rejected: imageMedia(rejected.img), rationale, error: 'oracle', conflict: false, source: 'candidates' };
}

/**
 * Makes `n` preference pairs in memory: t2i here, t2v and i2v through makeVideoPairs
 * (video-pairs.ts). Same options, same pairs.
 * @example const pairs = makePairs({ task: 't2i', criteria: 'alignment', split: 'train', n: 64, seed: 1 });
 */
export function makePairs(opts: PairOptions): WorldPair[] {
  const task = opts.task ?? 't2i';
  if (task === 't2v' || task === 'i2v') return makeVideoPairs(opts);
  if (task !== 't2i') throw new InputError(`unknown task '${String(task)}'; known: t2i, t2v, i2v`);
  const split = opts.split ?? 'train';
  const criteria = criteriaList(opts.criteria, task);
  if (!Number.isInteger(opts.n) || opts.n < 0) throw new InputError(`n must be a non-negative integer, got ${opts.n}`);
  const noise = opts.labelNoise ?? 0;
  if (!(noise >= 0 && noise < 0.5)) throw new InputError(`labelNoise must be in [0, 0.5), got ${noise}`);
  const tags = opts.tags?.length ? opts.tags : GENEVAL_TAGS;
  const rng = new Rng(opts.seed * 7919 + SPLIT_SALT[split]);
  const domain = split === 'ood' ? 'ood' : 'id';
  const out: WorldPair[] = [];
  let attempts = 0;
  while (out.length < opts.n) {
    if (++attempts > opts.n * 20 + 100) throw new InputError(`could only build ${out.length} of ${opts.n} pairs (the candidate source rarely gave a correct and an incorrect image)`);
    const i = out.length;
    const meta = drawPrompt(tags[i % tags.length]!, rng, domain);
    // criteria change once per round of tags, so every tag gets every criterion
    const criterion = criteria[Math.floor(i / tags.length) % criteria.length]!;
    const p = opts.source ? candidatePair(meta, criterion, split, rng, opts.source) : t2iPair(meta, criterion, split, rng, opts.size ?? 32, opts.rationaleFrom ?? 'oracle');
    if (!p) continue;
    const flipped = rng.chance(noise);
    const id = `${split}-${task}-${String(i).padStart(6, '0')}`;
    out.push(flipped ? { ...p, id, chosen: p.rejected, rejected: p.chosen, flipped } : { ...p, id, flipped });
  }
  return out;
}

export { ALIGNMENT_ERRORS };
