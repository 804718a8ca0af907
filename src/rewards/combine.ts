/**
 * Weighted combinations of reward models (DESIGN.md section 4): the combined reward is the
 * weighted mean of the components' rewards; a component result of `null` means "skip this
 * one for this query" and the remaining weights are renormalised.
 */
import { ConfigError, InputError } from '../errors.js';
import { scoreSettled, unwrapOutcomes, queryError } from './settle.js';
import type { RewardModel, RewardOutcome, RewardQuery, RewardResult } from './types.js';

/** A component of a combination. */
export interface WeightedModel {
  readonly model: RewardModel;
  /** Non-negative; weights are renormalised over the components that answer. */
  readonly weight: number;
}

/** Floor on probabilities turned into logits, so a certain answer keeps finite logits. */
const LOGIT_EPS = 1e-12;

/** Checks weights: finite, non-negative, at least one positive. */
export function validateWeights(weights: readonly number[]): void {
  if (weights.length === 0) throw new ConfigError('combine: give at least one reward model');
  weights.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0) throw new ConfigError(`combine: weight ${i} must be a finite number >= 0, got ${w}`);
  });
  if (!weights.some((w) => w > 0)) throw new ConfigError('combine: at least one weight must be positive');
}

/** The id of a combination: `0.7*a+0.3*b`. */
export function combinationId(parts: readonly { readonly weight: number; readonly id: string }[]): string {
  return parts.map((p) => `${p.weight}*${p.id}`).join('+');
}

/**
 * Weighted mean of component results for one query; `null` components are skipped. Returns
 * null when every component with positive weight was skipped. logitYes/logitNo are
 * log(reward) and log(1 - reward) so reward = sigmoid(logitYes - logitNo) holds; pYesVocab
 * and ms are weighted means / sums.
 * @example combineResults([0.5, 0.5], [a, null]) // a's reward
 */
export function combineResults(weights: readonly number[], results: readonly (RewardResult | null)[]): RewardResult | null {
  if (weights.length !== results.length) throw new InputError(`combine: ${weights.length} weights for ${results.length} results`);
  let total = 0;
  let reward = 0;
  let pYesVocab = 0;
  let ms = 0;
  results.forEach((r, i) => {
    if (!r) return;
    ms += r.ms;
    const w = weights[i]!;
    if (w === 0) return;
    total += w;
    reward += w * r.reward;
    pYesVocab += w * r.pYesVocab;
  });
  if (total === 0) return null;
  reward /= total;
  const c = Math.min(1 - LOGIT_EPS, Math.max(LOGIT_EPS, reward));
  return { reward, pYesVocab: pYesVocab / total, logitYes: Math.log(c), logitNo: Math.log(1 - c), ms };
}

/**
 * A model that scores with every component and combines. A component failing on a query
 * fails that query (use scoreSettled to keep going). The combination is pairwise when any
 * component is (queries must then carry a reference).
 * @example const m = combinedModel([{ model: vlm, weight: 0.7 }, { model: oracle, weight: 0.3 }]);
 */
export function combinedModel(parts: readonly WeightedModel[], id?: string): RewardModel {
  validateWeights(parts.map((p) => p.weight));
  const scoreAll = async (queries: readonly RewardQuery[]): Promise<RewardOutcome[]> => {
    const per = await Promise.all(parts.map((p) => scoreSettled(p.model, queries)));
    return queries.map((_, i): RewardOutcome => {
      const rs: RewardResult[] = [];
      for (const outs of per) {
        const o = outs[i]!;
        if (!o.ok) return { ok: false, error: queryError(i, o.error) };
        rs.push(o.result);
      }
      const c = combineResults(
        parts.map((p) => p.weight),
        rs,
      )!;
      return { ok: true, result: c };
    });
  };
  return {
    id: id ?? combinationId(parts.map((p) => ({ weight: p.weight, id: p.model.id }))),
    mode: parts.some((p) => p.model.mode === 'pairwise') ? 'pairwise' : 'pointwise',
    score: async (qs) => unwrapOutcomes(await scoreAll(qs)),
    scoreSettled: scoreAll,
    close: async () => {
      for (const p of parts) await p.model.close?.();
    },
  };
}
