/**
 * Per-query failures: the error type that names which query of a batch failed, and
 * `scoreSettled`, which scores a batch and keeps going past failures (`--keep-going`).
 */
import { AppError, errorMessage } from '../errors.js';
import type { RewardModel, RewardOutcome, RewardQuery, RewardResult } from './types.js';

/** A query of a batch failed; `index` is its position, `status` follows the cause. */
export class QueryError extends AppError {
  override readonly status: number;
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super(`query ${index}: ${errorMessage(cause)}`, { cause });
    this.index = index;
    this.status = cause instanceof AppError ? cause.status : 500;
  }
}

/** Wraps an error as a QueryError for `index` (an existing QueryError is re-indexed). */
export function queryError(index: number, err: unknown): QueryError {
  const inner = err instanceof QueryError ? err.cause : err;
  return new QueryError(index, inner);
}

/**
 * Scores a batch, reporting failures per query. Uses the model's own `scoreSettled` when it
 * has one; otherwise scores the batch whole and, only if that fails, one query at a time so
 * each failure is pinned to its query.
 * @example const outs = await scoreSettled(model, queries); outs.filter((o) => !o.ok).length
 */
export async function scoreSettled(model: RewardModel, queries: readonly RewardQuery[]): Promise<RewardOutcome[]> {
  if (model.scoreSettled) return model.scoreSettled(queries);
  try {
    const results = await model.score(queries);
    return results.map((result) => ({ ok: true, result }));
  } catch {
    const out: RewardOutcome[] = [];
    for (let i = 0; i < queries.length; i++) {
      try {
        const [result] = await model.score([queries[i]!]);
        out.push({ ok: true, result: result! });
      } catch (err) {
        out.push({ ok: false, error: queryError(i, err) });
      }
    }
    return out;
  }
}

/** Results of a settled batch, or the first failure thrown (what `score` does). */
export function unwrapOutcomes(outcomes: readonly RewardOutcome[]): RewardResult[] {
  return outcomes.map((o) => {
    if (!o.ok) throw o.error;
    return o.result;
  });
}
