/**
 * RL diagnostics: the hacking alarm fires on a synthetic hacked curve and not on healthy or
 * flat ones; reward spread and oracle diversity on small hand-checked inputs.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { hackingAlarm, oracleDiversity, rewardSpread, type CurvePoint } from './rl-diagnostics.js';

function curve(n: number, reward: (s: number) => number, oracle: (s: number) => number, seed: number): CurvePoint[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, s) => ({
    step: s + 1,
    reward: reward(s) + 0.01 * rng.normal(),
    ...(s % 5 === 4 ? { oracle: oracle(s) + 0.01 * rng.normal() } : {}),
  }));
}

describe('hacking alarm', () => {
  it('fires when the reward rises while the oracle falls', () => {
    const hacked = curve(40, (s) => 0.5 + 0.01 * s, (s) => 0.6 - 0.006 * s, 1);
    const v = hackingAlarm(hacked);
    expect(v.fired).toBe(true);
    expect(v.reason).toMatch(/oracle fell/);
  });
  it('fires on a falling held-out reward too', () => {
    const pts = Array.from({ length: 30 }, (_, s) => ({ step: s + 1, reward: 0.4 + 0.01 * s, heldOutReward: 0.6 - 0.005 * s }));
    expect(hackingAlarm(pts).fired).toBe(true);
  });
  it('compares the last evaluations when they are sparser than the window, and watches image quality', () => {
    // evaluations every 40 steps (a 20-step window holds at most one): the ReFL run against the shipped
    // verifier, whose oracle score stayed flat while its image quality fell 0.55 -> 0.38
    const sparse = (quality: (s: number) => number): CurvePoint[] =>
      Array.from({ length: 120 }, (_, i) => {
        const s = i + 1;
        return { step: s, reward: 0.25 + 0.0015 * s + 0.01 * Math.sin(s), ...(s % 40 === 0 ? { oracle: 0.025, heldOutReward: 0.34 + 0.0006 * s, quality: quality(s) } : {}) };
      });
    const hacked = hackingAlarm(sparse((s) => 0.55 - 0.0014 * s));
    expect(hacked.fired).toBe(true);
    expect(hacked.reason).toMatch(/over steps 40-120 while the oracle's image quality fell -0\.11/);
    expect(hacked.oracleChange).toBeCloseTo(0, 12);
    const healthy = hackingAlarm(sparse(() => 0.55));
    expect(healthy.fired).toBe(false);
    expect(healthy.qualityChange).toBeCloseTo(0, 12);
  });
  it('counts the evaluation before training (step 0, no reward) as the baseline', () => {
    // the shape of a measured ReFL run (docs/results/refl-genrm-2026-11-27, rd-rm-tiny fine-tuned on 3532
    // generated pairs, lr 2e-5): quality 0.865 -> 0.832 -> 0.795 at steps 0 / 40 / 80, reward +0.13
    const run: CurvePoint[] = [
      { step: 0, oracle: 0.328, heldOutReward: 0.432, quality: 0.865 },
      ...Array.from({ length: 80 }, (_, i) => {
        const s = i + 1;
        return { step: s, reward: 0.35 + 0.0033 * s + 0.02 * Math.sin(s), ...(s === 40 ? { oracle: 0.359, heldOutReward: 0.547, quality: 0.832 } : s === 80 ? { oracle: 0.332, heldOutReward: 0.613, quality: 0.795 } : {}) };
      }),
    ];
    const v = hackingAlarm(run);
    expect(v.fired).toBe(true);
    expect(v.reason).toMatch(/over steps 0-80 while the oracle's image quality fell -0\.070/);
    expect(v.oracleChange).toBeCloseTo(0.004, 9);
    // without the baseline only steps 40 and 80 are compared, and the 0.037 quality drop is inside the noise
    expect(hackingAlarm(run.slice(1)).fired).toBe(false);
  });
  it('reads a rising held-out reward as a rising reward when the noisy training mean hides it', () => {
    // the shape of docs/results/refl-base-2026-11-27's lr 6e-5 run: training reward +0.03 (noise),
    // held-out reward 0.398 -> 0.428 -> 0.445, quality 0.865 -> 0.824 -> 0.744, oracle 0.281 -> 0.258
    const evals: Record<number, Omit<CurvePoint, 'step' | 'reward'>> = {
      0: { oracle: 0.281, heldOutReward: 0.398, quality: 0.865 },
      30: { oracle: 0.277, heldOutReward: 0.428, quality: 0.824 },
      60: { oracle: 0.258, heldOutReward: 0.445, quality: 0.744 },
    };
    const run = (e: typeof evals): CurvePoint[] => [{ step: 0, ...e[0] }, ...Array.from({ length: 60 }, (_, i) => ({ step: i + 1, reward: 0.4 + 0.001 * i + 0.03 * Math.sin(i), ...e[i + 1] }))];
    const v = hackingAlarm(run(evals));
    expect(v.rewardRise).toBeLessThan(0.05);
    expect(v.fired).toBe(true);
    expect(v.reason).toMatch(/^held-out reward \+0\.047 over steps 0-60 while the oracle's image quality fell -0\.121$/);
    // the same rise with the oracle's readings steady is healthy
    const steady = { 0: evals[0]!, 30: { ...evals[30]!, oracle: 0.281, quality: 0.865 }, 60: { ...evals[60]!, oracle: 0.3, quality: 0.86 } };
    expect(hackingAlarm(run(steady)).fired).toBe(false);
  });
  it('stays quiet when reward and oracle rise together, or nothing moves', () => {
    expect(hackingAlarm(curve(40, (s) => 0.5 + 0.01 * s, (s) => 0.5 + 0.005 * s, 2)).fired).toBe(false);
    expect(hackingAlarm(curve(40, () => 0.5, () => 0.5, 3)).fired).toBe(false);
    expect(hackingAlarm([]).fired).toBe(false);
  });
});

describe('spread and diversity', () => {
  it('computes batch and within-group spread', () => {
    const s = rewardSpread([1, 0, 1, 1], 2);
    expect(s.mean).toBeCloseTo(0.75);
    expect(s.std).toBeCloseTo(Math.sqrt(0.1875));
    expect(s.groupStd).toBeCloseTo(0.25);
    expect(s.flatGroups).toBeCloseTo(0.5);
    expect(oracleDiversity(['a', 'a', 'b', 'c'], 2)).toBeCloseTo(0.75);
  });
});
