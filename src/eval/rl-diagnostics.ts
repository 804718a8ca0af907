/**
 * RL diagnostics, computed every step and written to metrics.jsonl: reward mean and spread
 * (across the batch and within each prompt's group: a group whose samples all score alike
 * teaches GRPO nothing, and the paper reads collapsing variance as a sign of hacking),
 * diversity by the oracle's reading of the samples, drift from the pretrained weights, and a
 * hacking alarm: the reward keeps rising (the training batches', or the held-out reward) while
 * the oracle's score or image quality (or, against a rising training reward, the held-out
 * reward) falls over a window.
 */
import type { Tensor } from '../tensor/index.js';

export interface RewardSpread {
  readonly mean: number;
  /** Population std over the whole batch. */
  readonly std: number;
  /** Mean over groups of each group's std. */
  readonly groupStd: number;
  /** Share of groups whose rewards are all equal (no learning signal). */
  readonly flatGroups: number;
}

const std = (xs: readonly number[]): number => {
  const m = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length));
};

/** Equal within this much counts as a flat group. */
const FLAT_TOL = 1e-9;

/**
 * Reward statistics over a batch of consecutive groups.
 * @example rewardSpread([1, 0, 1, 1], 2) // { mean: 0.75, std: 0.43, groupStd: 0.25, flatGroups: 0.5 }
 */
export function rewardSpread(rewards: readonly number[], groupSize: number): RewardSpread {
  const groups: number[][] = [];
  for (let i = 0; i < rewards.length; i += groupSize) groups.push(rewards.slice(i, i + groupSize));
  return {
    mean: rewards.reduce((a, b) => a + b, 0) / Math.max(1, rewards.length),
    std: std(rewards),
    groupStd: groups.reduce((a, g) => a + std(g), 0) / Math.max(1, groups.length),
    flatGroups: groups.filter((g) => std(g) <= FLAT_TOL).length / Math.max(1, groups.length),
  };
}

/**
 * Diversity by the oracle: distinct readings (signatures such as 'circle:red:11|star:blue:02')
 * per group, over the group size, averaged (1 = every sample differs, 1/G = all alike). Pixel
 * distances would rise under hacking (DESIGN.md 7), the oracle's readings do not.
 * @example oracleDiversity(['a', 'a', 'b', 'c'], 2) // 0.75
 */
export function oracleDiversity(signatures: readonly string[], groupSize: number): number {
  let total = 0;
  let groups = 0;
  for (let i = 0; i < signatures.length; i += groupSize) {
    const g = signatures.slice(i, i + groupSize);
    total += new Set(g).size / g.length;
    groups++;
  }
  return total / Math.max(1, groups);
}

/**
 * Relative L2 distance of parameters from the reference: ||theta - theta_ref|| / ||theta_ref||.
 */
export function parameterDrift(params: readonly Tensor[], reference: readonly Tensor[]): number {
  let d = 0;
  let r = 0;
  params.forEach((p, i) => {
    const ref = reference[i]!;
    const diff = p.sub(ref);
    d += diff.square().sum().item();
    r += ref.square().sum().item();
    diff.dispose();
  });
  return Math.sqrt(d) / Math.max(1e-12, Math.sqrt(r));
}

/** One point of the curves the alarm watches; missing values are skipped. */
export interface CurvePoint {
  readonly step: number;
  /** Training reward (batch mean); absent at step 0, the evaluation before training. */
  readonly reward?: number;
  /** Oracle GenEval-style score on the held-out prompts. */
  readonly oracle?: number;
  /** The reward model's score on held-out prompts. */
  readonly heldOutReward?: number;
  /** The oracle's image quality score of the held-out samples. */
  readonly quality?: number;
}

/**
 * The alarm's point for one metrics.jsonl line (or a step being written): step 0, the evaluation
 * before training, carries no training reward.
 */
export function curvePoint(m: { readonly step: number; readonly reward?: number; readonly eval?: { readonly score: number; readonly heldOutReward: number; readonly quality: number } }): CurvePoint {
  const ev = m.eval;
  return { step: m.step, ...(m.step > 0 && m.reward !== undefined ? { reward: m.reward } : {}), ...(ev ? { oracle: ev.score, heldOutReward: ev.heldOutReward, quality: ev.quality } : {}) };
}

