/**
 * One entry for the `select` command: pick the best of N candidates by a method name.
 */
import type { RewardModel } from '../rewards/types.js';
import { bestOfN } from './best-of-n.js';
import type { RankedCandidate, SelectionRequest } from './request.js';
import { knockout, roundRobin } from './tournament.js';

export const SELECT_METHODS = ['pointwise', 'round-robin', 'knockout'] as const;
export type SelectMethod = (typeof SELECT_METHODS)[number];

export interface Selection {
  readonly method: SelectMethod;
  readonly best: number;
  readonly ranking: RankedCandidate[];
  readonly queries: number;
  /** round-robin: win counts and Bradley-Terry strengths per candidate. */
  readonly wins?: number[];
  readonly strengths?: number[];
  readonly positionConsistency?: number;
  /** pointwise: rewards per candidate. */
  readonly rewards?: number[];
  /** knockout: the matches in order. */
  readonly matches?: { round: number; a: number; b: number; pA: number; winner: number }[];
}

/**
 * Selects the best candidate.
 * @example const s = await selectBest(model, req, 'round-robin'); s.best
 */
export async function selectBest(model: RewardModel, req: SelectionRequest, method: SelectMethod, opts: { debias?: boolean } = {}): Promise<Selection> {
  if (method === 'pointwise') {
    const r = await bestOfN(model, req, opts);
    return { method, best: r.best, ranking: r.ranking, queries: r.queries, rewards: r.results.map((x) => x.reward) };
  }
  if (method === 'round-robin') {
    const r = await roundRobin(model, req);
    return { method, best: r.ranking[0]!.index, ranking: r.ranking, queries: r.queries, wins: r.wins, strengths: r.strengths, positionConsistency: r.positionConsistency };
  }
  const r = await knockout(model, req);
  return { method, best: r.winner, ranking: r.ranking, queries: r.queries, matches: r.matches };
}
