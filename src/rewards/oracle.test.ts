/**
 * The oracle reward model: the shared contract, world-prompt parsing, graded rewards on
 * correct and broken renders, and the error for prompts it cannot read.
 */
import { describe, expect, it } from 'vitest';
import { imageMedia } from '../data/image.js';
import { Rng } from '../util/rng.js';
import { render } from '../world/render.js';
import { PLAIN_LAYOUT, sceneFor } from '../world/scene.js';
import { samplePrompts } from '../world/prompts.js';
import { rewardModelContract } from './contract.js';
import { createOracleRewardModel, gradedReward, parseWorldPrompt } from './oracle.js';
import type { RewardQuery } from './types.js';

function worldQueries(): RewardQuery[] {
  const metas = samplePrompts({ n: 6, seed: 3 });
  const rng = new Rng(4);
  return metas.map((m, i) => {
    // every other candidate answers the next record's prompt, so rewards differ
    const shown = i % 2 === 0 ? m : metas[(i + 1) % metas.length]!;
    return { task: 't2i', prompt: m.prompt, metadata: m, candidate: imageMedia(render(sceneFor(shown, rng, { style: PLAIN_LAYOUT }))) };
  });
}

rewardModelContract({ name: 'oracle', create: () => createOracleRewardModel(), queries: worldQueries });

describe('oracle reward model', () => {
  it('parses every world prompt back into its metadata', () => {
    for (const m of samplePrompts({ n: 60, seed: 9 })) {
      const p = parseWorldPrompt(m.prompt);
      expect(p.tag).toBe(m.tag);
      expect(p.include).toEqual(m.include);
      expect(p.exclude ?? []).toEqual(m.exclude ?? []);
    }
  });

  it('gives correct renders the top reward and wrong ones less', async () => {
    const rm = createOracleRewardModel();
    const qs = worldQueries();
    const rs = await rm.score(qs);
    expect(rs[0]!.reward).toBeGreaterThan(0.99);
    expect(Math.min(...rs.map((r) => r.reward))).toBeLessThan(0.9);
    expect(gradedReward(1, 2, false)).toBeCloseTo(1 / 3);
    expect(gradedReward(2, 2, true, 'binary')).toBe(1);
  });

  it('scores without metadata by parsing the prompt, and names what it cannot read', async () => {
    const rm = createOracleRewardModel();
    const [q] = worldQueries();
    const { metadata: _m, ...bare } = q!;
    const [withMeta] = await rm.score([q!]);
    const [parsed] = await rm.score([bare]);
    expect(parsed!.reward).toBe(withMeta!.reward);
    await expect(rm.score([{ ...bare, prompt: 'a cat on a sofa' }])).rejects.toThrow(/not a world prompt.*metadata/);
  });
});