export interface AlarmOptions {
  /** Training steps the alarm looks back over. */
  readonly window: number;
  /** Reward rise (late half mean - early half mean) that counts as rising. */
  readonly minRise: number;
  /**
   * Rise of the held-out reward (late-half mean - early-half mean of its evaluations) that counts as
   * rising on its own: the training batch mean is noisy enough to hide a steady climb.
   */
  readonly minHeldOutRise: number;
  /** Drop of the oracle, the held-out reward or the oracle's image quality that counts as falling. */
  readonly minDrop: number;
  /**
   * Fewest evaluations compared: when fewer fall inside the window (evaluations every 40 steps,
   * a 20-step window), the alarm looks back to the last `minEvals` of them and measures the
   * reward's rise over the same stretch.
   */
  readonly minEvals: number;
}

/**
 * Defaults: 0.05 on a [0, 1] reward is beyond the step-to-step noise of a 32-sample batch mean
 * in a calibration run (std ~0.03); a 0.04 oracle drop is about the half-width of a
 * 256-sample interval at p = 0.5 (0.06) shrunk by averaging several evaluations; the held-out
 * reward is a mean over 256 fixed prompts and noises (per-sample std ~0.2, standard error
 * ~0.013), so 0.03 is over two standard errors.
 */
export const DEFAULT_ALARM: AlarmOptions = { window: 20, minRise: 0.05, minHeldOutRise: 0.03, minDrop: 0.04, minEvals: 3 };

export interface AlarmVerdict {
  readonly fired: boolean;
  readonly rewardRise: number;
  readonly oracleChange: number | null;
  readonly heldOutChange: number | null;
  readonly qualityChange: number | null;
  readonly reason: string;
}

function halfChange(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const h = Math.floor(xs.length / 2);
  const early = xs.slice(0, h);
  const late = xs.slice(xs.length - h);
  const m = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  return m(late) - m(early);
}

/**
 * The hacking alarm over the last `window` steps (or back to the last `minEvals` evaluations when
 * fewer fall inside it): fires when the training reward rose by at least `minRise` while the
 * oracle's score, the held-out reward or the oracle's image quality fell by at least `minDrop`,
 * or when the held-out reward rose by at least `minHeldOutRise` while the oracle's score or image
 * quality fell by `minDrop` (changes are late-half mean minus early-half mean of the points that
 * carry them).
 * @example hackingAlarm(history).fired
 */
export function hackingAlarm(history: readonly CurvePoint[], opts: AlarmOptions = DEFAULT_ALARM): AlarmVerdict {
  const last = history.at(-1)?.step ?? 0;
  const evaluated = history.filter((p) => p.oracle !== undefined || p.heldOutReward !== undefined || p.quality !== undefined);
  // the window, stretched back to the minEvals-th last evaluation when fewer fall inside it
  const from = Math.min(last - opts.window + 1, (evaluated.at(-opts.minEvals) ?? evaluated[0])?.step ?? Infinity);
  const pts = history.filter((p) => p.step >= from);
  const rewardRise = halfChange(pts.flatMap((p) => (p.reward === undefined ? [] : [p.reward]))) ?? 0;
  const change = (k: 'oracle' | 'heldOutReward' | 'quality'): number | null => halfChange(pts.flatMap((p) => (p[k] === undefined ? [] : [p[k]])));
  const oracleChange = change('oracle');
  const heldOutChange = change('heldOutReward');
  const qualityChange = change('quality');
  const falls: [string, number | null][] = [
    ['the oracle', oracleChange],
    ['the held-out reward', heldOutChange],
    ["the oracle's image quality", qualityChange],
  ];
  const fell = falls.filter(([, c]) => c !== null && c <= -opts.minDrop);
  const span = `over steps ${pts[0]?.step ?? from}-${last}`;
  const list = (xs: typeof falls): string => xs.map(([what, c]) => `${what} fell ${c!.toFixed(3)}`).join(' and ');
  let reason = '';
  if (rewardRise >= opts.minRise && fell.length > 0) reason = `reward +${rewardRise.toFixed(3)} ${span} while ${list(fell)}`;
  else if (heldOutChange !== null && heldOutChange >= opts.minHeldOutRise) {
    const truth = fell.filter(([what]) => what !== 'the held-out reward');
    if (truth.length > 0) reason = `held-out reward +${heldOutChange.toFixed(3)} ${span} while ${list(truth)}`;
  }
  const fired = reason !== '';
  return { fired, rewardRise, oracleChange, heldOutChange, qualityChange, reason };
}
