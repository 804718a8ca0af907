/**
 * Pure reward math: P(yes) from yes/no logits (normalised over {yes, no} and over the
 * vocabulary), the Bradley-Terry loss, and calibration error.
 */
import { F, type Tensor } from '../../tensor/index.js';

/** Logistic function. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * P(yes) normalised over {yes, no}: sigmoid(logitYes - logitNo).
 * @example pYesNormalised(2, 0) // 0.8808
 */
export function pYesNormalised(logitYes: number, logitNo: number): number {
  return sigmoid(logitYes - logitNo);
}

/** Bradley-Terry loss -log sigmoid(sChosen - sRejected), averaged (tensors of equal shape). */
export function bradleyTerryLoss(chosen: Tensor, rejected: Tensor): Tensor {
  return chosen.sub(rejected).logSigmoid().mean().neg();
}

/** Binary cross-entropy of a yes/no margin z = logitYes - logitNo against labels (1 = yes). */
export function yesNoLoss(margin: Tensor, labels: Tensor): Tensor {
  return F.bceWithLogits(margin, labels);
}

/**
 * Expected calibration error with equal-width bins: sum over bins of |accuracy - confidence|
 * weighted by the bin's share.
 * @example expectedCalibrationError([0.9, 0.1], [true, false]) // ~0.1
 */
export function expectedCalibrationError(p: readonly number[], labels: readonly boolean[], bins = 10): number {
  const n = p.length;
  if (n === 0) return 0;
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const lo = b / bins;
    const hi = (b + 1) / bins;
    const idx = p.map((v, i) => [v, i] as const).filter(([v]) => (b === 0 ? v >= lo : v > lo) && v <= hi);
    if (idx.length === 0) continue;
    const conf = idx.reduce((s, [v]) => s + v, 0) / idx.length;
    const acc = idx.reduce((s, [, i]) => s + (labels[i] ? 1 : 0), 0) / idx.length;
    ece += (idx.length / n) * Math.abs(acc - conf);
  }
  return ece;
}
