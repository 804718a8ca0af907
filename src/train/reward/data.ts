/**
 * Turning preference pairs into training and evaluation sequences for each paradigm, and the
 * visual pretraining set (captions and visual questions) that every paradigm starts from.
 */
import type { Media, RgbImage } from '../../data/image.js';
import type { Tokenizer } from '../../data/tokenizer.js';
import { orientRationale, trainingSequence, type ContextOptions, type VlmQuestion } from '../../models/vlm/prompting.js';
import type { SequenceSpec } from '../../models/vlm/sequence.js';
import type { Paradigm } from '../../models/vlm/scorer.js';
import { Rng } from '../../util/rng.js';

/** The fields of a preference pair the trainers read (the world's WorldPair has them all). */
export interface TrainPair {
  readonly task: string;
  readonly prompt: string;
  readonly criteria: string;
  readonly chosen: Media;
  readonly rejected: Media;
  readonly condition?: RgbImage;
  readonly rationale?: string;
  readonly tag?: string;
}

/** A training item: one sequence (pairwise, pretraining) or a chosen/rejected pair of them. */
export type TrainItem = { readonly kind: 'single'; readonly spec: SequenceSpec } | { readonly kind: 'pair'; readonly chosen: SequenceSpec; readonly rejected: SequenceSpec };

function question(p: TrainPair, candidate: Media, reference: Media | undefined, examples: VlmQuestion['examples']): VlmQuestion {
  return { task: p.task, prompt: p.prompt, criteria: p.criteria, candidate, reference, condition: p.condition, examples };
}

/** In-context examples for pair `i`: the k pairs before it (wrapping), shown as solved. */
function examplesFor(pairs: readonly TrainPair[], i: number, k: number, rng: Rng): VlmQuestion['examples'] {
  const out: NonNullable<VlmQuestion['examples']>[number][] = [];
  for (let j = 1; j <= k; j++) {
    const e = pairs[(i + pairs.length - j) % pairs.length]!;
    const yes = rng.chance(0.5);
    out.push({ prompt: e.prompt, reference: yes ? e.rejected : e.chosen, candidate: yes ? e.chosen : e.rejected, answer: yes });
  }
  return out;
}

/**
 * Training items for a paradigm. Pairwise pairs give two sequences (both orders: candidate
 * better -> "yes", worse -> "no"), which balances positions and labels.
 */
export function pairItems(pairs: readonly TrainPair[], paradigm: Paradigm, ctx: ContextOptions, tok: Tokenizer, seed: number): TrainItem[] {
  const rng = new Rng(seed);
  const items: TrainItem[] = [];
  pairs.forEach((p, i) => {
    const ex = ctx.examples > 0 ? examplesFor(pairs, i, ctx.examples, rng) : undefined;
    if (paradigm === 'pairwise') {
      items.push({ kind: 'single', spec: trainingSequence(question(p, p.chosen, p.rejected, ex), true, p.rationale && orientRationale(p.rationale, true), ctx, tok) });
      items.push({ kind: 'single', spec: trainingSequence(question(p, p.rejected, p.chosen, ex), false, p.rationale && orientRationale(p.rationale, false), ctx, tok) });
    } else {
      const pointCtx = { ...ctx, reference: false, cot: 'off' as const };
      const chosen = trainingSequence(question(p, p.chosen, undefined, ex), true, undefined, pointCtx, tok);
      const rejected = trainingSequence(question(p, p.rejected, undefined, ex), false, undefined, pointCtx, tok);
      items.push({ kind: 'pair', chosen, rejected });
    }
  });
  return items;
}

/** Questions for evaluating a pair: both orders for pairwise, each side for pointwise/BT. */
export function evalQuestions(p: TrainPair, paradigm: Paradigm, ctx: ContextOptions, examples?: VlmQuestion['examples']): VlmQuestion[] {
  if (paradigm === 'pairwise') return [question(p, p.chosen, p.rejected, examples), question(p, p.rejected, p.chosen, examples)];
  return [question(p, p.chosen, undefined, examples), question(p, p.rejected, undefined, examples)];
}
