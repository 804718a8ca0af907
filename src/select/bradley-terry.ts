/**
 * Bradley-Terry fit of pairwise win probabilities: strengths s with P(i beats j) ≈
 * sigmoid(s_i - s_j), by maximum likelihood with soft outcomes (each comparison counts
 * P_ij wins for i and P_ji for j), solved with Hunter's (2004) minorise-maximise updates.
 * Pure math, no I/O.
 */
import { InputError } from '../errors.js';

export interface BradleyTerryOptions {
  /**
   * Pseudo-wins added to both sides of every compared pair. Without it a candidate that wins
   * every comparison with probability 1 has an infinite strength; 0.01 keeps strengths
   * finite while moving well-determined fits by well under 1%.
   */
  readonly prior?: number;
  /** Stop when no log-strength moves more than this in an iteration. */
  readonly tolerance?: number;
  readonly maxIterations?: number;
}

export interface BradleyTerryFit {
  /** Log-strengths, mean zero over compared candidates (0 for never-compared ones). */
  readonly strengths: number[];
  readonly iterations: number;
  readonly converged: boolean;
}

export const DEFAULT_BT_PRIOR = 0.01;
/** Log-strengths to 1e-10 are far below any reward model's noise. */
const DEFAULT_TOLERANCE = 1e-10;
/** MM converges linearly; 10k iterations of an N^2 loop are milliseconds for N <= 64. */
const DEFAULT_MAX_ITERATIONS = 10_000;

/**
 * Fits strengths to a square matrix of P(row beats column); `null` (or NaN) marks pairs never
 * compared, the diagonal is ignored. When both P_ij and P_ji are given they need not sum to 1
 * (two orders of a biased judge); each is used as given.
 * @example fitBradleyTerry([[null, 0.73], [0.27, null]], { prior: 0 }).strengths // ≈ [0.497, -0.497]
 */
export function fitBradleyTerry(p: readonly (readonly (number | null)[])[], opts: BradleyTerryOptions = {}): BradleyTerryFit {
  const n = p.length;
  const prior = opts.prior ?? DEFAULT_BT_PRIOR;
  const tol = opts.tolerance ?? DEFAULT_TOLERANCE;
  const maxIt = opts.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  if (!(prior >= 0)) throw new InputError(`Bradley-Terry prior must be >= 0, got ${prior}`);
  const w: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const compared: boolean[][] = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
  p.forEach((row, i) => {
    if (row.length !== n) throw new InputError(`Bradley-Terry: row ${i} has ${row.length} entries, expected ${n} (a square matrix)`);
    row.forEach((v, j) => {
      if (i === j || v === null || Number.isNaN(v)) return;
      if (v < 0 || v > 1) throw new InputError(`Bradley-Terry: P[${i}][${j}] = ${v} is not a probability`);
      w[i]![j]! += v;
      compared[i]![j] = compared[j]![i] = true;
    });
  });
  // A pair given in one direction only: the other side wins the complement.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const given = (k: number, l: number): boolean => p[k]![l] !== null && !Number.isNaN(p[k]![l]) && k !== l;
      if (compared[i]![j] && !given(i, j) && given(j, i)) w[i]![j] = 1 - p[j]![i]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (compared[i]![j]) w[i]![j]! += prior;
  const active = Array.from({ length: n }, (_, i) => compared[i]!.some(Boolean));
  const wins = w.map((row) => row.reduce((a, b) => a + b, 0));
  let pi = new Array<number>(n).fill(1);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIt) {
    iterations++;
    const next = pi.slice();
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      let denom = 0;
      for (let j = 0; j < n; j++) if (compared[i]![j]) denom += (w[i]![j]! + w[j]![i]!) / (pi[i]! + pi[j]!);
      next[i] = denom > 0 ? wins[i]! / denom : pi[i]!;
    }
    normalise(next, active);
    let delta = 0;
    for (let i = 0; i < n; i++) if (active[i]) delta = Math.max(delta, Math.abs(Math.log(next[i]!) - Math.log(pi[i]!)));
    pi = next;
    if (!(delta > tol)) {
      converged = Number.isFinite(delta);
      break;
    }
  }
  return { strengths: pi.map((v, i) => (active[i] ? Math.log(v) : 0)), iterations, converged };
}

/** Scales the active strengths to geometric mean 1 (log-strengths to mean 0). */
function normalise(pi: number[], active: readonly boolean[]): void {
  let sum = 0;
  let k = 0;
  pi.forEach((v, i) => {
    if (active[i]) {
      sum += Math.log(v);
      k++;
    }
  });
  if (k === 0) return;
  const g = Math.exp(sum / k);
  for (let i = 0; i < pi.length; i++) if (active[i]) pi[i]! /= g;
}
