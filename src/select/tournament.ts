/**
 * Pairwise tournaments over N candidates with a pairwise reward model: round robin (every
 * pair in both orders, debiased, win counts and a Bradley-Terry fit) and single-elimination
 * knockout (N - 1 debiased matches). Also the paper's reference choice: the top of the
 * pairwise ranking becomes the reference for later pairwise rewards.
 */
import { InputError } from '../errors.js';
import { debiasedProbability } from '../rewards/debias.js';
import type { RewardModel } from '../rewards/types.js';
import { fitBradleyTerry, type BradleyTerryOptions } from './bradley-terry.js';
import { checkCandidates, queryFor, type RankedCandidate, type SelectionRequest } from './request.js';

function needPairwise(model: RewardModel, what: string): void {
  if (model.mode !== 'pairwise') throw new InputError(`${what} compares candidates in pairs, but ${model.id} is a pointwise model; use --method pointwise`);
}

/**
 * Win counts from a matrix of P(row beats column): a win for P > 0.5, half a win for a tie.
 * @example winCounts([[null, 0.7], [0.3, null]]) // [1, 0]
 */
export function winCounts(p: readonly (readonly (number | null)[])[]): number[] {
  return p.map((row, i) => row.reduce<number>((s, v, j) => (i === j || v === null ? s : s + (v > 0.5 ? 1 : v === 0.5 ? 0.5 : 0)), 0));
}

export interface RoundRobinResult {
  /** P[i][j] = debiased P(candidate i beats candidate j); null on the diagonal. */
  readonly probabilities: (number | null)[][];
  readonly wins: number[];
  /** Bradley-Terry log-strengths. */
  readonly strengths: number[];
  /** Best first: by wins, then strength, then index. `score` is the strength. */
  readonly ranking: RankedCandidate[];
  /** Share of pairs whose two orders agreed on the winner. */
  readonly positionConsistency: number;
  /** Reward-model queries made: N (N - 1). */
  readonly queries: number;
}

/**
 * Every ordered pair scored once (so each unordered pair in both orders), one batch.
 * @example const rr = await roundRobin(model, { task: 't2i', prompt, candidates }); rr.ranking[0].index
 */
export async function roundRobin(model: RewardModel, req: SelectionRequest, bt: BradleyTerryOptions = {}): Promise<RoundRobinResult> {
  needPairwise(model, 'round robin');
  checkCandidates(req);
  const n = req.candidates.length;
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) pairs.push([i, j]);
  // Query (i, j): candidate i against reference j, so reward = P(i beats j | j shown first).
  const rs = await model.score(pairs.map(([i, j]) => queryFor(req, req.candidates[i]!, req.candidates[j])));
  const raw: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(NaN));
  pairs.forEach(([i, j], k) => (raw[i]![j] = rs[k]!.reward));
  const probabilities = raw.map((row, i) => row.map((v, j) => (i === j ? null : debiasedProbability(v, raw[j]![i]!))));
  let agree = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      total++;
      if ((raw[i]![j]! > 0.5) === (raw[j]![i]! < 0.5) && raw[i]![j] !== 0.5) agree++;
    }
  }
  const wins = winCounts(probabilities);
  const { strengths } = fitBradleyTerry(probabilities, bt);
  const ranking = wins
    .map((w, index) => ({ index, w, score: strengths[index]! }))
    .sort((a, b) => b.w - a.w || b.score - a.score || a.index - b.index)
    .map(({ index, score }) => ({ index, score }));
  return { probabilities, wins, strengths, ranking, positionConsistency: total === 0 ? 1 : agree / total, queries: pairs.length };
}

/** One knockout match. */
export interface KnockoutMatch {
  readonly round: number;
  readonly a: number;
  readonly b: number;
  /** Debiased P(a beats b). */
  readonly pA: number;
  readonly winner: number;
}

export interface KnockoutResult {
  readonly winner: number;
  readonly matches: KnockoutMatch[];
  /** Best first: winner, then by the round each candidate was knocked out in (later is better). `score` is the rounds won. */
  readonly ranking: RankedCandidate[];
  /** Reward-model queries made: 2 (N - 1). */
  readonly queries: number;
}

/**
 * Single elimination in index order: pairs (0,1), (2,3), ...; an odd one out gets a bye.
 * Each match is scored in both orders and debiased; a tie goes to the lower index. Each
 * round is one batch.
 * @example (await knockout(model, { task: 't2i', prompt, candidates })).winner
 */
export async function knockout(model: RewardModel, req: SelectionRequest): Promise<KnockoutResult> {
  needPairwise(model, 'knockout');
  checkCandidates(req);
  let alive = req.candidates.map((_, i) => i);
  const roundsWon = new Array<number>(req.candidates.length).fill(0);
  const matches: KnockoutMatch[] = [];
  let queries = 0;
  for (let round = 1; alive.length > 1; round++) {
    const pairs: [number, number][] = [];
    for (let k = 0; k + 1 < alive.length; k += 2) pairs.push([alive[k]!, alive[k + 1]!]);
    const qs = pairs.flatMap(([a, b]) => [queryFor(req, req.candidates[a]!, req.candidates[b]), queryFor(req, req.candidates[b]!, req.candidates[a])]);
    const rs = await model.score(qs);
    queries += qs.length;
    const next: number[] = [];
    pairs.forEach(([a, b], k) => {
      const pA = debiasedProbability(rs[2 * k]!.reward, rs[2 * k + 1]!.reward);
      const winner = pA >= 0.5 ? a : b;
      matches.push({ round, a, b, pA, winner });
      roundsWon[winner]!++;
      next.push(winner);
    });
    if (alive.length % 2 === 1) {
      const bye = alive[alive.length - 1]!;
      roundsWon[bye]!++;
      next.push(bye);
    }
    alive = next;
  }
  const ranking = roundsWon
    .map((score, index) => ({ index, score }))
    .sort((x, y) => y.score - x.score || x.index - y.index);
  return { winner: alive[0]!, matches, ranking, queries };
}

/**
 * The paper's reference choice: the top of a pairwise ranking of N samples becomes the
 * reference that later candidates are compared against. Round robin for up to
 * `roundRobinMax` candidates (N (N - 1) queries), knockout beyond (2 (N - 1) queries).
 * @example const { index } = await chooseReference(model, { task: 't2i', prompt, candidates: samples });
 */
export async function chooseReference(model: RewardModel, req: SelectionRequest, roundRobinMax = REFERENCE_ROUND_ROBIN_MAX): Promise<{ index: number; method: 'round-robin' | 'knockout' }> {
  if (req.candidates.length <= roundRobinMax) return { index: (await roundRobin(model, req)).ranking[0]!.index, method: 'round-robin' };
  return { index: (await knockout(model, req)).winner, method: 'knockout' };
}

/** Round robin up to 8 candidates (56 queries); beyond, its quadratic cost outgrows knockout's linear one. */
export const REFERENCE_ROUND_ROBIN_MAX = 8;
