/**
 * Best-of-N by pointwise reward: score every candidate on its own (a pointwise model), or
 * against one fixed reference (a pairwise model, optionally debiased), and rank by reward.
 */
import { InputError } from '../errors.js';
import { scoreDebiased } from '../rewards/debias.js';
import type { RewardModel, RewardResult } from '../rewards/types.js';
import { checkCandidates, queryFor, type RankedCandidate, type SelectionRequest } from './request.js';

export interface BestOfNResult {
  readonly best: number;
  /** Best first; `score` is the reward (ties keep index order). */
  readonly ranking: RankedCandidate[];
  /** Per candidate, in candidate order. */
  readonly results: RewardResult[];
  readonly queries: number;
}

/**
 * Ranks candidates by reward, one batch.
 * @example const { best } = await bestOfN(model, { task: 't2i', prompt: 'a red circle', candidates });
 */
export async function bestOfN(model: RewardModel, req: SelectionRequest, opts: { debias?: boolean } = {}): Promise<BestOfNResult> {
  checkCandidates(req);
  if (model.mode === 'pairwise' && !req.reference) {
    throw new InputError(`${model.id} is a pairwise model: pointwise Best-of-N needs a fixed reference (--reference), or use --method round-robin or knockout`);
  }
  const qs = req.candidates.map((c) => queryFor(req, c, model.mode === 'pairwise' ? req.reference : undefined));
  const results: RewardResult[] = opts.debias ? await scoreDebiased(model, qs) : await model.score(qs);
  const ranking = results.map((r, index) => ({ index, score: r.reward })).sort((a, b) => b.score - a.score || a.index - b.index);
  return { best: ranking[0]!.index, ranking, results, queries: opts.debias ? 2 * qs.length : qs.length };
}
