import { describe, expect, it } from 'vitest';
import { combinedModel, combineResults, validateWeights } from './combine.js';
import { rewardModelContract } from './contract.js';
import type { RewardModel, RewardResult } from './types.js';

const r = (reward: number, ms = 1): RewardResult => ({ reward, pYesVocab: reward / 2, logitYes: Math.log(reward), logitNo: Math.log(1 - reward), ms });

/** A pointwise fake whose reward depends on the candidate's first byte. */
const fake = (scale: number, id: string): RewardModel => ({
  id,
  mode: 'pointwise',
  score: (qs) => Promise.resolve(qs.map((q) => r(0.05 + (0.9 * ((q.candidate.kind === 'image' ? q.candidate.image.data[0]! : 7) * scale % 256)) / 256))),
});

describe('combineResults', () => {
  it('takes the weighted mean and skips nulls', () => {
    expect(combineResults([1, 3], [r(0.2), r(0.6)])!.reward).toBeCloseTo(0.5, 12);
    expect(combineResults([1, 3], [r(0.2), null])!.reward).toBeCloseTo(0.2, 12);
    expect(combineResults([1, 3], [null, null])).toBeNull();
    expect(combineResults([0, 1], [r(0.9, 5), null])).toBeNull();
    const c = combineResults([1, 1], [r(0.2, 2), r(0.4, 3)])!;
    expect(c.ms).toBe(5);
    expect(c.pYesVocab).toBeCloseTo(0.15, 12);
    expect(1 / (1 + Math.exp(c.logitNo - c.logitYes))).toBeCloseTo(0.3, 12);
  });
  it('validates weights', () => {
    expect(() => validateWeights([])).toThrow(/at least one reward model/);
    expect(() => validateWeights([1, -1])).toThrow(/weight 1 must be a finite number >= 0/);
    expect(() => validateWeights([0, 0])).toThrow(/at least one weight must be positive/);
  });
});

rewardModelContract({ name: 'combined (two pointwise fakes)', create: () => combinedModel([{ model: fake(1, 'a'), weight: 0.7 }, { model: fake(3, 'b'), weight: 0.3 }]) });
