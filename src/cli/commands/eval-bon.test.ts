import { describe, expect, it } from 'vitest';
import { InputError } from '../../errors.js';
import { runEvalBon } from './eval-bon.js';

describe('eval bon (shipped generator and reward model)', () => {
  it('reports N = 1, the ceiling and each selector over the same candidates, with intervals', async () => {
    const r = await runEvalBon({ generator: 'models/rd-gen-t2i', reward: 'models/rd-rm-tiny', prompts: '3', n: '3', steps: '2', methods: 'knockout,pointwise', json: true });
    expect(r.prompts).toBe(3);
    expect(r.n).toBe(3);
    expect(r.arms.map((a) => a.label)).toEqual(['rd-rm-tiny pairwise knockout', 'rd-rm-tiny pointwise P(yes)']);
    for (const a of r.arms) {
      expect(a.picks).toHaveLength(3);
      for (const p of a.picks) expect(p).toBeGreaterThanOrEqual(0);
      for (const p of a.picks) expect(p).toBeLessThan(3);
      // a pick can never beat the oracle's own pick, nor fall below zero
      expect(a.picked.score).toBeLessThanOrEqual(r.ceiling.score);
      expect(a.picked.lo).toBeLessThanOrEqual(a.picked.score);
      expect(a.picked.hi).toBeGreaterThanOrEqual(a.picked.score);
    }
    expect(r.arms[0]!.queries).toBeGreaterThan(0);
    expect(r.first.score).toBeLessThanOrEqual(r.ceiling.score);
  }, 120_000);

  it('refuses unknown selectors with the list of known ones', async () => {
    await expect(runEvalBon({ generator: 'models/rd-gen-t2i', reward: 'models/rd-rm-tiny', methods: 'best' })).rejects.toThrow(InputError);
    await expect(runEvalBon({ generator: 'models/rd-gen-t2i', reward: 'models/rd-rm-tiny', methods: 'best' })).rejects.toThrow(/unknown method 'best' \(known: pointwise, round-robin, knockout\)/);
  });
});
