/**
 * End to end: a local tiny-VLM reward model served on /v1/chat/completions and scored by
 * rewarddance's remote OpenAI-compatible client over a real loopback socket gives the same
 * rewards as scoring it in process (the remote path reads P(yes) from the top logprobs).
 */
import { describe, expect, it } from 'vitest';
import { blankImage, imageMedia } from '../../src/data/image.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPECIAL_TOKENS, Tokenizer } from '../../src/data/tokenizer.js';
import { pairItems } from '../../src/train/reward/data.js';
import { DEFAULT_RM_TRAIN_CONFIG, trainRewardModel } from '../../src/train/reward/trainer.js';
import { makePairs } from '../../src/world/pairs.js';
import { vlmConfig } from '../../src/models/vlm/config.js';
import { DEFAULT_CONTEXT } from '../../src/models/vlm/prompting.js';
import { parseRewardPrompt } from '../../src/rewards/chat-adapter.js';
import { LocalVlmRewardModel } from '../../src/rewards/generative.js';
import { createRemoteRewardModel } from '../../src/rewards/remote.js';
import type { RewardQuery } from '../../src/rewards/types.js';
import { buildServer } from '../../src/serve/app.js';
import { manualSeed } from '../../src/tensor/index.js';
import { defaultVocabulary } from '../../src/train/reward/pretrain-data.js';
import { pairwiseInstruction } from '../../src/data/export/template.js';

describe('local VLM behind the OpenAI-compatible route', () => {
  it('parses the RewardDance prompt back into task, criteria and prompt', () => {
    expect(parseRewardPrompt(pairwiseInstruction('quality', 'a photo of two red stars', { task: 't2v' }))).toEqual({ task: 't2v', criteria: 'quality', prompt: 'a photo of two red stars' });
  });

  it('scores the same through the server and the remote client as in process', async () => {
    manualSeed(11);
    // a few training steps so that "yes" and "no" lead the distribution at <ans>, as in any trained judge
    const config = vlmConfig({ dim: 32, layers: 2, heads: 2, stemChannels: 8, patch: 8, vocab: [...SPECIAL_TOKENS, ...defaultVocabulary()] });
    const pairs = makePairs({ task: 't2i', criteria: 'alignment', split: 'train', n: 8, seed: 3 });
    const items = pairItems(pairs, 'pairwise', DEFAULT_CONTEXT, new Tokenizer(defaultVocabulary()), 0);
    const { model } = trainRewardModel({ out: mkdtempSync(join(tmpdir(), 'rd-served-')), config: { ...DEFAULT_RM_TRAIN_CONFIG, steps: 30, batchSize: 16, lr: 3e-3, warmupSteps: 3, evalEvery: 0 }, model: { config }, items });
    const rm = new LocalVlmRewardModel('rd-tiny-test', model, 'pairwise', DEFAULT_CONTEXT);
    const server = await buildServer({ models: [{ id: rm.id, reward: rm, chat: rm }], batching: { maxBatch: 4, maxWaitMs: 2 } });
    const url = await server.listen(0, '127.0.0.1');
    try {
      const ref = imageMedia(blankImage(32, 32, [140, 150, 160]));
      const queries: RewardQuery[] = [[215, 25, 30], [30, 70, 225], [250, 250, 250]].map((rgb) => ({
        task: 't2i',
        prompt: 'a photo of a red circle',
        criteria: 'alignment',
        reference: ref,
        candidate: imageMedia(blankImage(32, 32, rgb as [number, number, number])),
      }));
      const local = await rm.score(queries);
      const remote = createRemoteRewardModel(`${url}/v1?model=${rm.id}`, { mode: 'pairwise', maxRetries: 0 });
      expect(await remote.servedModel()).toBe('rd-tiny-test');
      const viaHttp = await remote.score(queries);
      viaHttp.forEach((r, i) => {
        expect(Math.abs(r.reward - local[i]!.reward)).toBeLessThan(1e-4);
        expect(Math.abs(r.pYesVocab - local[i]!.pYesVocab)).toBeLessThan(1e-4);
      });
      remote.close();
    } finally {
      await server.close();
    }
  });
});
