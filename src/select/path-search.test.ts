/**
 * Path search on a tiny generator with a pointwise stand-in reward: the best final is
 * returned, compute is counted, and bad options are errors.
 */
import { describe, expect, it } from 'vitest';
import { FlowUNet, generatorConfig } from '../models/generator/index.js';
import { parseWorldPrompt } from '../rewards/oracle.js';
import type { RewardModel } from '../rewards/types.js';
import { manualSeed } from '../tensor/index.js';
import { pathSearch } from './path-search.js';

const brightness: RewardModel = {
  id: 'brightness',
  mode: 'pointwise',
  score: (qs) =>
    Promise.resolve(
      qs.map((q) => {
        const d = q.candidate.kind === 'image' ? q.candidate.image.data : new Uint8Array(3);
        const r = Math.min(0.999, Math.max(0.001, d.reduce((a, v) => a + v, 0) / d.length / 255));
        const l = Math.log(r / (1 - r));
        return { reward: r, pYesVocab: r, logitYes: l / 2, logitNo: -l / 2, ms: 0 };
      }),
    ),
};

describe('path search', () => {
  it('returns the best final and counts network evaluations', async () => {
    manualSeed(0);
    const m = new FlowUNet(generatorConfig('tiny'));
    const meta = parseWorldPrompt('a photo of a red circle');
    const r = await pathSearch(m, brightness, meta, { n: 4, keep: 2, pruneAt: [2], steps: 4, guidance: 2, seed: 1 });
    expect(r.finals).toHaveLength(4);
    expect(r.bestReward).toBe(Math.max(...r.finalRewards));
    expect(r.nfe).toBe(4 * 2 * 4 + 4 * 2);
    await expect(pathSearch(m, brightness, meta, { n: 3, keep: 2, pruneAt: [2], steps: 4, guidance: 2, seed: 1 })).rejects.toThrow(/multiple of keep/);
    m.dispose();
  }, 20_000);
});
