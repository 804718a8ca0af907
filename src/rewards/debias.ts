/**
 * Position debiasing for pairwise reward models (DESIGN.md section 4): score both orders and
 * average, P = (p(ref, cand) + 1 - p(cand, ref)) / 2, where p(x, y) is the model's P(yes)
 * that y (shown as the candidate) beats x (shown as the reference). Position consistency
 * says whether both orders pick the same winner.
 */
import { InputError } from '../errors.js';
import { queryError, scoreSettled } from './settle.js';
import type { RewardModel, RewardQuery, RewardResult } from './types.js';

/**
 * The order-averaged probability that the candidate beats the reference.
 * @example debiasedProbability(0.8, 0.4) // 0.7
 */
export function debiasedProbability(pRefCand: number, pCandRef: number): number {
  return (pRefCand + 1 - pCandRef) / 2;
}

/**
 * True when both orders pick the same winner: p(ref, cand) > 0.5 and p(cand, ref) < 0.5, or
 * the reverse. A tie (0.5) in either order is inconsistent.
 * @example positionConsistent(0.8, 0.3) // true
 */
export function positionConsistent(pRefCand: number, pCandRef: number): boolean {
  return (pRefCand > 0.5 && pCandRef < 0.5) || (pRefCand < 0.5 && pCandRef > 0.5);
}

/** A debiased reward: the averaged probability plus both one-order results. */
export interface DebiasedResult extends RewardResult {
  /** The query as given (reference shown first). */
  readonly forward: RewardResult;
  /** Candidate and reference swapped. */
  readonly swapped: RewardResult;
  /** Both orders pick the same winner. */
  readonly consistent: boolean;
}

/** Floor on probabilities turned into logits, so a certain answer keeps finite logits. */
const LOGIT_EPS = 1e-12;

/**
 * Combines the two orders into one RewardResult. `reward` is the averaged probability;
 * logitYes/logitNo are log(reward) and log(1 - reward), so reward = sigmoid(logitYes -
 * logitNo) still holds; pYesVocab is the forward order's; ms is both orders' time.
 */
export function combineOrders(forward: RewardResult, swapped: RewardResult): DebiasedResult {
  const reward = debiasedProbability(forward.reward, swapped.reward);
  const r = Math.min(1 - LOGIT_EPS, Math.max(LOGIT_EPS, reward));
  return {
    reward,
    pYesVocab: forward.pYesVocab,
    logitYes: Math.log(r),
    logitNo: Math.log(1 - r),
    ms: forward.ms + swapped.ms,
    forward,
    swapped,
    consistent: positionConsistent(forward.reward, swapped.reward),
    ...(forward.rationale !== undefined ? { rationale: forward.rationale } : {}),
  };
}

/** One query's debiased outcome. */
export type DebiasedOutcome = { readonly ok: true; readonly result: DebiasedResult } | { readonly ok: false; readonly error: Error };

/** The query with candidate and reference exchanged. */
export function swapQuery(q: RewardQuery, index = 0): RewardQuery {
  if (!q.reference) throw new InputError(`query ${index}: debiasing needs a reference to swap with the candidate; pass --reference or drop --debias`);
  return { ...q, candidate: q.reference, reference: q.candidate };
}

/**
 * Scores every query in both orders (one batch of 2N) and averages, keeping going past
 * per-query failures (a failure in either order fails that query).
 * @example const [r] = unwrapOutcomes(await scoreDebiasedSettled(model, [q])); r.consistent
 */
export async function scoreDebiasedSettled(model: RewardModel, queries: readonly RewardQuery[]): Promise<DebiasedOutcome[]> {
  if (model.mode !== 'pairwise') throw new InputError(`debiasing swaps reference and candidate, but ${model.id} is a pointwise model; drop --debias`);
  const swappedQs = queries.map((q, i) => swapQuery(q, i));
  const outs = await scoreSettled(model, [...queries, ...swappedQs]);
  const n = queries.length;
  return queries.map((_, i) => {
    const f = outs[i]!;
    const s = outs[i + n]!;
    if (!f.ok) return { ok: false, error: queryError(i, f.error) };
    if (!s.ok) return { ok: false, error: queryError(i, s.error) };
    return { ok: true, result: combineOrders(f.result, s.result) };
  });
}

/** Debiased scores for a batch; the first failure rejects (see scoreDebiasedSettled). */
export async function scoreDebiased(model: RewardModel, queries: readonly RewardQuery[]): Promise<DebiasedResult[]> {
  const outs = await scoreDebiasedSettled(model, queries);
  return outs.map((o) => {
    if (!o.ok) throw o.error;
    return o.result;
  });
}

/** Share of results whose two orders agree (NaN for none). */
export function consistencyRate(results: readonly DebiasedResult[]): number {
  return results.filter((r) => r.consistent).length / results.length;
}

/**
 * A pairwise model whose every score is debiased (twice the calls).
 * @example const fair = debiasedModel(model); await fair.score(queries)
 */
export function debiasedModel(model: RewardModel): RewardModel {
  return {
    id: `${model.id}+debiased`,
    mode: model.mode,
    score: (qs) => scoreDebiased(model, qs),
    scoreSettled: (qs) => scoreDebiasedSettled(model, qs),
    close: () => model.close?.(),
  };
}
