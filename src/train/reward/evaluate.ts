/**
 * Reward-model evaluation on preference pairs: accuracy overall, per criterion and per GenEval
 * tag, expected calibration error of P(yes), and for pairwise models position consistency
 * (both orders agree). Pairwise accuracy uses both orders: P = (p(ref=rej, cand=cho) + 1 -
 * p(ref=cho, cand=rej)) / 2 > 0.5, so a model that always says "yes" scores 50%.
 */
import type { VlmScorer } from '../../models/vlm/scorer.js';
import { evalQuestions, type TrainPair } from './data.js';
import { expectedCalibrationError } from './losses.js';

export interface RmEvaluation {
  accuracy: number;
  n: number;
  byCriteria: Record<string, { accuracy: number; n: number }>;
  byTag: Record<string, { accuracy: number; n: number }>;
  ece: number;
  /** Share of pairs whose two orders agree (pairwise models only; null otherwise). */
  positionConsistency: number | null;
}

function bump(m: Record<string, { accuracy: number; n: number }>, key: string | undefined, ok: boolean): void {
  const k = key ?? 'unknown';
  const e = (m[k] ??= { accuracy: 0, n: 0 });
  e.accuracy = (e.accuracy * e.n + (ok ? 1 : 0)) / (e.n + 1);
  e.n++;
}

/** Evaluates a scorer on pairs (ties in the score count as wrong). */
export function evaluatePairs(scorer: VlmScorer, pairs: readonly TrainPair[]): RmEvaluation {
  const questions = pairs.flatMap((p) => evalQuestions(p, scorer.paradigm, scorer.context));
  const scores = scorer.score(questions);
  const byCriteria: RmEvaluation['byCriteria'] = {};
  const byTag: RmEvaluation['byTag'] = {};
  const probs: number[] = [];
  const labels: boolean[] = [];
  let correct = 0;
  let consistent = 0;
  pairs.forEach((p, i) => {
    const a = scores[2 * i]!;
    const b = scores[2 * i + 1]!;
    let ok: boolean;
    if (scorer.paradigm === 'pairwise') {
      ok = (a.reward + 1 - b.reward) / 2 > 0.5;
      if (a.reward > 0.5 !== b.reward > 0.5) consistent++;
      probs.push(a.reward, b.reward);
      labels.push(true, false);
    } else {
      ok = a.reward > b.reward;
      if (scorer.paradigm === 'pointwise') {
        probs.push(a.reward, b.reward);
        labels.push(true, false);
      }
    }
    if (ok) correct++;
    bump(byCriteria, p.criteria, ok);
    bump(byTag, p.tag, ok);
  });
  return {
    accuracy: pairs.length ? correct / pairs.length : 0,
    n: pairs.length,
    byCriteria,
    byTag,
    ece: expectedCalibrationError(probs, labels),
    positionConsistency: scorer.paradigm === 'pairwise' && pairs.length ? consistent / pairs.length : null,
  };
}
