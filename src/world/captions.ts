/**
 * Language about scenes for VLM pretraining and CoT targets: GenEval-style captions, visual
 * questions with one-word answers, rationale sentences for pairs, and WORLD_WORDS, the closed
 * lowercase word list of everything the world writes. All text is punctuation-free: words
 * separated by single spaces, so a tokenizer can split on spaces.
 */
import type { Rng } from '../util/rng.js';
import { clausePhrase, promptFor } from './geneval.js';
import { objectDetection } from './scene.js';
import type { Scene } from './scene-types.js';
import { relativePosition, scoreDetections, type Detection } from './score.js';
import { DIRECTIONS, RELATIONS, SPEEDS, type GenevalMetadata, type Relation } from './types.js';
import { COLORS, NUMBER_WORDS, SHAPES, SHAPE_PLURALS, type Shape } from './vocab.js';

/** A question about an image and its one-word answer. */
export interface VisualQa {
  readonly question: string;
  readonly answer: string;
  /** What skill it tests. */
  readonly kind: 'color' | 'class' | 'count' | 'exists' | 'relation';
}

/** A count as a word ("zero" to "five", "many" above). */
export function countWord(n: number): string {
  if (n === 0) return 'zero';
  return NUMBER_WORDS[n] ?? 'many';
}

function nounFor(shape: string, n: number): string {
  return n === 1 ? shape : (SHAPE_PLURALS[shape as Shape] ?? shape);
}

/**
 * A GenEval-style caption naming every object, grouped by colour and class, left to right.
 * @example captionScene(scene) // 'a photo of a red circle and two blue stars'
 */
export function captionScene(scene: Scene): string {
  if (scene.objects.length === 0) return 'a photo of nothing';
  const groups = new Map<string, { shape: string; color: string; n: number; x: number }>();
  for (const o of scene.objects) {
    const key = `${o.color} ${o.shape}`;
    const g = groups.get(key);
    if (g) g.n++;
    else groups.set(key, { shape: o.shape, color: o.color, n: 1, x: o.x });
  }
  const parts = [...groups.values()].sort((a, b) => a.x - b.x).map((g) => clausePhrase({ class: g.shape, count: g.n, color: g.color }));
  return `a photo of ${parts.join(' and ')}`;
}

/**
 * The record's own prompt with each object's drawn colour written in: a clause without a colour
 * gets the colour its objects in the scene share (distractors aside); clauses whose objects
 * differ in colour, or that have none drawn, stay as they are. Counts, relations and word order
 * are the prompt's, so unlike captionScene it keeps "left of" and the like.
 * @example colorFilledPrompt(meta, scene) // 'a photo of a red star left of a blue ring' for 'a photo of a star left of a ring'
 */
export function colorFilledPrompt(meta: Pick<GenevalMetadata, 'include'>, scene: Scene): string {
  const include = meta.include.map((c) => {
    if (c.color) return c;
    const colors = new Set(scene.objects.filter((o) => !o.distractor && o.shape === c.class).map((o) => o.color));
    if (colors.size !== 1) return c;
    return { ...c, color: [...colors][0]! };
  });
  return promptFor({ include });
}

/** First word of a relation ("left of" -> "left"), the one-word answer form. */
function relationWord(r: Relation): string {
  return r.split(' ')[0]!;
}

/**
 * Questions about a scene with one-word answers: colour of each unique class, class of each
 * unique colour, counts (including absent classes), existence, and relations.
 * @example visualQuestions(scene, new Rng(1))[0] // { question: 'what color is the star', answer: 'blue', kind: 'color' }
 */
export function visualQuestions(scene: Scene, rng: Rng): VisualQa[] {
  const objs = scene.objects;
  const out: VisualQa[] = [];
  const byShape = (s: string) => objs.filter((o) => o.shape === s);
  for (const s of SHAPES) {
    const of = byShape(s);
    if (of.length === 1) out.push({ question: `what color is the ${s}`, answer: of[0]!.color, kind: 'color' });
    if (of.length > 0 || rng.chance(0.25)) out.push({ question: `how many ${SHAPE_PLURALS[s]} are there`, answer: countWord(of.length), kind: 'count' });
  }
  for (const c of COLORS) {
    const of = objs.filter((o) => o.color === c);
    if (of.length === 1) out.push({ question: `what shape is the ${c} object`, answer: of[0]!.shape, kind: 'class' });
  }
  const present = objs[objs.length ? rng.int(0, objs.length) : 0];
  if (present) {
    out.push({ question: `is there a ${present.shape}`, answer: 'yes', kind: 'exists' });
    out.push({ question: `is there ${clausePhrase({ class: present.shape, count: 1, color: present.color })}`, answer: 'yes', kind: 'exists' });
  }
  const absent = SHAPES.filter((s) => byShape(s).length === 0);
  if (absent.length) out.push({ question: `is there a ${rng.pick(absent)}`, answer: 'no', kind: 'exists' });
  if (present) {
    const other = rng.pick(COLORS.filter((c) => !objs.some((o) => o.shape === present.shape && o.color === c)));
    out.push({ question: `is there ${clausePhrase({ class: present.shape, count: 1, color: other })}`, answer: 'no', kind: 'exists' });
  }
  const unique = objs.filter((o) => byShape(o.shape).length === 1);
  for (let i = 0; i < unique.length; i++) {
    for (let j = 0; j < unique.length; j++) {
      if (i === j) continue;
      const a = unique[i]!;
      const b = unique[j]!;
      const rels = [...relativePosition(objectDetection(a), objectDetection(b))];
      if (rels.length === 0) continue;
      out.push({ question: `where is the ${a.shape} relative to the ${b.shape}`, answer: relationWord(rels[0]!), kind: 'relation' });
      const asked = rng.pick(RELATIONS);
      out.push({ question: `is the ${a.shape} ${asked} the ${b.shape}`, answer: rels.includes(asked) ? 'yes' : 'no', kind: 'relation' });
    }
  }
  return rng.shuffle(out);
}

