/**
 * The local reward model routes queries that share a prefix (the same reference object, prompt,
 * criteria) through shared-prefix scoring, and its results equal independent scoring.
 */
import { describe, expect, it, vi } from 'vitest';
import { blankImage, imageMedia, videoMedia, type RgbImage } from '../data/image.js';
import { SPECIAL_TOKENS } from '../data/tokenizer.js';
import { vlmConfig } from '../models/vlm/config.js';
import { TinyVlm } from '../models/vlm/model.js';
import { DEFAULT_CONTEXT } from '../models/vlm/prompting.js';
import { manualSeed, noGrad, tidy } from '../tensor/index.js';
import { defaultVocabulary } from '../train/reward/pretrain-data.js';
import { Rng } from '../util/rng.js';
import { LocalVlmRewardModel, prefixGroups } from './generative.js';
import type { RewardQuery } from './types.js';

function noiseImage(seed: number): RgbImage {
  const rng = new Rng(seed);
  const img = blankImage(32, 32, [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
  for (let i = 0; i < img.data.length; i += 5) img.data[i] = rng.int(0, 256);
  return img;
}

function model(): LocalVlmRewardModel {
  manualSeed(3);
  const m = new TinyVlm(vlmConfig({ dim: 32, layers: 2, heads: 2, stemChannels: 8, vocab: [...SPECIAL_TOKENS, ...defaultVocabulary()] }));
  // scaled weights: at init scale one token's influence falls under 1e-5 and a wrong mask would pass
  noGrad(() => tidy(() => m.namedParameters().forEach(({ name, tensor: p }) => p.rank === 2 && !name.includes('pos') && p.copyFrom(p.mul(4)))));
  m.eval();
  return new LocalVlmRewardModel('tiny', m, 'pairwise', DEFAULT_CONTEXT);
}

describe('LocalVlmRewardModel shares prefixes', () => {
  const refA = imageMedia(noiseImage(100));
  const refB = imageMedia(noiseImage(200));
  const c = [1, 2, 3, 4, 5, 6].map((i) => imageMedia(noiseImage(i)));
  const q = (candidate: RewardQuery['candidate'], reference: RewardQuery['reference'], prompt = 'a photo of a red star'): RewardQuery => ({ task: 't2i', prompt, candidate, reference, criteria: 'alignment' });

  it('groups by reference object, prompt and candidate shape', () => {
    const video = videoMedia([noiseImage(7), noiseImage(8)]);
    const groups = prefixGroups([q(c[0]!, refA), q(c[1]!, refB), q(c[2]!, refA), q(c[3]!, refA, 'a photo of a blue ring'), q(video, refA), q(c[4]!, imageMedia(noiseImage(100)))].map((x) => ({ ...x, criteria: 'alignment' })));
    expect(groups).toEqual([[0, 2], [1], [3], [4], [5]]);
  });

  it('equals one-by-one scoring within 1e-5, in the original order, and uses the shared path for groups', async () => {
    const rm = model();
    try {
      const queries = [q(c[0]!, refA), q(c[1]!, refB), q(c[2]!, refA), q(c[3]!, refA), q(c[4]!, refB), q(c[5]!, refA, 'a photo of two blue rings')];
      const shared = vi.spyOn(rm.scorer, 'scoreShared');
      const batch = await rm.score(queries);
      expect(shared).toHaveBeenCalledTimes(2); // refA (3 candidates) and refB (2); the last query alone
      expect(shared.mock.calls.map((call) => call[1].length).sort()).toEqual([2, 3]);
      shared.mockRestore();
      for (const [i, one] of queries.entries()) {
        const [alone] = await rm.score([one]);
        for (const k of ['reward', 'pYesVocab', 'logitYes', 'logitNo'] as const) expect(Math.abs(batch[i]![k] - alone![k])).toBeLessThan(1e-5);
      }
      // and the model is not trivially constant on these inputs
      expect(new Set(batch.map((r) => r.reward.toFixed(4))).size).toBeGreaterThan(2);
    } finally {
      rm.close();
    }
  });
});
