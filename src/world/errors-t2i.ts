/**
 * Alignment errors for t2i pairs: edits of a correct scene that break exactly one part of a
 * prompt (class, count, colour, colour binding, position, a missing object). Each edit keeps
 * prompt-blind statistics (object and colour counts, foreground) balanced on average; see
 * pairs.ts for the balance.
 */
import type { Rng } from '../util/rng.js';
import { freeColor, namedClasses, placeObject, type LayoutStyle } from './scene.js';
import type { SceneObject } from './scene-types.js';
import type { GenevalMetadata } from './types.js';
import { COLORS, ID_COUNTS, OOD_COUNTS, SHAPES, type Color, type Shape } from './vocab.js';

export const ALIGNMENT_ERRORS = ['wrong_class', 'missing', 'wrong_count', 'wrong_color', 'swap_color', 'copy_color', 'swap_position'] as const;
export type AlignmentError = (typeof ALIGNMENT_ERRORS)[number];

/**
 * The colour-binding errors of a two-object prompt: 'swap_color' exchanges the two colours,
 * 'copy_color' gives object `k` the other one's colour. Undefined unless there are two objects.
 */
export function swapOrCopyColor<T extends { readonly color: Color }>(objs: readonly T[], kind: 'swap_color' | 'copy_color', k: number): T[] | undefined {
  if (objs.length !== 2) return undefined;
  const [a, b] = [objs[0]!, objs[1]!];
  if (kind === 'swap_color') return [{ ...a, color: b.color }, { ...b, color: a.color }];
  return k === 0 ? [{ ...a, color: b.color }, b] : [a, { ...b, color: a.color }];
}

/** Errors each tag can carry, drawn uniformly (repeats weight them). */
export function errorsFor(meta: GenevalMetadata): readonly AlignmentError[] {
  switch (meta.tag) {
    case 'single_object':
    case 'two_object':
      return ['wrong_class', 'missing'];
    case 'counting':
      return ['wrong_count', 'wrong_count', 'wrong_class'];
    case 'colors':
      return ['wrong_color'];
    case 'position':
      return ['swap_position', 'swap_position', 'wrong_class'];
    case 'color_attr':
      // same-colour prompts: recolouring adds a colour; distinct: swap (same colours), copy (one fewer), recolour (same count)
      return meta.include[0]!.color === meta.include[1]!.color ? ['wrong_color'] : ['swap_color', 'copy_color', 'wrong_color'];
  }
}

/** Which include clause each of the first objects belongs to (sceneFor places clauses in order). */
export function clauseOfObjects(meta: GenevalMetadata): number[] {
  return meta.include.flatMap((c, i) => Array.from({ length: c.count }, () => i));
}

/**
 * Applies one error to the prompted objects `objs` (clause order, no distractors). Returns
 * the edited objects, or undefined when the edit does not apply.
 */
export function applyError(
  kind: AlignmentError,
  objs: readonly SceneObject[],
  meta: GenevalMetadata,
  rng: Rng,
  style: LayoutStyle,
  ood: boolean,
  /** A number in [0, 1) drawn once per pair that fixes the wrong count, so retries after a failed placement do not bias counts downwards. */
  choice = rng.next(),
): SceneObject[] | undefined {
  const out = objs.slice();
  const k = rng.int(0, out.length);
  const o = out[k]!;
  switch (kind) {
    case 'wrong_class': {
      out[k] = { ...o, shape: rng.pick(SHAPES.filter((s) => s !== o.shape)) };
      return out;
    }
    case 'missing': {
      // the object is gone; a distractor of the same colour and size appears elsewhere, so the
      // object count, colours and foreground stay the same
      out.splice(k, 1);
      const pool = SHAPES.filter((s) => !namedClasses(meta).has(s));
      if (pool.length === 0) return undefined;
      const d = placeObject(rng.pick(pool), o.color, out, rng, style, (p) => Math.hypot(p.x - o.x, p.y - o.y) > o.w, { w: o.w, h: o.h });
      if (!d) return undefined;
      out.push({ ...d, distractor: true });
      return out;
    }
    case 'wrong_count': {
      const c = meta.include[0]!;
      const counts = (ood ? OOD_COUNTS : ID_COUNTS).filter((n) => n !== c.count);
      const target = counts[Math.floor(choice * counts.length)]!;
      if (target < out.length) return rng.shuffle(out).slice(0, target);
      while (out.length < target) {
        const p = placeObject(c.class as Shape, freeColor(c.class as Shape, rng, style), out, rng, style);
        if (!p) return undefined;
        out.push(p);
      }
      return out;
    }
    case 'wrong_color': {
      const used = new Set(meta.include.map((c) => c.color));
      const pool = COLORS.filter((c) => !used.has(c));
      out[k] = { ...o, color: rng.pick(pool) };
      return out;
    }
    case 'swap_color':
    case 'copy_color':
      return swapOrCopyColor(out, kind, k);
    case 'swap_position': {
      if (out.length !== 2) return undefined;
      const [a, b] = [out[0]!, out[1]!];
      return [
        { ...a, x: b.x, y: b.y },
        { ...b, x: a.x, y: a.y },
      ];
    }
  }
}