/** How a rationale names the two images (default: first = chosen, second = rejected). */
export interface RationaleNames {
  readonly chosen: string;
  readonly rejected: string;
}
export const DEFAULT_NAMES: RationaleNames = { chosen: 'the first image', rejected: 'the second image' };

/**
 * Why `chosen` matches a prompt better than `rejected`, from detections (the oracle's or a
 * scene's): the first clause the rejected image fails, in words.
 * @example alignmentRationale(meta, chosenDets, rejectedDets) // 'the prompt asks for two stars but the second image has three stars'
 */
export function alignmentRationale(meta: GenevalMetadata, chosen: readonly Detection[], rejected: readonly Detection[], names: RationaleNames = DEFAULT_NAMES): string {
  const sr = scoreDetections(rejected, meta);
  const sc = scoreDetections(chosen, meta);
  const tail = sc.correct ? ` while ${names.chosen} matches it` : '';
  const bad = sr.clauses.find((c) => !c.ok);
  if (!bad) return `${names.rejected} matches the prompt less well${tail}`;
  if (bad.kind === 'exclude') {
    const req = meta.exclude![bad.index]!;
    const asked = meta.include.find((c) => c.class === req.class);
    const n = rejected.filter((d) => d.shape === req.class).length;
    return `the prompt asks for ${asked ? clausePhrase(asked) : `fewer ${nounFor(req.class, 2)}`} but ${names.rejected} has ${countWord(n)} ${nounFor(req.class, n)}${tail}`;
  }
  const req = meta.include[bad.index]!;
  const of = rejected.filter((d) => d.shape === req.class);
  if (of.length < req.count) return `the prompt asks for ${clausePhrase(req)} but ${names.rejected} has ${of.length === 0 ? 'no' : countWord(of.length)} ${nounFor(req.class, of.length === 0 ? 2 : of.length)}${tail}`;
  if (req.color && of.filter((d) => d.color === req.color).length < req.count) {
    const wrong = of.find((d) => d.color !== req.color)!;
    return `the prompt asks for ${clausePhrase(req)} but the ${req.class} in ${names.rejected} is ${wrong.color}${tail}`;
  }
  if (req.position) {
    const [rel, t] = req.position;
    const target = meta.include[t]!;
    const a = of[0]!;
    const b = rejected.find((d) => d.shape === target.class && d !== a);
    const actual = b ? [...relativePosition(a, b)][0] : undefined;
    const what = actual ? `is ${actual}` : `is not ${rel}`;
    return `the prompt asks for ${clausePhrase(req)} ${rel} ${clausePhrase(target)} but in ${names.rejected} the ${req.class} ${what} the ${target.class}${tail}`;
  }
  return `${names.rejected} does not match the prompt${tail}`;
}

/** Words for each quality part, as rationales write them. */
export const QUALITY_WORDS = { shapes: 'has broken shapes', sharpness: 'is blurry', noise: 'is noisy', cast: 'has a color cast', fragments: 'has stray fragments' } as const;
export type QualityPart = keyof typeof QUALITY_WORDS;

/**
 * Why `chosen` looks better: the quality part where `rejected` falls furthest behind.
 * @example qualityRationale(qa.quality, qb.quality) // 'the second image is blurry while the first image is clean'
 */
export function qualityRationale(chosen: Readonly<Record<QualityPart, number>>, rejected: Readonly<Record<QualityPart, number>>, names: RationaleNames = DEFAULT_NAMES): string {
  let worst: QualityPart = 'sharpness';
  let gap = -Infinity;
  for (const k of Object.keys(QUALITY_WORDS) as QualityPart[]) {
    const g = chosen[k] - rejected[k];
    if (g > gap) {
      gap = g;
      worst = k;
    }
  }
  if (gap <= 0) return `${names.rejected} looks slightly worse than ${names.chosen}`;
  const clean = Object.values(chosen).every((v) => v > 0.8);
  return `${names.rejected} ${QUALITY_WORDS[worst]}${clean ? ` while ${names.chosen} is clean` : ''}`;
}

/** Template words not covered by the vocabulary lists. */
const TEMPLATE_WORDS =
  'a an the of photo video and two three four five one zero no many nothing what color shape is are there how where relative to object objects ' +
  'yes left right above below prompt asks for but has in first second image matches it while matches less well does not match ' +
  'broken shapes blurry noisy cast stray fragments clean looks slightly worse than ' +
  'moving moves stays still standing appearing appears turning turns changes from into flickers jumps identity frame frames ' +
  'same other becomes first last at start end instead ' +
  'then move stay appear turn keeps its late disappears consistent missing';

/**
 * Every lowercase word the world can write in prompts, captions, questions, answers and
 * rationales (no punctuation anywhere; split on single spaces).
 */
export const WORLD_WORDS: readonly string[] = [
  ...new Set(
    [TEMPLATE_WORDS, SHAPES.join(' '), Object.values(SHAPE_PLURALS).join(' '), COLORS.join(' '), RELATIONS.join(' '), DIRECTIONS.join(' '), SPEEDS.join(' '), Object.values(NUMBER_WORDS).join(' ')]
      .join(' ')
      .split(/\s+/)
      .filter((w) => w !== ''),
  ),
].sort();
