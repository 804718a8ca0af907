/**
 * GRPO math: group advantages have zero mean and unit spread per group; the clipped
 * objective matches hand-computed values and its tensor form.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../tensor/index.js';
import { Rng } from '../../util/rng.js';
import { clippedLoss, clippedObjective, gaussianKl, groupAdvantages } from './math.js';

describe('GRPO math', () => {
  it('group advantages have zero mean (and unit std) in every group; flat groups give zeros', () => {
    const rng = new Rng(1);
    const r = Array.from({ length: 24 }, () => rng.next());
    const a = groupAdvantages(r, 6);
    for (let g = 0; g < 24; g += 6) {
      const grp = a.slice(g, g + 6);
      const m = grp.reduce((x, y) => x + y) / 6;
      expect(Math.abs(m)).toBeLessThan(1e-9);
      expect(Math.sqrt(grp.reduce((x, y) => x + (y - m) ** 2, 0) / 6)).toBeCloseTo(1, 2);
    }
    expect(groupAdvantages([0.5, 0.5, 0.5], 3)).toEqual([0, 0, 0]);
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(/groups of 2/);
  });

  it('clipped objective: hand values and the tensor form agree', () => {
    expect(clippedLoss(1.5, 1, 0.2)).toBeCloseTo(-1.2); // positive advantage: gain capped at 1 + e
    expect(clippedLoss(0.5, 1, 0.2)).toBeCloseTo(-0.5); // pessimistic: unclipped is lower
    expect(clippedLoss(0.5, -1, 0.2)).toBeCloseTo(0.8); // negative advantage: clipped at 1 - e
    expect(clippedLoss(1.5, -1, 0.2)).toBeCloseTo(1.5);
    const ratios = [1.5, 0.5, 0.5, 1.5, 1];
    const advs = [1, 1, -1, -1, 0.3];
    const want = ratios.reduce((s, r, i) => s + clippedLoss(r, advs[i]!, 0.2), 0) / 5;
    expect(clippedObjective(tensor(ratios), tensor(advs), 0.2).item()).toBeCloseTo(want, 5);
  });

  it('Gaussian KL of equal variances is the squared mean gap over 2 s^2', () => {
    const kl = gaussianKl(tensor([[1, 2]]), tensor([[0, 0]]), 0.5).toList();
    expect(kl[0]).toBeCloseTo((1 + 4) / 2 / (2 * 0.25));
  });
});
