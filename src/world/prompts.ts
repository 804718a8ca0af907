/**
 * The prompt grammar: samples GenEval-format records over the world's vocabulary, tags in
 * turn, with the held-out combinations that separate the OOD split from train and id.
 */
import { InputError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { promptFor } from './geneval.js';
import { GENEVAL_TAGS, RELATIONS, type GenevalMetadata, type GenevalTag, type IncludeClause } from './types.js';
import { COLORS, ID_COUNTS, OOD_COUNTS, SHAPES, isHeldOutClassPair, isHeldOutCombo, type Color, type Shape } from './vocab.js';

/** Which prompts a split may use: 'id' (train and in-domain test) avoids held-out combinations, 'ood' uses them. */
export type PromptDomain = 'id' | 'ood';

export interface PromptOptions {
  readonly n: number;
  /** Tags to draw from, in turn (default: all six). */
  readonly tags?: readonly GenevalTag[];
  readonly seed: number;
  readonly domain?: PromptDomain;
}

/** Share of color_attr prompts whose two objects share a colour (see pairs.ts for the balance). */
export const SAME_COLOR_SHARE = 0.25;

/** Attempts to draw a record meeting the domain's rules before giving up. */
const DRAW_TRIES = 200;

/** Checks tag names (e.g. from a CLI flag); the error lists the known tags. */
export function parseTags(names: readonly string[]): GenevalTag[] {
  return names.map((t) => {
    if (!(GENEVAL_TAGS as readonly string[]).includes(t)) throw new InputError(`unknown tag '${t}'; known tags: ${GENEVAL_TAGS.join(', ')}`);
    return t as GenevalTag;
  });
}

function twoShapes(rng: Rng): [Shape, Shape] {
  const a = rng.pick(SHAPES);
  const b = rng.pick(SHAPES.filter((s) => s !== a));
  return [a, b];
}

/** Draws one record of `tag` without domain rules. */
function drawRaw(tag: GenevalTag, rng: Rng, domain: PromptDomain): GenevalMetadata {
  let include: IncludeClause[];
  let exclude: GenevalMetadata['exclude'];
  switch (tag) {
    case 'single_object':
      include = [{ class: rng.pick(SHAPES), count: 1 }];
      break;
    case 'two_object': {
      const [a, b] = twoShapes(rng);
      include = [
        { class: a, count: 1 },
        { class: b, count: 1 },
      ];
      break;
    }
    case 'counting': {
      const cls = rng.pick(SHAPES);
      const count = rng.pick(domain === 'ood' ? OOD_COUNTS : ID_COUNTS);
      include = [{ class: cls, count }];
      exclude = [{ class: cls, count: count + 1 }];
      break;
    }
    case 'colors':
      include = [{ class: rng.pick(SHAPES), count: 1, color: rng.pick(COLORS) }];
      break;
    case 'position': {
      const [a, b] = twoShapes(rng);
      include = [
        { class: a, count: 1 },
        { class: b, count: 1, position: [rng.pick(RELATIONS), 0] },
      ];
      break;
    }
    case 'color_attr': {
      const [a, b] = twoShapes(rng);
      const ca = rng.pick(COLORS);
      // same-colour prompts balance the 'other object's colour' error (which leaves fewer colours)
      const cb = rng.chance(SAME_COLOR_SHARE) ? ca : rng.pick(COLORS.filter((c) => c !== ca));
      include = [
        { class: a, count: 1, color: ca },
        { class: b, count: 1, color: cb },
      ];
      break;
    }
  }
  const m = { tag, include, ...(exclude ? { exclude } : {}), prompt: '' };
  return { ...m, prompt: promptFor(m) };
}

/**
 * Whether a record uses a held-out combination: a (class, colour) combo, a held-out class
 * pair, or an unseen count. Train and id never do; ood records do whenever their tag allows.
 * @example isHeldOut({ tag: 'colors', include: [{ class: 'circle', count: 1, color: 'red' }], prompt: '' })
 */
export function isHeldOut(m: Pick<GenevalMetadata, 'include'>): boolean {
  const combos = m.include.some((c) => c.color !== undefined && isHeldOutCombo(c.class as Shape, c.color as Color));
  const pair = m.include.length === 2 && isHeldOutClassPair(m.include[0]!.class as Shape, m.include[1]!.class as Shape);
  const count = m.include.some((c) => !(ID_COUNTS as readonly number[]).includes(c.count) && c.count !== 1);
  return combos || pair || count;
}

/**
 * Whether ood records of a tag must carry a held-out combination. single_object names one
 * class only; counting draws every count of OOD_COUNTS (the unseen five included) because
 * forcing five would make 'fewer objects' the wrong answer every time.
 */
function canHoldOut(tag: GenevalTag): boolean {
  return tag !== 'single_object' && tag !== 'counting';
}

/**
 * Draws one record of `tag` for a domain.
 * @example drawPrompt('colors', new Rng(1), 'id').prompt // e.g. 'a photo of a blue star'
 */
export function drawPrompt(tag: GenevalTag, rng: Rng, domain: PromptDomain = 'id'): GenevalMetadata {
  for (let t = 0; t < DRAW_TRIES; t++) {
    const m = drawRaw(tag, rng, domain);
    const held = isHeldOut(m);
    if (domain === 'id' ? !held : held || !canHoldOut(tag)) return m;
  }
  throw new InputError(`could not draw a ${domain} prompt for tag ${tag}`);
}

/**
 * Samples `n` GenEval-format records, cycling through `tags`.
 * @example samplePrompts({ n: 6, seed: 1 }).map((m) => m.tag) // one of each tag
 */
export function samplePrompts(opts: PromptOptions): GenevalMetadata[] {
  const tags = opts.tags && opts.tags.length ? opts.tags : GENEVAL_TAGS;
  if (!Number.isInteger(opts.n) || opts.n < 0) throw new InputError(`samplePrompts: n must be a non-negative integer, got ${opts.n}`);
  const rng = new Rng(opts.seed);
  return Array.from({ length: opts.n }, (_, i) => drawPrompt(tags[i % tags.length]!, rng, opts.domain ?? 'id'));
}
