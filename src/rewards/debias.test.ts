import { describe, expect, it } from 'vitest';
import { imageMedia } from '../data/image.js';
import { contractImage, rewardModelContract } from './contract.js';
import { combineOrders, consistencyRate, debiasedModel, debiasedProbability, positionConsistent, scoreDebiased } from './debias.js';
import { sigmoid } from './logprobs.js';
import type { RewardModel, RewardQuery, RewardResult } from './types.js';

/** A pairwise fake with position bias: p = sigmoid(s(cand) - s(ref) + bias). */
function biased(bias: number): RewardModel {
  const s = (q: RewardQuery, which: 'candidate' | 'reference'): number => {
    const m = q[which]!;
    return m.kind === 'image' ? m.image.data[0]! / 64 : 0;
  };
  const result = (p: number): RewardResult => ({ reward: p, pYesVocab: p * 0.9, logitYes: Math.log(p), logitNo: Math.log(1 - p), ms: 1 });
  return {
    id: 'biased',
    mode: 'pairwise',
    score: (qs) => Promise.resolve(qs.map((q) => {
      if (!q.reference) throw new Error('needs a reference');
      return result(sigmoid(s(q, 'candidate') - s(q, 'reference') + bias));
    })),
  };
}

describe('debias math', () => {
  it('averages the two orders', () => {
    expect(debiasedProbability(0.8, 0.4)).toBeCloseTo(0.7, 12);
    expect(debiasedProbability(0.9, 0.9)).toBeCloseTo(0.5, 12);
    expect(positionConsistent(0.8, 0.3)).toBe(true);
    expect(positionConsistent(0.8, 0.6)).toBe(false);
    expect(positionConsistent(0.5, 0.5)).toBe(false);
  });
  it('keeps reward = sigmoid(logitYes - logitNo), even at the extremes', () => {
    const r = (p: number): RewardResult => ({ reward: p, pYesVocab: p, logitYes: 0, logitNo: 0, ms: 2 });
    for (const [a, b] of [[1, 0], [0, 1], [0.7, 0.2]] as const) {
      const c = combineOrders(r(a), r(b));
      expect(Math.abs(sigmoid(c.logitYes - c.logitNo) - c.reward)).toBeLessThan(1e-9);
      expect(c.ms).toBe(4);
    }
  });
});

describe('scoreDebiased', () => {
  const q: RewardQuery = { task: 't2i', prompt: 'p', candidate: imageMedia(contractImage(1)), reference: imageMedia(contractImage(2)) };
  it('cancels the direction of a position bias and shrinks its effect', async () => {
    const [fair] = await scoreDebiased(biased(0), [q]);
    const [bent] = await scoreDebiased(biased(1.5), [q]);
    const [bentBack] = await scoreDebiased(biased(-1.5), [q]);
    // A bias towards either position gives the same debiased reward ...
    expect(bent!.reward).toBeCloseTo(bentBack!.reward, 12);
    // ... closer to the unbiased one than a single order is.
    expect(Math.abs(bent!.reward - fair!.reward)).toBeLessThan(Math.abs(bent!.forward.reward - fair!.reward) / 2);
    expect(fair!.consistent).toBe(true);
    // A strong bias makes both orders say yes: inconsistent.
    const [huge] = await scoreDebiased(biased(20), [q]);
    expect(huge!.consistent).toBe(false);
    expect(consistencyRate([fair!, huge!])).toBe(0.5);
  });
  it('needs a pairwise model and a reference', async () => {
    await expect(scoreDebiased({ ...biased(0), mode: 'pointwise' }, [q])).rejects.toThrow(/pointwise model; drop --debias/);
    await expect(scoreDebiased(biased(0), [{ ...q, reference: undefined }])).rejects.toThrow(/query 0: debiasing needs a reference/);
  });
});

rewardModelContract({ name: 'debiased wrapper (biased fake)', create: () => debiasedModel(biased(0.8)), swapSymmetryTolerance: 1e-9 });
