/**
 * What `POST /v1/select` needs: pick the best of N candidates with a reward model, by
 * pointwise scores (Best-of-N) or a round-robin tournament of pairwise comparisons. The route
 * is written against `Selector`; `basicSelector` is a small built-in one used until the
 * library's src/select functions are wired in (the model it gets already batches through the
 * server's queue, so a selector never needs to batch by itself).
 */
import type { Media } from '../data/image.js';
import { InputError } from '../errors.js';
import type { RewardModel, RewardQuery } from '../rewards/types.js';
import type { SelectMethod } from './schemas.js';

/** The query fields shared by every candidate. */
export type SelectBase = Omit<RewardQuery, 'candidate' | 'reference'>;

/** A selection's outcome. */
export interface Selection {
  readonly best: number;
  /** Best-of-N: rewards. Tournament: win rates in [0, 1]. */
  readonly scores: number[];
  readonly wins?: number[];
  /** Model queries spent. */
  readonly comparisons: number;
}

/** Picks the best candidate with `model`. */
export interface Selector {
  select(method: SelectMethod, model: RewardModel, base: SelectBase, candidates: readonly Media[]): Promise<Selection>;
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  xs.forEach((x, i) => {
    if (x > xs[best]!) best = i;
  });
  return best;
}

/**
 * Best-of-N by reward; tournaments compare every ordered pair once (so each pair is seen in
 * both positions: P(i beats j) = (p(i vs j) + 1 - p(j vs i)) / 2) and rank by wins.
 *
 * @example
 * const s = await basicSelector.select('best-of-n', model, { task: 't2i', prompt: 'a red cube' }, [m1, m2, m3]);
 * s.best; // index of the highest reward
 */
export const basicSelector: Selector = {
  async select(method, model, base, candidates) {
    if (method === 'best-of-n') {
      const res = await model.score(candidates.map((candidate) => ({ ...base, candidate })));
      const scores = res.map((r) => r.reward);
      return { best: argmax(scores), scores, comparisons: candidates.length };
    }
    if (model.mode !== 'pairwise') throw new InputError(`a tournament needs a pairwise reward model; '${model.id}' is pointwise (use method 'best-of-n')`);
    const n = candidates.length;
    const pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) pairs.push([i, j]);
    const res = await model.score(pairs.map(([i, j]) => ({ ...base, candidate: candidates[i]!, reference: candidates[j]! })));
    const p = new Map<string, number>();
    pairs.forEach(([i, j], k) => p.set(`${i},${j}`, res[k]!.reward));
    const wins = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const pij = (p.get(`${i},${j}`)! + 1 - p.get(`${j},${i}`)!) / 2;
        if (pij > 0.5) wins[i]! += 1;
        else if (pij < 0.5) wins[j]! += 1;
        else {
          wins[i]! += 0.5;
          wins[j]! += 0.5;
        }
      }
    }
    const scores = wins.map((w) => (n > 1 ? w / (n - 1) : 1));
    return { best: argmax(scores), scores, wins, comparisons: pairs.length };
  },
};
